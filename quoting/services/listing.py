"""The desk's list of quotes: the one QuoteQuery (quoting.services.history), plus
free-text search (accents and case ignored), sorting and numbered pages."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from quoting.errors import QuoteInputError
from quoting.services.clients import contains_pattern, search_patterns
from quoting.services.history import QuoteQuery, apply_query
from quoting.store.models import (
    Client,
    Quote,
    QuoteRevision,
    User,
    from_minor,
)
from quoting.taxid import InvalidTaxId, compact_tax_id

PAGE_SIZE_LIMIT = 500
DRAFT_REFERENCE = re.compile(r"D-?0*(\d{1,12})")


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


def compact_tax_id_for_query(market: str | None, tax_id: str) -> str:
    """A tax ID as typed, in the compact form clients are stored under (checked for the
    market when one is given)."""
    if market:
        try:
            return compact_tax_id(market.upper(), tax_id)
        except (InvalidTaxId, KeyError) as exc:
            raise QuoteInputError.single("client_tax_id", str(exc)) from None
    return re.sub(r"[\s.\-/]", "", tax_id).upper()


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


def search_quotes(session: Session, query: QuoteQuery | None = None, text: str = "", *,
                  sort: str = "-date", page: int = 1, per_page: int = 25,
                  owner_id: int | None = None) -> QuoteSearchPage:
    """Quotes matching the query (the same QuoteQuery as finance's list and exports) and
    a free text (part of the number or draft reference, the client's name or tax ID),
    sorted by one of QUOTE_SORTS, one numbered page."""
    if sort not in QUOTE_SORTS:
        raise QuoteInputError.single("sort", f"unknown sort {sort!r}; allowed: "
                                     + ", ".join(QUOTE_SORTS))
    if not 1 <= per_page <= PAGE_SIZE_LIMIT:
        raise QuoteInputError.single("per_page", f"between 1 and {PAGE_SIZE_LIMIT}")
    page = max(1, page)
    base = apply_query(_summary_query(), query or QuoteQuery())
    if owner_id is not None:  # see owner_restriction
        base = base.where(Quote.owner_id == owner_id)
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
