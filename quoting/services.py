"""Use cases of the stored quote: the one place the web pages, the JSON API and
the CLI share.

Every function takes a SQLAlchemy Session and leaves the transaction to the
caller (one request, one command, one commit): nothing here commits. Refusals
are domain errors with a message a person can act on (quoting.store.errors),
and a bad request is a quoting.errors.QuoteInputError, as when pricing.

Flow: request -> validated scope -> priced quote -> stored revision. A stored
revision never changes; editing a quote adds revision n+1.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Select, func, select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, joinedload, selectinload

from quoting.errors import FieldProblem, QuoteInputError
from quoting.i18n import market_today
from quoting.money import MoneyError, is_known_currency, to_decimal
from quoting.pricing import PricedQuote
from quoting.rules import RuleBook, load_rulebook
from quoting.scope import QuoteRequest, parse_request
from quoting.service_pricing import price_request
from quoting.store.errors import (
    Conflict,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    RevisionImmutable,
    ServiceError,
)
from quoting.store.models import (
    ApprovalDecision,
    AuditEvent,
    Client,
    ClientContact,
    ExchangeRate,
    Quote,
    QuoteCounter,
    QuoteRevision,
    QuoteStatus,
    RevisionPdf,
    Role,
    User,
    from_minor,
    to_minor,
)
from quoting.taxid import InvalidTaxId, compact_tax_id

__all__ = [
    "Conflict",
    "InvalidTransition",
    "NotFound",
    "PermissionDenied",
    "QuoteFilter",
    "QuotePage",
    "QuoteSummary",
    "RatesImport",
    "RevisionImmutable",
    "ServiceError",
    "accept_quote",
    "approve_discount",
    "archive_pdf",
    "archived_pdf",
    "authenticate_user",
    "create_quote",
    "create_user",
    "decline_quote",
    "duplicate_quote",
    "expire_due",
    "get_quote",
    "get_user",
    "import_rates_csv",
    "list_quotes",
    "quote_events",
    "quote_view",
    "record_pdf_sha256",
    "reject_discount",
    "revise_quote",
    "revision_snapshot",
    "send_quote",
    "withdraw_quote",
]

S = QuoteStatus
REVISABLE = frozenset({S.DRAFT, S.PENDING_APPROVAL, S.DISCOUNT_REJECTED, S.SENT})
WITHDRAWABLE = REVISABLE
MANAGERS = frozenset({Role.FINANCE, Role.ADMIN})
SYSTEM_ACTOR = "system"
MIN_PASSWORD_LENGTH = 10
PAGE_SIZE_LIMIT = 500

_password_hasher = PasswordHasher()
SelectT = TypeVar("SelectT", bound=Select)  # type: ignore[type-arg]


@cache
def default_rulebook() -> RuleBook:
    return load_rulebook()


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


# ---------------------------------------------------------------- users


def create_user(session: Session, email: str, name: str, role: str, password: str) -> User:
    email = _normalize_email(email)
    problems = []
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        problems.append(FieldProblem("email", f"{email!r} is not an email address"))
    if not name.strip():
        problems.append(FieldProblem("name", "give the person's name"))
    if role not in {r.value for r in Role}:
        problems.append(FieldProblem("role", f"unknown role {role!r}; allowed: "
                                     + ", ".join(r.value for r in Role)))
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(FieldProblem("password",
                                     f"at least {MIN_PASSWORD_LENGTH} characters"))
    if problems:
        raise QuoteInputError(problems)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"a user with email {email} already exists")
    user = User(email=email, name=name.strip(), role=role,
                password_hash=_password_hasher.hash(password))
    session.add(user)
    session.flush()
    _record(session, user, "user.create", detail={"email": email, "role": role})
    return user


def get_user(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == _normalize_email(email)))
    if user is None or not user.active:
        raise NotFound(f"no active user with email {email}")
    return user


def authenticate_user(session: Session, email: str, password: str) -> User | None:
    """The active user with this email and password, or None (no hint which was wrong)."""
    user = session.scalar(select(User).where(User.email == _normalize_email(email)))
    if user is None or not user.active:
        # Spend the same time as a real check so emails cannot be probed by timing.
        _password_hasher.hash(password)
        return None
    try:
        _password_hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if _password_hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _password_hasher.hash(password)
    return user


def _normalize_email(email: str) -> str:
    return email.strip().lower()


# ---------------------------------------------------------------- quotes: create and revise


def create_quote(session: Session, request: str | bytes | dict[str, Any] | QuoteRequest,
                 author: User, today: date | None = None, *, now: datetime | None = None,
                 rulebook: RuleBook | None = None) -> Quote:
    """Price the request and store it as revision 1 of a new numbered quote.

    The number (e.g. AR-2026-0042) comes from a per-market, per-year counter
    bumped inside this transaction: numbers are unique and gapless as long as
    the caller commits or rolls back the whole unit.
    """
    now = _now(now)
    parsed, priced = _price(request, today, rulebook)
    client = _client_for(session, parsed)
    rates = _exchange_rates_for(session, priced)
    year = (today or market_today(priced.market)).year
    sequence = _next_sequence(session, priced.market, year)
    status = S.PENDING_APPROVAL if priced.requires_approval else S.DRAFT
    quote = Quote(
        number=format_number(priced.market, year, sequence), market=priced.market, year=year,
        sequence=sequence, client_id=client.id, owner_id=author.id, status=status,
        current_revision=1, quote_date=priced.quote_date, valid_until=priced.valid_until,
        created_at=now, updated_at=now,
    )
    session.add(quote)
    session.flush()
    session.add(_revision(quote, 1, parsed, priced, rates, author, now))
    _record(session, author, "quote.create", quote, 1, None, status,
            {"rules_version": priced.rules_version}, now=now)
    session.flush()
    return quote


def revise_quote(session: Session, number: str,
                 request: str | bytes | dict[str, Any] | QuoteRequest, author: User,
                 today: date | None = None, *, now: datetime | None = None,
                 rulebook: RuleBook | None = None) -> Quote:
    """Store the edited request as revision n+1. A sent quote goes back to draft
    (or pending approval) and must be sent again; earlier revisions stay as they were."""
    now = _now(now)
    parsed, priced = _price(request, today, rulebook)
    quote = _quote_for_update(session, number)
    _require_editor(author, quote, "revise")
    if quote.status not in REVISABLE:
        raise InvalidTransition(
            f"{quote.number} is {quote.status} and can no longer be revised; "
            f"duplicate it to quote again"
        )
    if priced.market != quote.market:
        raise QuoteInputError.single(
            "market", f"{quote.number} is a {quote.market} quote; a {priced.market} request "
            f"needs a new quote")
    client = _client_for(session, parsed)
    rates = _exchange_rates_for(session, priced)
    revision = quote.current_revision + 1
    status = S.PENDING_APPROVAL if priced.requires_approval else S.DRAFT
    session.add(_revision(quote, revision, parsed, priced, rates, author, now))
    previous_status = quote.status
    quote.client_id = client.id
    quote.current_revision = revision
    quote.status = status
    quote.quote_date = priced.quote_date
    quote.valid_until = priced.valid_until
    quote.updated_at = now
    _record(session, author, "quote.revise", quote, revision, previous_status, status,
            {"rules_version": priced.rules_version}, now=now)
    session.flush()
    return quote


def duplicate_quote(session: Session, number: str, author: User, today: date | None = None, *,
                    now: datetime | None = None, rulebook: RuleBook | None = None) -> Quote:
    """A new quote from the current revision's request, dated and priced today."""
    source = get_quote(session, number)
    request = dict(_current(source).request)
    request.pop("date", None)
    duplicate = create_quote(session, request, author, today, now=now, rulebook=rulebook)
    _record(session, author, "quote.duplicate", duplicate, 1, None, duplicate.status,
            {"from": source.number}, now=now)
    return duplicate


