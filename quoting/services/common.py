"""What every use case shares: the clock, the rule book, the audit trail, and the
one way to take a quote for a change (a write transaction, the row locked, read
fresh after the lock, checked against the revision the user saw)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from quoting.request_context import current_request_id
from quoting.rules import RuleBook, load_rulebook
from quoting.services.errors import Conflict, NotFound
from quoting.store.db import begin_write
from quoting.store.models import (
    DRAFT_REFERENCE_PREFIX,
    AuditEvent,
    Client,
    Quote,
    QuoteRevision,
    Role,
    User,
)

MANAGERS = frozenset({Role.FINANCE, Role.ADMIN})
SYSTEM_ACTOR = "system"
_DRAFT_REFERENCE = re.compile(re.escape(DRAFT_REFERENCE_PREFIX) + r"0*(\d{1,12})")

__all__ = ["MANAGERS", "begin_write", "default_rulebook", "insert_for", "lock_quote", "now_or",
           "quote_where", "record", "require_seen", "revision_of"]


@cache
def default_rulebook() -> RuleBook:
    return load_rulebook()


def now_or(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


def quote_where(statement: Select[Quote], ref: str) -> Select[Quote]:
    """Narrow a SELECT of quotes to the one a person named: its number (MX-2026-0042)
    or, before it is sent, its draft reference (D-00042)."""
    text = ref.strip().upper()
    draft = _DRAFT_REFERENCE.fullmatch(text)
    if draft:  # still found once numbered: links to the draft keep working
        return statement.where(Quote.id == int(draft.group(1)))
    return statement.where(Quote.number == text)


def lock_quote(session: Session, ref: str) -> Quote:
    """The quote for a change: starts the write transaction (SQLite: BEGIN IMMEDIATE),
    locks the row (PostgreSQL: FOR UPDATE) and reads it again after the lock, so no
    check runs on attributes loaded before someone else's change."""
    begin_write(session)
    quote = session.scalars(
        quote_where(select(Quote), ref).with_for_update().execution_options(
            populate_existing=True)
    ).one_or_none()
    if quote is None:
        raise NotFound(f"no quote {ref}", code="not_found", what="quote", ref=ref)
    return quote


def require_seen(quote: Quote, seen_revision: int | None) -> None:
    """Refuse a change made on a revision that is no longer the current one."""
    if seen_revision is not None and seen_revision != quote.current_revision:
        raise Conflict(
            f"{quote.ref} changed since you opened it: you saw revision {seen_revision}, "
            f"it is now at revision {quote.current_revision}; reload it and try again",
            code="stale_revision", ref=quote.ref, seen=seen_revision,
            current=quote.current_revision)


def revision_of(quote: Quote, revision: int | None) -> QuoteRevision:
    wanted = quote.current_revision if revision is None else revision
    for candidate in quote.revisions:
        if candidate.revision == wanted:
            return candidate
    raise NotFound(f"{quote.ref} has no revision {wanted} "
                   f"(revisions 1 to {quote.current_revision})",
                   code="no_revision", ref=quote.ref, revision=wanted,
                   last=quote.current_revision)


def insert_for(dialect_name: str) -> Any:
    """INSERT with ON CONFLICT for the dialect (both speak it, through different classes)."""
    return pg_insert if dialect_name == "postgresql" else sqlite_insert


def record(session: Session, actor: User | None, action: str, quote: Quote | None = None,
           revision: int | None = None, from_status: str | None = None,
           to_status: str | None = None, detail: dict[str, Any] | None = None, *,
           client: Client | None = None, now: datetime | None = None) -> None:
    """Append an event to the audit trail; during a web request its detail carries the
    request's id (`request_id`, as in the X-Request-ID header and the log lines)."""
    request_id = current_request_id()
    if request_id is not None and "request_id" not in (detail or {}):
        detail = {**(detail or {}), "request_id": request_id}
    session.add(AuditEvent(
        at=now_or(now), actor_id=actor.id if actor else None,
        actor=actor.email if actor else SYSTEM_ACTOR, action=action,
        quote_id=quote.id if quote else None,
        client_id=client.id if client else (quote.client_id if quote else None),
        revision=revision, from_status=from_status, to_status=to_status, detail=detail or {},
    ))
