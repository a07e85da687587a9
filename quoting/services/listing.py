"""The desk's list of quotes: the one QuoteQuery (quoting.services.history), plus
free-text search (accents and case ignored), sorting and numbered pages."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from quoting.errors import QuoteInputError
from quoting.services.clients import contains_pattern, search_patterns
from quoting.services.history import QuoteQuery, quotes_select
from quoting.store.models import (
    Client,
    Quote,
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


def _summaries(rows: Sequence[Any]) -> list[QuoteSummary]:
    """Rows of (quote, client tax ID, owner email): the quote carries its current
    revision's totals, so no revision (nor its JSON documents) is read for a list."""
    return [
        QuoteSummary(
            number=quote.number, ref=quote.ref, market=quote.market, status=quote.status,
            revision=quote.current_revision, quote_date=quote.quote_date,
            valid_until=quote.valid_until, client_name=quote.client_name,
            client_tax_id=tax_id, owner_email=email,
            program_currency=quote.program_currency,
            program_total=from_minor(quote.program_total_minor, quote.program_currency),
            license_currency=quote.license_currency,
            license_total=from_minor(quote.license_total_minor, quote.license_currency),
            created_at=quote.created_at,
        )
        for quote, tax_id, email in rows
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
    query = query or QuoteQuery()
    conditions = []
    if owner_id is not None:  # see owner_restriction
        conditions.append(Quote.owner_id == owner_id)
    words = text.strip()
    if words:
        conditions.append(_text_matches(session, words))
    # The count joins only what a filter needs; the page joins clients and owners for
    # the tax IDs and emails it shows.
    total = session.scalar(quotes_select([func.count()], query).where(*conditions)) or 0
    rows = session.execute(
        quotes_select([Quote, Client.tax_id, User.email], query, client=True, owner=True)
        .where(*conditions)
        .order_by(*QUOTE_SORTS[sort]).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return QuoteSearchPage(_summaries(rows), total, page, per_page)


# At most this many clients whose tax ID matches a search are named to the database one
# by one (beyond, it finds them itself; such a search matches most quotes anyway).
CLIENTS_NAMED = 500


def _text_matches(session: Session, words: str) -> ColumnElement[bool]:
    """Part of the number, of the client's name as quoted (accents and case ignored) or
    of the client's tax ID; or the draft reference.

    The clients whose tax ID matches are looked up first, so every arm of the OR is a
    condition on the quotes table with an index behind it on PostgreSQL (the trigram
    index ix_quotes_search, the client index): it combines them as bitmap scans, and
    knowing how few clients match keeps its estimate (and plan) right. SQLite has no
    index for a "contains": it reads the quotes table once."""
    folded, compact = search_patterns(words)
    arms: list[ColumnElement[bool]] = [
        Quote.number.like(contains_pattern(words.upper()), escape="\\"),
        Quote.client_name_folded.like(folded, escape="\\")]
    by_tax_id = select(Client.id).where(Client.tax_id.like(compact, escape="\\"))
    client_ids = session.scalars(by_tax_id.limit(CLIENTS_NAMED + 1)).all()
    if len(client_ids) > CLIENTS_NAMED:
        arms.append(Quote.client_id.in_(by_tax_id))
    elif client_ids:
        arms.append(Quote.client_id.in_(client_ids))
    draft = DRAFT_REFERENCE.fullmatch(words.upper())
    if draft:
        arms.append(Quote.id == int(draft.group(1)))
    return or_(*arms)