def format_number(market: str, year: int, sequence: int) -> str:
    return f"{market}-{year}-{sequence:04d}"


def _price(request: str | bytes | dict[str, Any] | QuoteRequest, today: date | None,
           rulebook: RuleBook | None) -> tuple[QuoteRequest, PricedQuote]:
    parsed = request if isinstance(request, QuoteRequest) else parse_request(request)
    today = today or market_today(parsed.market.value)
    if parsed.date is None:
        # Store the date it was priced on, so the stored request reprices the same.
        parsed = parsed.model_copy(update={"date": today})
    return parsed, price_request(parsed, rulebook or default_rulebook(), today)


def _revision(quote: Quote, number: int, request: QuoteRequest, priced: PricedQuote,
              rates: list[dict[str, Any]], author: User, now: datetime) -> QuoteRevision:
    return QuoteRevision(
        quote=quote, revision=number, request=request.model_dump(mode="json"),
        priced=priced.to_dict(), rules_version=priced.rules_version, exchange_rates=rates,
        language=priced.language, quote_date=priced.quote_date, valid_until=priced.valid_until,
        requires_approval=priced.requires_approval, program_currency=priced.program.currency,
        program_total_minor=to_minor(priced.program.total.amount, priced.program.currency),
        license_currency=priced.licenses.currency,
        license_total_minor=to_minor(priced.licenses.total.amount, priced.licenses.currency),
        author=author, created_at=now,
    )


def _insert(session: Session) -> Any:
    return _insert_for(session.get_bind().dialect.name)


def _insert_for(dialect_name: str) -> Any:
    """INSERT with ON CONFLICT for the dialect (both speak it, through different classes)."""
    return pg_insert if dialect_name == "postgresql" else sqlite_insert


