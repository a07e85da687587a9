"""Notes on a quote (append-only: who wrote what, when) and the day its owner means
to follow it up. Anyone who may see a quote may add a note; only its owner or an
admin sets or clears the follow-up day, which the audit trail records."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from quoting.errors import FieldProblem, QuoteInputError
from quoting.i18n import MARKET_TIMEZONES
from quoting.services.common import begin_write, lock_quote, now_or, record
from quoting.services.errors import InvalidTransition, NotFound, PermissionDenied
from quoting.services.quotes import can_view, get_quote
from quoting.store.models import Quote, QuoteStatus, Role, User
from quoting.store.workbench import NOTE_MAX_LENGTH, QuoteFollowUp, QuoteNote

ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def market_days(now: datetime | None = None) -> Mapping[str, date]:
    """Today in every market, each in its own time zone (late evening in Lima is
    already tomorrow in Madrid)."""
    moment = now_or(now).astimezone(UTC)
    return {market: moment.astimezone(ZoneInfo(zone)).date()
            for market, zone in MARKET_TIMEZONES.items()}


def visible_quote(session: Session, ref: str, user: User, *, own_quotes_only: bool) -> Quote:
    """The quote, if this user may see it; else not_found, as if it did not exist."""
    quote = get_quote(session, ref)
    if not can_view(user, quote, own_quotes_only=own_quotes_only):
        raise NotFound(f"no quote {ref}", code="not_found", what="quote", ref=ref)
    return quote


# ---------------------------------------------------------------- notes


def add_note(session: Session, ref: str, author: User, body: str, *,
             own_quotes_only: bool = False, now: datetime | None = None) -> QuoteNote:
    """Append a note to a quote the author may see. Notes are never edited or deleted
    (the database refuses it too): a correction is another note."""
    text = body.strip()
    if not text:
        raise QuoteInputError([FieldProblem("note", "write the note first", code="empty")])
    if len(text) > NOTE_MAX_LENGTH:
        raise QuoteInputError([FieldProblem(
            "note", f"at most {NOTE_MAX_LENGTH} characters (this one has {len(text)})",
            code="too_long", params=(("max", str(NOTE_MAX_LENGTH)), ("length", str(len(text)))))])
    begin_write(session)
    quote = visible_quote(session, ref, author, own_quotes_only=own_quotes_only)
    note = QuoteNote(quote_id=quote.id, author_id=author.id, body=text, created_at=now_or(now))
    session.add(note)
    session.flush()
    return note


def quote_notes(session: Session, quote: Quote) -> list[QuoteNote]:
    """A quote's notes, newest first, with their authors."""
    return list(session.scalars(
        select(QuoteNote).where(QuoteNote.quote_id == quote.id)
        .options(joinedload(QuoteNote.author)).order_by(QuoteNote.id.desc())))


# ---------------------------------------------------------------- follow-up day


def may_set_follow_up(user: User, quote: Quote) -> bool:
    """The quote's owner, whose day it is, or an admin standing in for them."""
    return quote.owner_id == user.id or user.role == Role.ADMIN


def follow_up_of(session: Session, quote: Quote) -> QuoteFollowUp | None:
    return session.get(QuoteFollowUp, quote.id)


def parse_day(text: str, field: str) -> date | None:
    """A day typed as 2026-11-25 (what a date input sends); blank is None."""
    value = text.strip()
    if not value:
        return None
    try:
        if not ISO_DAY.fullmatch(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise QuoteInputError([FieldProblem(
            field, f"{value[:40]!r} is not a day: write it as 2026-11-25",
            code="bad_date")]) from None


def set_follow_up(session: Session, ref: str, user: User, day: date | str | None, *,
                  own_quotes_only: bool = False, now: datetime | None = None
                  ) -> QuoteFollowUp | None:
    """Set (a day from today on, in the quote's market) or clear (None or blank) the
    day to follow a quote up; audited as follow_up.set or follow_up.clear. Setting the
    day it already has changes and records nothing."""
    now = now_or(now)
    wanted = parse_day(day, "follow_up_on") if isinstance(day, str) else day
    visible_quote(session, ref, user, own_quotes_only=own_quotes_only)
    quote = lock_quote(session, ref)
    if not may_set_follow_up(user, quote):
        raise PermissionDenied(
            f"{user.email} cannot set the follow-up day of {quote.ref}: only its owner "
            f"or an admin can", code="not_follow_up_editor", ref=quote.ref)
    if quote.status == QuoteStatus.DELETED:
        raise InvalidTransition(f"{quote.ref} was deleted", code="wrong_status",
                                ref=quote.ref, action="follow up", status=quote.status,
                                allowed=[])
    today = market_days(now)[quote.market]
    if wanted is not None and wanted < today:
        raise QuoteInputError([FieldProblem(
            "follow_up_on", f"{wanted.isoformat()} has passed; choose today "
            f"({today.isoformat()}) or a later day", code="in_past",
            params=(("today", today.isoformat()),))])
    current = follow_up_of(session, quote)
    previous = current.follow_up_on if current else None
    if wanted == previous:
        return current
    detail = {"previous": previous.isoformat() if previous else None}
    if wanted is None:
        assert current is not None  # previous differs from None
        session.delete(current)
        record(session, user, "follow_up.clear", quote, quote.current_revision,
               detail=detail, now=now)
        session.flush()
        return None
    if current is None:
        current = QuoteFollowUp(quote_id=quote.id, follow_up_on=wanted, set_by_id=user.id,
                                set_at=now)
        session.add(current)
    else:
        current.follow_up_on, current.set_by_id, current.set_at = wanted, user.id, now
    record(session, user, "follow_up.set", quote, quote.current_revision,
           detail={**detail, "on": wanted.isoformat()}, now=now)
    session.flush()
    return current
