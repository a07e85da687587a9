"""Clients as records: one per market and tax ID, with a legal name, contacts and a
history of changes. A quote's revision keeps the client as it was quoted; the
record changes only through `rename_client` (audited), never as a side effect
of saving a quote."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from quoting.errors import FieldProblem, QuoteInputError
from quoting.scope import QuoteRequest
from quoting.services.common import MANAGERS, begin_write, insert_for, record
from quoting.services.errors import NotFound, PermissionDenied
from quoting.store.models import (
    AuditEvent,
    Client,
    ClientContact,
    Quote,
    User,
    fold_for_search,
)

MAX_NAME_LENGTH = 200


def client_for(session: Session, request: QuoteRequest, actor: User) -> Client:
    """The stored client for this market and (compact) tax ID, created on first use.

    A known tax ID under another legal name is refused with a field problem: the
    record is renamed on purpose (`rename_client`), never by a quote. New contacts
    are added to the record (and audited)."""
    country, tax_id, name = request.market.value, request.client.tax_id, request.client.name
    by_key = select(Client).where(Client.country == country, Client.tax_id == tax_id)
    client = session.scalars(by_key).one_or_none()
    if client is None:
        # Two sessions may meet a new client at once: let the database pick one row.
        session.execute(
            insert_for(session.get_bind().dialect.name)(Client)
            .values(country=country, tax_id=tax_id, legal_name=name,
                    name_folded=fold_for_search(name), created_at=datetime.now(UTC))
            .on_conflict_do_nothing(index_elements=[Client.country, Client.tax_id])
        )
        client = session.scalars(by_key).one()
        if client.legal_name == name:
            record(session, actor, "client.create", client=client,
                   detail={"legal_name": name, "tax_id": tax_id, "country": country})
    if client.legal_name != name:
        raise QuoteInputError([FieldProblem(
            "client.name",
            f"tax ID {tax_id} is {client.legal_name!r} in the client records; use that "
            f"name, or rename the client on its page first",
            code="client_name_on_record", params=(("name", client.legal_name),))])
    contact, email = request.client.contact, request.client.email
    if contact or email:
        known = session.scalar(select(ClientContact.id).where(
            ClientContact.client_id == client.id,
            ClientContact.name.is_(None) if contact is None else ClientContact.name == contact,
            ClientContact.email.is_(None) if email is None else ClientContact.email == email,
        ).limit(1))
        if known is None:
            session.add(ClientContact(client_id=client.id, name=contact, email=email))
            record(session, actor, "client.contact_add", client=client,
                   detail={"name": contact, "email": email})
    return client


def get_client(session: Session, client_id: int) -> Client:
    client = session.scalars(
        select(Client).where(Client.id == client_id).options(selectinload(Client.contacts))
    ).one_or_none()
    if client is None:
        raise NotFound(f"no client with id {client_id}", code="not_found", what="client",
                       ref=str(client_id))
    return client


def find_client(session: Session, market: str, tax_id: str) -> Client:
    client = session.scalars(
        select(Client).where(Client.country == market.strip().upper(),
                             Client.tax_id == re.sub(r"[\s.\-/]", "", tax_id).upper())
        .options(selectinload(Client.contacts))
    ).one_or_none()
    if client is None:
        raise NotFound(f"no {market.upper()} client with tax ID {tax_id}", code="not_found",
                       what="client", ref=f"{market.upper()} {tax_id}")
    return client


def _has_quote_of(session: Session, user: User, client_id: int) -> bool:
    return session.scalar(select(Quote.id).where(
        Quote.client_id == client_id, Quote.owner_id == user.id).limit(1)) is not None


def may_rename_client(session: Session, user: User, client_id: int) -> bool:
    """Finance, admin, or someone who owns a quote of this client."""
    return user.role in MANAGERS or _has_quote_of(session, user, client_id)


def can_view_client(session: Session, user: User, client_id: int, *,
                    own_quotes_only: bool) -> bool:
    """Everyone sees every client, unless sales users are restricted to their own quotes:
    then only the clients they quote."""
    return not own_quotes_only or may_rename_client(session, user, client_id)


def rename_client(session: Session, client_id: int, legal_name: str, actor: User, *,
                  reason: str = "") -> Client:
    """Change the record's legal name (audited). Quotes already made keep the name they
    were quoted with; new quotes and revisions use the new one. Finance, admin or a
    user who owns one of the client's quotes may do it."""
    name = legal_name.strip()
    if not name:
        raise QuoteInputError.single("legal_name", "give the client's legal name")
    if len(name) > MAX_NAME_LENGTH:
        raise QuoteInputError.single("legal_name", f"at most {MAX_NAME_LENGTH} characters")
    begin_write(session)
    client = session.scalars(
        select(Client).where(Client.id == client_id).with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if client is None:
        raise NotFound(f"no client with id {client_id}", code="not_found", what="client",
                       ref=str(client_id))
    if not may_rename_client(session, actor, client_id):
        raise PermissionDenied(
            f"{actor.email} quotes nothing for {client.legal_name}: only finance, admin or "
            f"someone who quotes this client can rename it", code="not_client_editor",
            client_id=client_id)
    if client.legal_name == name:
        return client
    previous = client.legal_name
    client.legal_name = name
    client.name_folded = fold_for_search(name)
    record(session, actor, "client.rename", client=client,
           detail={"from": previous, "to": name, "reason": reason.strip() or None})
    session.flush()
    return client


def client_events(session: Session, client_id: int) -> list[AuditEvent]:
    """Changes to the client record (created, renamed, contacts added), oldest first."""
    return list(session.scalars(
        select(AuditEvent).where(AuditEvent.client_id == client_id,
                                 AuditEvent.action.like("client.%"))
        .order_by(AuditEvent.id)))


def find_clients(session: Session, market: str, text: str, *, limit: int = 8) -> list[Client]:
    """Known clients of a market whose legal name (accents and case ignored) or tax ID
    contains `text`, with contacts."""
    words = text.strip()
    if not words:
        return []
    folded, compact = search_patterns(words)
    return list(session.scalars(
        select(Client).where(Client.country == market.upper(),
                             Client.name_folded.like(folded, escape="\\")
                             | Client.tax_id.like(compact, escape="\\"))
        .options(selectinload(Client.contacts)).order_by(Client.legal_name).limit(limit)
    ))


def contains_pattern(text: str) -> str:
    """A LIKE pattern (escape character backslash) matching values that contain
    `text`; % and _ typed by the user match themselves."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_patterns(words: str) -> tuple[str, str]:
    """LIKE patterns for a text folded (no accents or case) and for a tax ID without
    its punctuation."""
    compact = re.sub(r"[\s.\-/]", "", words).upper()
    return contains_pattern(fold_for_search(words)), contains_pattern(compact)