def _next_sequence(session: Session, market: str, year: int) -> int:
    """Bump the (market, year) counter and return the new value. The upsert
    locks the counter row until the transaction ends (PostgreSQL row lock;
    SQLite's BEGIN IMMEDIATE write lock), so concurrent creators queue here."""
    insert = _insert(session)
    statement = insert(QuoteCounter).values(market=market, year=year, last_sequence=1)
    statement = statement.on_conflict_do_update(
        index_elements=[QuoteCounter.market, QuoteCounter.year],
        set_={"last_sequence": QuoteCounter.last_sequence + 1},
    ).returning(QuoteCounter.last_sequence)
    sequence: int = session.execute(statement).scalar_one()
    return sequence


def _client_for(session: Session, request: QuoteRequest) -> Client:
    """The stored client for this country and (compact) tax ID, created on first use;
    the legal name follows the latest request, contacts accumulate."""
    country, tax_id = request.market.value, request.client.tax_id
    by_key = select(Client).where(Client.country == country, Client.tax_id == tax_id)
    client = session.scalars(by_key).one_or_none()
    if client is None:
        # Two sessions may meet a new client at once: let the database pick one row.
        session.execute(
            _insert(session)(Client)
            .values(country=country, tax_id=tax_id, legal_name=request.client.name,
                    created_at=datetime.now(UTC))
            .on_conflict_do_nothing(index_elements=[Client.country, Client.tax_id])
        )
        client = session.scalars(by_key).one()
    if client.legal_name != request.client.name:
        client.legal_name = request.client.name
    name, email = request.client.contact, request.client.email
    if name or email:
        known = session.scalar(select(ClientContact.id).where(
            ClientContact.client_id == client.id,
            ClientContact.name.is_(None) if name is None else ClientContact.name == name,
            ClientContact.email.is_(None) if email is None else ClientContact.email == email,
        ).limit(1))
        if known is None:
            session.add(ClientContact(client_id=client.id, name=name, email=email))
    return client


# ---------------------------------------------------------------- quotes: lifecycle


def send_quote(session: Session, number: str, actor: User, today: date | None = None, *,
               now: datetime | None = None) -> Quote:
    """Mark the current revision as sent: from here on it is frozen for good."""
    now = _now(now)
    quote = _quote_for_update(session, number)
    _require_editor(actor, quote, "send")
    if quote.status == S.PENDING_APPROVAL:
        raise InvalidTransition(
            f"{quote.number} has a discount above the {quote.market} limit: a finance or "
            f"admin user must approve it before it can be sent")
    if quote.status == S.DISCOUNT_REJECTED:
        raise InvalidTransition(
            f"{quote.number}'s discount was rejected: revise it before sending")
    _require_status(quote, "send", {S.DRAFT})
    if quote.valid_until < (today or market_today(quote.market)):
        raise InvalidTransition(
            f"{quote.number} was valid until {quote.valid_until}: revise it with a current "
            f"date before sending")
    revision = _current(quote)
    revision.sent_at = now
    return _move(session, quote, S.SENT, actor, "quote.send", now)


def accept_quote(session: Session, number: str, actor: User, today: date | None = None, *,
                 now: datetime | None = None) -> Quote:
    quote = _quote_for_update(session, number)
    _require_editor(actor, quote, "accept")
    _require_status(quote, "accept", {S.SENT})
    if quote.valid_until < (today or market_today(quote.market)):
        raise InvalidTransition(
            f"{quote.number} expired on {quote.valid_until}: it can no longer be accepted; "
            f"revise and send it again")
    return _move(session, quote, S.ACCEPTED, actor, "quote.accept", _now(now))


def decline_quote(session: Session, number: str, actor: User, *,
                  reason: str | None = None, now: datetime | None = None) -> Quote:
    quote = _quote_for_update(session, number)
    _require_editor(actor, quote, "decline")
    _require_status(quote, "decline", {S.SENT})
    return _move(session, quote, S.DECLINED, actor, "quote.decline", _now(now),
                 {"reason": reason} if reason else None)


def withdraw_quote(session: Session, number: str, actor: User, *,
                   reason: str | None = None, now: datetime | None = None) -> Quote:
    quote = _quote_for_update(session, number)
    _require_editor(actor, quote, "withdraw")
    _require_status(quote, "withdraw", WITHDRAWABLE)
    return _move(session, quote, S.WITHDRAWN, actor, "quote.withdraw", _now(now),
                 {"reason": reason} if reason else None)


