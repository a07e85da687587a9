"""Lists of quotes for the desk and the CLI: filters, free-text search (accents and
case ignored), sorting, numbered pages and keyset pages."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Select, func, select, tuple_
from sqlalchemy.orm import Session

from quoting.errors import QuoteInputError
from quoting.services.clients import contains_pattern, search_patterns
from quoting.services.users import normalize_email
from quoting.store.models import (
    Client,
    Quote,
    QuoteRevision,
    QuoteStatus,
    User,
    from_minor,
)
from quoting.taxid import InvalidTaxId, compact_tax_id

PAGE_SIZE_LIMIT = 500
DRAFT_REFERENCE = re.compile(r"D-?0*(\d{1,12})")
SelectT = TypeVar("SelectT", bound=Select)  # type: ignore[type-arg]


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
    number: str | None
    ref: str
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
            "number": self.number, "reference": self.ref, "market": self.market,
            "status": self.status,
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
               Quote.client_name, Client.tax_id, User.email)
        .join(QuoteRevision, (QuoteRevision.quote_id == Quote.id)
              & (QuoteRevision.revision == Quote.current_revision))
        .join(Client, Client.id == Quote.client_id)
        .join(User, User.id == Quote.owner_id)
    )


def _summaries(rows: Sequence[Any]) -> list[QuoteSummary]:
    return [
        QuoteSummary(
            number=quote.number, ref=quote.ref, market=quote.market, status=quote.status,
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
    if filters.status != QuoteStatus.DELETED:  # deleted drafts only when asked for
        statement = statement.where(Quote.status != QuoteStatus.DELETED)
    if filters.market:
        statement = statement.where(Quote.market == filters.market.upper())
    if filters.status:
        if filters.status not in {s.value for s in QuoteStatus}:
            raise QuoteInputError.single("status", f"unknown status {filters.status!r}; "
                                         f"allowed: {', '.join(s.value for s in QuoteStatus)}")
        statement = statement.where(Quote.status == filters.status)
    if filters.owner_email:
        statement = statement.where(User.email == normalize_email(filters.owner_email))
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


def count_quotes(session: Session, market: str | None = None) -> int:
    statement = select(func.count(Quote.id))
    if market:
        statement = statement.where(Quote.market == market)
    return session.scalar(statement) or 0


def stored_numbers(session: Session, market: str, year: int) -> Sequence[int | None]:
    return session.scalars(
        select(Quote.sequence).where(Quote.market == market, Quote.year == year)
        .order_by(Quote.sequence)
    ).all()


QUOTE_SORTS: dict[str, tuple[Any, ...]] = {
    "-date": (Quote.quote_date.desc(), Quote.id.desc()),
    "date": (Quote.quote_date.asc(), Quote.id.asc()),
    "number": (Quote.number.asc().nulls_last(), Quote.id.asc()),
    "-number": (Quote.number.desc().nulls_last(), Quote.id.desc()),
    "client": (Quote.client_name_folded.asc(), Quote.id.desc()),
    "-client": (Quote.client_name_folded.desc(), Quote.id.desc()),
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
        folded, compact = search_patterns(words)
        matches = (Quote.number.like(contains_pattern(words.upper()), escape="\\")
                   | Quote.client_name_folded.like(folded, escape="\\")
                   | Client.tax_id.like(compact, escape="\\"))
        draft = DRAFT_REFERENCE.fullmatch(words.upper())
        if draft:
            matches = matches | (Quote.id == int(draft.group(1)))
        base = base.where(matches)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = session.execute(
        base.order_by(*QUOTE_SORTS[sort]).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return QuoteSearchPage(_summaries(rows), total, page, per_page)