def expire_due(session: Session, today: date | None = None, *,
               now: datetime | None = None) -> list[str]:
    """Expire every sent quote whose validity ended before today (each market's own
    today unless `today` is given); returns their numbers."""
    now = _now(now)
    # No market is more than a day ahead of UTC; narrow by market below.
    latest = today or (now.date() + timedelta(days=1))
    candidates = session.scalars(
        select(Quote).where(Quote.status == S.SENT, Quote.valid_until < latest)
        .order_by(Quote.id).with_for_update()
    ).all()
    expired = []
    for quote in candidates:
        day = today or market_today(quote.market)
        if quote.valid_until < day:
            _move(session, quote, S.EXPIRED, None, "quote.expire", now,
                  {"valid_until": quote.valid_until.isoformat(), "today": day.isoformat()})
            expired.append(quote.number)
    return expired


def approve_discount(session: Session, number: str, approver: User, reason: str, *,
                     now: datetime | None = None) -> Quote:
    return _decide(session, number, approver, reason, "approved", S.DRAFT, _now(now))


def reject_discount(session: Session, number: str, approver: User, reason: str, *,
                    now: datetime | None = None) -> Quote:
    return _decide(session, number, approver, reason, "rejected", S.DISCOUNT_REJECTED, _now(now))


def _decide(session: Session, number: str, approver: User, reason: str, decision: str,
            to_status: QuoteStatus, now: datetime) -> Quote:
    if approver.role not in MANAGERS:
        raise PermissionDenied(
            f"{approver.email} is {approver.role}: only finance or admin users can approve "
            f"or reject a discount")
    if not reason.strip():
        raise QuoteInputError.single("reason", "give the reason for the decision")
    quote = _quote_for_update(session, number)
    verb = "approve" if decision == "approved" else "reject"
    _require_status(quote, f"{verb} a discount on", {S.PENDING_APPROVAL})
    session.add(ApprovalDecision(quote_id=quote.id, revision=quote.current_revision,
                                 decision=decision, reason=reason.strip(),
                                 decided_by_id=approver.id, decided_at=now))
    return _move(session, quote, to_status, approver, f"discount.{verb}", now,
                 {"reason": reason.strip()})


def _move(session: Session, quote: Quote, to_status: QuoteStatus, actor: User | None,
          action: str, now: datetime, detail: dict[str, Any] | None = None) -> Quote:
    previous = quote.status
    quote.status = to_status
    quote.updated_at = now
    _record(session, actor, action, quote, quote.current_revision, previous, to_status,
            detail, now=now)
    session.flush()
    return quote


def _require_status(quote: Quote, verb: str, allowed: Iterable[QuoteStatus]) -> None:
    names = sorted(s.value for s in allowed)
    if quote.status not in names:
        raise InvalidTransition(
            f"cannot {verb} {quote.number}: it is {quote.status}; only a quote that is "
            f"{' or '.join(names)} can be")


def _require_editor(user: User, quote: Quote, verb: str) -> None:
    if user.role in MANAGERS or quote.owner_id == user.id:
        return
    raise PermissionDenied(
        f"{user.email} cannot {verb} {quote.number}: it belongs to {quote.owner.email}; "
        f"only its owner, finance or admin can")


# ---------------------------------------------------------------- reading


def get_quote(session: Session, number: str) -> Quote:
    quote = session.scalars(
        select(Quote).where(Quote.number == number.strip().upper())
        # Client and owner in the same query; the revisions in one more.
        .options(joinedload(Quote.client), joinedload(Quote.owner),
                 selectinload(Quote.revisions).joinedload(QuoteRevision.author))
    ).one_or_none()
    if quote is None:
        raise NotFound(f"no quote numbered {number}")
    return quote


def _quote_for_update(session: Session, number: str) -> Quote:
    quote = session.scalars(
        select(Quote).where(Quote.number == number.strip().upper()).with_for_update()
    ).one_or_none()
    if quote is None:
        raise NotFound(f"no quote numbered {number}")
    return quote


def _current(quote: Quote) -> QuoteRevision:
    return _revision_of(quote, quote.current_revision)


def _revision_of(quote: Quote, revision: int | None) -> QuoteRevision:
    wanted = quote.current_revision if revision is None else revision
    for candidate in quote.revisions:
        if candidate.revision == wanted:
            return candidate
    raise NotFound(f"{quote.number} has no revision {wanted} "
                   f"(revisions 1 to {quote.current_revision})")


@dataclass(frozen=True, slots=True)
class QuoteFilter:
    market: str | None = None
    status: str | None = None
    owner_email: str | None = None
    client_tax_id: str | None = None
    date_from: date | None = None  # quote date, inclusive
    date_to: date | None = None  # quote date, inclusive


@dataclass(frozen=True, slots=True)
class QuoteSummary:
    number: str
    market: str
    status: str
    revision: int
    quote_date: date
    valid_until: date
    client_name: str
    client_tax_id: str
    owner_email: str
    program_currency: str
    program_total: Decimal
    license_currency: str
    license_total: Decimal
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number, "market": self.market, "status": self.status,
            "revision": self.revision, "quote_date": self.quote_date.isoformat(),
            "valid_until": self.valid_until.isoformat(), "client_name": self.client_name,
            "client_tax_id": self.client_tax_id, "owner_email": self.owner_email,
            "program_currency": self.program_currency,
            "program_total": str(self.program_total),
            "license_currency": self.license_currency,
            "license_total": str(self.license_total), "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class QuotePage:
    items: list[QuoteSummary]
    # Pass back as `after` for the next page; None on the last page.
    next_cursor: str | None


def list_quotes(session: Session, filters: QuoteFilter | None = None, *, limit: int = 50,
                after: str | None = None) -> QuotePage:
    """Newest quote date first (then newest id), keyset-paginated: the cost of a
    page does not grow with how deep into the list it is."""
    filters = filters or QuoteFilter()
    if not 1 <= limit <= PAGE_SIZE_LIMIT:
        raise QuoteInputError.single("limit", f"between 1 and {PAGE_SIZE_LIMIT}")
    statement = _apply_filters(_summary_query(), filters)
    if after:
        cursor_date, cursor_id = _parse_cursor(after)
        statement = statement.where(tuple_(Quote.quote_date, Quote.id) < (cursor_date, cursor_id))
    rows = session.execute(
        statement.order_by(Quote.quote_date.desc(), Quote.id.desc()).limit(limit + 1)
    ).all()
    items = _summaries(rows[:limit])
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1][0]
        next_cursor = f"{last.quote_date.isoformat()}.{last.id}"
    return QuotePage(items, next_cursor)


def _summary_query() -> Select[Quote, str, int, str, int, str, str, str]:
    """A quote with its current revision's totals, client and owner: only the
    revision's summary columns, so its JSON documents are not decoded for a list."""
    return (
        select(Quote, QuoteRevision.program_currency, QuoteRevision.program_total_minor,
               QuoteRevision.license_currency, QuoteRevision.license_total_minor,
               Client.legal_name, Client.tax_id, User.email)
        .join(QuoteRevision, (QuoteRevision.quote_id == Quote.id)
              & (QuoteRevision.revision == Quote.current_revision))
        .join(Client, Client.id == Quote.client_id)
        .join(User, User.id == Quote.owner_id)
    )


def _summaries(rows: Sequence[Any]) -> list[QuoteSummary]:
    return [
        QuoteSummary(
            number=quote.number, market=quote.market, status=quote.status,
            revision=quote.current_revision, quote_date=quote.quote_date,
            valid_until=quote.valid_until, client_name=name, client_tax_id=tax_id,
            owner_email=email, program_currency=program_currency,
            program_total=from_minor(program_minor, program_currency),
            license_currency=license_currency,
            license_total=from_minor(license_minor, license_currency),
            created_at=quote.created_at,
        )
        for (quote, program_currency, program_minor, license_currency, license_minor, name,
             tax_id, email) in rows
    ]


def _apply_filters(statement: SelectT, filters: QuoteFilter) -> SelectT:
    if filters.market:
        statement = statement.where(Quote.market == filters.market.upper())
    if filters.status:
        if filters.status not in {s.value for s in QuoteStatus}:
            raise QuoteInputError.single("status", f"unknown status {filters.status!r}; "
                                         f"allowed: {', '.join(s.value for s in QuoteStatus)}")
        statement = statement.where(Quote.status == filters.status)
    if filters.owner_email:
        statement = statement.where(User.email == _normalize_email(filters.owner_email))
    if filters.client_tax_id:
        statement = statement.where(Client.tax_id == _compact_for_search(
            filters.market, filters.client_tax_id))
    if filters.date_from:
        statement = statement.where(Quote.quote_date >= filters.date_from)
    if filters.date_to:
        statement = statement.where(Quote.quote_date <= filters.date_to)
    return statement


def _compact_for_search(market: str | None, tax_id: str) -> str:
    if market:
        try:
            return compact_tax_id(market.upper(), tax_id)
        except (InvalidTaxId, KeyError) as exc:
            raise QuoteInputError.single("client_tax_id", str(exc)) from None
    return re.sub(r"[\s.\-/]", "", tax_id).upper()


def _parse_cursor(cursor: str) -> tuple[date, int]:
    try:
        day, ident = cursor.split(".")
        return date.fromisoformat(day), int(ident)
    except ValueError:
        raise QuoteInputError.single("after", f"{cursor!r} is not a page cursor") from None


def quote_events(session: Session, number: str) -> list[AuditEvent]:
    quote = get_quote(session, number)
    return list(session.scalars(
        select(AuditEvent).where(AuditEvent.quote_id == quote.id).order_by(AuditEvent.id)
    ))


def quote_view(session: Session, quote: Quote) -> dict[str, Any]:
    """The quote as JSON-ready data: header, every revision, approvals."""
    approvals = session.scalars(
        select(ApprovalDecision).where(ApprovalDecision.quote_id == quote.id)
        .order_by(ApprovalDecision.id)
    ).all()
    return {
        "number": quote.number,
        "market": quote.market,
        "status": quote.status,
        "current_revision": quote.current_revision,
        "quote_date": quote.quote_date.isoformat(),
        "valid_until": quote.valid_until.isoformat(),
        "client": {"legal_name": quote.client.legal_name, "country": quote.client.country,
                   "tax_id": quote.client.tax_id},
        "owner": {"email": quote.owner.email, "name": quote.owner.name},
        "created_at": quote.created_at.isoformat(),
        "updated_at": quote.updated_at.isoformat(),
        "revisions": [_revision_view(quote, r) for r in quote.revisions],
        "approvals": [
            {"revision": a.revision, "decision": a.decision, "reason": a.reason,
             "by": a.decided_by.email, "at": a.decided_at.isoformat()}
            for a in approvals
        ],
    }


def _revision_view(quote: Quote, revision: QuoteRevision) -> dict[str, Any]:
    return {
        "revision": revision.revision,
        "rules_version": revision.rules_version,
        "language": revision.language,
        "quote_date": revision.quote_date.isoformat(),
        "valid_until": revision.valid_until.isoformat(),
        "requires_approval": revision.requires_approval,
        "program_total": {"currency": revision.program_currency,
                          "amount": str(revision.program_total)},
        "license_total": {"currency": revision.license_currency,
                          "amount": str(revision.license_total)},
        "author": revision.author.email,
        "created_at": revision.created_at.isoformat(),
        "sent_at": revision.sent_at.isoformat() if revision.sent_at else None,
        "pdf_sha256": revision.pdf_sha256,
        "exchange_rates": revision.exchange_rates,
        "request": revision.request,
        "priced": revision.priced,
    }


def revision_snapshot(session: Session, number: str, revision: int | None = None
                      ) -> dict[str, Any]:
    """What the PDF renderer needs, from stored data only (the current revision by default).

    Keys: number, revision, status ("sent" once this revision was sent, else the
    quote's status if it is current, else "superseded"), created_at (ISO),
    sent_at (ISO or None), request, priced, exchange_rates (pair, rate, source,
    date, missing), language, valid_until, rules_version, author.
    """
    quote = get_quote(session, number)
    stored = _revision_of(quote, revision)
    if stored.revision == quote.current_revision:
        status = quote.status
    else:
        status = "sent" if stored.sent_at else "superseded"
    return {
        "number": quote.number,
        "revision": stored.revision,
        "status": status,
        "created_at": stored.created_at.isoformat(),
        "sent_at": stored.sent_at.isoformat() if stored.sent_at else None,
        "request": stored.request,
        "priced": stored.priced,
        "exchange_rates": stored.exchange_rates,
        "language": stored.language,
        "valid_until": stored.valid_until.isoformat(),
        "rules_version": stored.rules_version,
        "author": {"email": stored.author.email, "name": stored.author.name},
    }


def record_pdf_sha256(session: Session, number: str, revision: int, sha256: str) -> None:
    """Remember the SHA-256 of a revision's PDF; set once, the same value again is fine."""
    sha256 = sha256.strip().lower()
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise QuoteInputError.single("sha256", "64 hexadecimal characters")
    quote = get_quote(session, number)
    stored = _revision_of(quote, revision)
    if stored.pdf_sha256 == sha256:
        return
    if stored.pdf_sha256 is not None:
        raise Conflict(f"{quote.number} revision {revision} already has PDF SHA-256 "
                       f"{stored.pdf_sha256}; a stored revision's PDF does not change")
    stored.pdf_sha256 = sha256
    _record(session, None, "revision.pdf", quote, revision, detail={"sha256": sha256})
    session.flush()


def archive_pdf(session: Session, number: str, revision: int, pdf: bytes) -> str:
    """Keep a sent revision's PDF as sent: its SHA-256 on the revision (set once)
    and its bytes in revision_pdfs, from which it is served from then on."""
    quote = get_quote(session, number)
    stored = _revision_of(quote, revision)
    if stored.sent_at is None:
        raise Conflict(f"{quote.number} revision {revision} was not sent: only a sent "
                       f"revision's PDF is archived")
    sha256 = hashlib.sha256(pdf).hexdigest()
    record_pdf_sha256(session, quote.number, revision, sha256)
    if session.get(RevisionPdf, stored.id) is None:
        session.add(RevisionPdf(revision_id=stored.id, sha256=sha256, pdf=pdf))
        session.flush()
    return sha256


def archived_pdf(session: Session, number: str, revision: int) -> bytes | None:
    """The PDF kept when the revision was sent, or None if none was kept."""
    stored = _revision_of(get_quote(session, number), revision)
    archived = session.get(RevisionPdf, stored.id)
    return archived.pdf if archived is not None else None


# ---------------------------------------------------------------- exchange rates

RATES_CSV_COLUMNS = ("pair", "date", "rate", "source")


@dataclass(frozen=True, slots=True)
class RatesImport:
    added: int
    unchanged: int


def import_rates_csv(session: Session, text: str, *, actor: User | None = None) -> RatesImport:
    """Import `pair,date,rate,source` rows (pair like USD/ARS: 1 USD = rate ARS).

    All or nothing: any bad row refuses the whole file, each problem named by
    line. A row identical to a stored one is skipped; a different rate for a
    stored pair and date is refused (quotes keep their own copy, but a
    published rate does not change).
    """
    reader = csv.DictReader(io.StringIO(text))
    header = tuple(name.strip().lower() for name in reader.fieldnames or ())
    if header != RATES_CSV_COLUMNS:
        raise QuoteInputError.single(
            "line 1", f"expected the header {','.join(RATES_CSV_COLUMNS)}, got "
            f"{','.join(header) or 'nothing'}")
    problems: list[FieldProblem] = []
    rows: dict[tuple[str, str, date], tuple[str, str, int]] = {}
    for line_number, row in enumerate(reader, start=2):
        where = f"line {line_number}"
        values = {key.strip().lower(): (value or "").strip()
                  for key, value in row.items() if key is not None}
        try:
            parsed = _parse_rate_row(values)
        except ValueError as exc:
            problems.append(FieldProblem(where, str(exc)))
            continue
        base, quote_currency, day, rate, source = parsed
        key = (base, quote_currency, day)
        if key in rows and rows[key][:2] != (rate, source):
            problems.append(FieldProblem(
                where, f"{base}/{quote_currency} on {day} is already on line {rows[key][2]} "
                f"with another rate"))
        rows[key] = (rate, source, line_number)
    stored = {
        (r.base_currency, r.quote_currency, r.rate_date): r
        for r in session.scalars(select(ExchangeRate).where(
            tuple_(ExchangeRate.base_currency, ExchangeRate.quote_currency,
                   ExchangeRate.rate_date).in_(list(rows))))
    } if rows else {}
    added = unchanged = 0
    for key, (rate, source, line_number) in rows.items():
        existing = stored.get(key)
        if existing is None:
            continue
        if to_decimal(existing.rate) == to_decimal(rate) and existing.source == source:
            unchanged += 1
        else:
            problems.append(FieldProblem(
                f"line {line_number}",
                f"{key[0]}/{key[1]} on {key[2]} is already stored as {existing.rate} "
                f"({existing.source})"))
    if problems:
        raise QuoteInputError(problems)
    for key, (rate, source, _line) in rows.items():
        if key not in stored:
            session.add(ExchangeRate(base_currency=key[0], quote_currency=key[1],
                                     rate_date=key[2], rate=rate, source=source))
            added += 1
    _record(session, actor, "rates.import", detail={"added": added, "unchanged": unchanged})
    session.flush()
    return RatesImport(added, unchanged)


def _parse_rate_row(values: dict[str, str]) -> tuple[str, str, date, str, str]:
    pair = values.get("pair", "").upper()
    match = re.fullmatch(r"([A-Z]{3})/([A-Z]{3})", pair)
    if not match:
        raise ValueError(f"pair {pair!r} should look like USD/ARS")
    base, quote_currency = match.groups()
    for code in (base, quote_currency):
        if not is_known_currency(code):
            raise ValueError(f"unknown currency {code} in {pair}")
    if base == quote_currency:
        raise ValueError(f"pair {pair} converts a currency to itself")
    try:
        day = date.fromisoformat(values.get("date", ""))
    except ValueError:
        raise ValueError(f"date {values.get('date')!r} should be YYYY-MM-DD") from None
    try:
        rate = to_decimal(values.get("rate", ""))
    except MoneyError as exc:
        raise ValueError(f"rate: {exc}") from None
    if rate <= 0:
        raise ValueError(f"rate {rate} must be positive")
    source = values.get("source", "")
    if not source:
        raise ValueError("source is empty; name who published the rate (e.g. Banxico FIX)")
    return base, quote_currency, day, str(rate), source


def rate_in_force(session: Session, base: str, quote_currency: str, on: date
                  ) -> ExchangeRate | None:
    """The latest rate for the pair published on or before `on`; never inverted or guessed."""
    return session.scalars(
        select(ExchangeRate).where(
            ExchangeRate.base_currency == base, ExchangeRate.quote_currency == quote_currency,
            ExchangeRate.rate_date <= on,
        ).order_by(ExchangeRate.rate_date.desc()).limit(1)
    ).first()


def _exchange_rates_for(session: Session, priced: PricedQuote) -> list[dict[str, Any]]:
    """Licenses in another currency than the program: store license→program rate in force."""
    base, target = priced.licenses.currency, priced.program.currency
    if base == target or not priced.licenses.lines:
        return []
    found = rate_in_force(session, base, target, priced.quote_date)
    if found is None:
        return [{"pair": f"{base}/{target}", "base": base, "quote": target, "rate": None,
                 "source": None, "date": None, "missing": True}]
    return [{"pair": found.pair, "base": base, "quote": target, "rate": found.rate,
             "source": found.source, "date": found.rate_date.isoformat(), "missing": False}]


# ---------------------------------------------------------------- audit


def _record(session: Session, actor: User | None, action: str, quote: Quote | None = None,
            revision: int | None = None, from_status: str | None = None,
            to_status: str | None = None, detail: dict[str, Any] | None = None, *,
            now: datetime | None = None) -> None:
    session.add(AuditEvent(
        at=_now(now), actor_id=actor.id if actor else None,
        actor=actor.email if actor else SYSTEM_ACTOR, action=action,
        quote_id=quote.id if quote else None, revision=revision, from_status=from_status,
        to_status=to_status, detail=detail or {},
    ))


def count_quotes(session: Session, market: str | None = None) -> int:
    statement = select(func.count(Quote.id))
    if market:
        statement = statement.where(Quote.market == market)
    return session.scalar(statement) or 0


def stored_numbers(session: Session, market: str, year: int) -> Sequence[int]:
    return session.scalars(
        select(Quote.sequence).where(Quote.market == market, Quote.year == year)
        .order_by(Quote.sequence)
    ).all()


# ---------------------------------------------------------------- sales desk (web) reading
# Added for the browser's quote list and client picker: text search and sorting
# with numbered pages, the people who own quotes, and known clients.

QUOTE_SORTS = {
    "-date": (Quote.quote_date.desc(), Quote.id.desc()),
    "date": (Quote.quote_date.asc(), Quote.id.asc()),
    "number": (Quote.number.asc(),),
    "-number": (Quote.number.desc(),),
    "client": (Client.legal_name.asc(), Quote.id.desc()),
    "-client": (Client.legal_name.desc(), Quote.id.desc()),
    "status": (Quote.status.asc(), Quote.id.desc()),
    "-updated": (Quote.updated_at.desc(), Quote.id.desc()),
}


@dataclass(frozen=True, slots=True)
class QuoteSearchPage:
    items: list[QuoteSummary]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def search_quotes(session: Session, filters: QuoteFilter | None = None, text: str = "", *,
                  sort: str = "-date", page: int = 1, per_page: int = 25) -> QuoteSearchPage:
    """Quotes matching the filters and a free text (part of the number, the client's
    name or tax ID), sorted by one of QUOTE_SORTS, one numbered page."""
    filters = filters or QuoteFilter()
    if sort not in QUOTE_SORTS:
        raise QuoteInputError.single("sort", f"unknown sort {sort!r}; allowed: "
                                     + ", ".join(QUOTE_SORTS))
    if not 1 <= per_page <= PAGE_SIZE_LIMIT:
        raise QuoteInputError.single("per_page", f"between 1 and {PAGE_SIZE_LIMIT}")
    page = max(1, page)
    base = _apply_filters(_summary_query(), filters)
    words = text.strip()
    if words:
        like, compact = _search_patterns(words)
        base = base.where(Quote.number.ilike(like) | Client.legal_name.ilike(like)
                          | Client.tax_id.ilike(compact))
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = session.execute(
        base.order_by(*QUOTE_SORTS[sort]).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return QuoteSearchPage(_summaries(rows), total, page, per_page)


def list_users(session: Session) -> list[User]:
    """Active users, by name (for choosing an owner in a filter)."""
    return list(session.scalars(select(User).where(User.active.is_(True)).order_by(User.name)))


def find_clients(session: Session, market: str, text: str, *, limit: int = 8) -> list[Client]:
    """Known clients of a market whose legal name or tax ID contains `text`, with contacts."""
    words = text.strip()
    if not words:
        return []
    like, compact = _search_patterns(words)
    return list(session.scalars(
        select(Client).where(Client.country == market.upper(),
                             Client.legal_name.ilike(like) | Client.tax_id.ilike(compact))
        .options(selectinload(Client.contacts)).order_by(Client.legal_name).limit(limit)
    ))


def _search_patterns(words: str) -> tuple[str, str]:
    """LIKE patterns for a text as typed and for a tax ID without its punctuation."""
    plain = words.replace("%", "").replace("_", "")
    return f"%{plain}%", "%" + re.sub(r"[\s.\-/]", "", plain).upper() + "%"
