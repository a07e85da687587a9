"""Quote history for finance: filtered, sorted, keyset-paginated rows, a
streaming iterator over all of them, and a summary by market, currency,
status and month (optionally converted with the stored exchange rates).

Read-only queries over the store models, shared by the JSON API, its CSV and
NDJSON exports and the benchmark. Rows are plain dicts of JSON-ready values
(money as decimal strings, datetimes in ISO 8601 with their UTC offset), built
from selected columns rather than ORM objects so that an export of every
quote runs in constant memory.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Select,
    func,
    literal,
    literal_column,
    select,
    true,
    tuple_,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from quoting.errors import QuoteInputError
from quoting.money import minor_units
from quoting.store.client_links import ClientDecision
from quoting.store.models import (
    Client,
    Quote,
    QuoteRevision,
    QuoteStatus,
    User,
    draft_reference,
    from_minor,
)

EXPORT_BATCH = 1000
SelectT = TypeVar("SelectT", bound=Select)  # type: ignore[type-arg]


class SortKey(StrEnum):
    QUOTE_DATE_DESC = "-quote_date"
    QUOTE_DATE = "quote_date"
    CREATED_AT_DESC = "-created_at"
    CREATED_AT = "created_at"
    NUMBER_DESC = "-number"
    NUMBER = "number"
    PROGRAM_TOTAL_DESC = "-program_total"
    PROGRAM_TOTAL = "program_total"

    @property
    def descending(self) -> bool:
        return self.value.startswith("-")

    @property
    def column_name(self) -> str:
        return self.value.lstrip("-")


@dataclass(frozen=True, slots=True)
class QuoteQuery:
    """Every bound is inclusive; a date bound on a timestamp covers that whole UTC day."""

    market: str | None = None
    status: str | None = None
    currency: str | None = None  # the program's currency
    client_tax_id: str | None = None  # compact form (no dots, dashes or spaces)
    owner_email: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    sent_from: datetime | None = None  # the current revision's sending time
    sent_to: datetime | None = None
    quote_date_from: date | None = None
    quote_date_to: date | None = None
    amount_min: Decimal | None = None  # program total, in `currency`
    amount_max: Decimal | None = None


@dataclass(frozen=True, slots=True)
class HistoryPage:
    items: list[dict[str, Any]]
    next_cursor: str | None


SECTION_AMOUNTS = (("program", "net"), ("program", "tax"), ("licenses", "net"),
                   ("licenses", "tax"))


def _rows(dialect: str) -> Select[Any]:
    """The listing's SELECT: quote, current revision, client and owner columns, plus
    net and tax of both sections from the priced JSON (only totals have columns).

    Reading four paths from a large JSON document costs a parse (SQLite) or a
    decompression (PostgreSQL TOAST) per path; both databases here read it once per
    row: SQLite with one multi-path json_extract, PostgreSQL through a LATERAL that
    detoasts the document once (OFFSET 0 keeps it from being inlined).
    """
    priced = QuoteRevision.priced
    once: Any = None
    if dialect == "sqlite":
        paths = [f"$.{section}.{name}" for section, name in SECTION_AMOUNTS]
        amounts = [func.json_extract(priced, *paths).label("amounts")]
    elif dialect == "postgresql":
        copy = priced.op("||", return_type=JSONB)(literal_column("'{}'::jsonb"))
        once = (select(copy.label("document")).correlate(QuoteRevision).offset(0)
                .lateral("priced_once"))
        amounts = [once.c.document[path].as_string() for path in SECTION_AMOUNTS]
    else:
        amounts = [priced[path].as_string() for path in SECTION_AMOUNTS]
    statement = base_select([
        Quote.id, Quote.number, Quote.market, Quote.status, Quote.current_revision,
        Quote.quote_date, Quote.valid_until, Quote.created_at, Quote.updated_at,
        Quote.client_name, Client.tax_id, Client.country, User.email, User.name,
        QuoteRevision.rules_version, QuoteRevision.language, QuoteRevision.sent_at,
        QuoteRevision.program_currency, QuoteRevision.program_total_minor,
        QuoteRevision.license_currency, QuoteRevision.license_total_minor,
        ClientDecision.decision, ClientDecision.decided_at, ClientDecision.signer_name,
        ClientDecision.signer_position, ClientDecision.po_number, ClientDecision.pdf_sha256,
        *amounts,
    ])
    # The client's decision on the current revision (at most one: unique per revision).
    statement = statement.outerjoin(ClientDecision, (ClientDecision.quote_id == Quote.id)
                                    & (ClientDecision.revision == Quote.current_revision))
    return statement.join(once, true()) if once is not None else statement


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def base_select(columns: list[Any], *, client: bool = True, owner: bool = True) -> Select[Any]:
    statement = (
        select(*columns)
        .select_from(Quote)
        .join(QuoteRevision, (QuoteRevision.quote_id == Quote.id)
              & (QuoteRevision.revision == Quote.current_revision))
    )
    if client:
        statement = statement.join(Client, Client.id == Quote.client_id)
    if owner:
        statement = statement.join(User, User.id == Quote.owner_id)
    return statement


def quotes_select(columns: list[Any], filters: QuoteQuery, *, client: bool = False,
                  owner: bool = False) -> Select[Any]:
    """`columns` of the quotes matching `filters`. Only what a filter (or the caller)
    needs is joined: the current revision for the sending time, the client for its tax
    ID, the owner for the email; the rest is on the quote itself."""
    statement = select(*columns).select_from(Quote)
    if filters.sent_from or filters.sent_to:
        statement = statement.join(QuoteRevision, (QuoteRevision.quote_id == Quote.id)
                                   & (QuoteRevision.revision == Quote.current_revision))
    if client or filters.client_tax_id:
        statement = statement.join(Client, Client.id == Quote.client_id)
    if owner or filters.owner_email:
        statement = statement.join(User, User.id == Quote.owner_id)
    return apply_query(statement, filters)


def apply_query(statement: SelectT, filters: QuoteQuery) -> SelectT:
    """Narrow a SELECT of quotes that joins what the filters need (see quotes_select):
    current revisions for `sent_*`, clients for `client_tax_id`, owners for `owner_email`.
    Currency and amounts are the current revision's, as the quote carries them."""
    conditions: list[ColumnElement[bool]] = []
    if filters.status != QuoteStatus.DELETED:  # deleted drafts only when asked for
        conditions.append(Quote.status != QuoteStatus.DELETED)
    if filters.market:
        conditions.append(Quote.market == filters.market)
    if filters.status:
        conditions.append(Quote.status == filters.status)
    if filters.currency:
        conditions.append(Quote.program_currency == filters.currency)
    if filters.client_tax_id:
        conditions.append(Client.tax_id == filters.client_tax_id)
    if filters.owner_email:
        conditions.append(User.email == filters.owner_email.strip().lower())
    if filters.created_from:
        conditions.append(Quote.created_at >= filters.created_from)
    if filters.created_to:
        conditions.append(Quote.created_at <= filters.created_to)
    if filters.sent_from:
        conditions.append(QuoteRevision.sent_at >= filters.sent_from)
    if filters.sent_to:
        conditions.append(QuoteRevision.sent_at <= filters.sent_to)
    if filters.quote_date_from:
        conditions.append(Quote.quote_date >= filters.quote_date_from)
    if filters.quote_date_to:
        conditions.append(Quote.quote_date <= filters.quote_date_to)
    if filters.amount_min is not None or filters.amount_max is not None:
        if not filters.currency:
            raise QuoteInputError.single(
                "amount_min" if filters.amount_min is not None else "amount_max",
                "give `currency` too: amounts in different currencies cannot be compared")
        digits = minor_units(filters.currency)
        if filters.amount_min is not None:
            minimum = int(filters.amount_min.scaleb(digits).to_integral_value(ROUND_CEILING))
            conditions.append(Quote.program_total_minor >= minimum)
        if filters.amount_max is not None:
            maximum = int(filters.amount_max.scaleb(digits).to_integral_value(ROUND_FLOOR))
            conditions.append(Quote.program_total_minor <= maximum)
    return statement.where(*conditions) if conditions else statement


def _sort_column(sort: SortKey) -> Any:
    return {
        "quote_date": Quote.quote_date,
        "created_at": Quote.created_at,
        # Drafts have no number yet: they sort as "" (first ascending), so the keyset
        # cursor always has a value to compare.
        "number": func.coalesce(Quote.number, ""),
        "program_total": QuoteRevision.program_total_minor,
    }[sort.column_name]


def _ordered(statement: Select[Any], sort: SortKey, after: tuple[Any, int] | None
             ) -> Select[Any]:
    column = _sort_column(sort)
    if after is not None:
        value, ident = after
        key = tuple_(column, Quote.id)
        bound = tuple_(literal(value, type_=column.type), literal(ident))
        statement = statement.where(key < bound if sort.descending else key > bound)
    if sort.descending:
        return statement.order_by(column.desc(), Quote.id.desc())
    return statement.order_by(column.asc(), Quote.id.asc())


def _row_dict(row: Any) -> dict[str, Any]:
    (_id, number, market, status, current_revision, quote_date, valid_until, created_at,
     updated_at, legal_name, tax_id, country, email, owner_name, rules_version, language,
     sent_at, program_currency, program_total_minor, license_currency, license_total_minor,
     decision, decided_at, signer_name, signer_position, po_number, decision_sha256,
     *amounts) = row
    if len(amounts) == 1:
        amounts = json.loads(amounts[0])
    program_net, program_tax, license_net, license_tax = amounts
    return {
        "number": number,
        "reference": number or draft_reference(_id),
        "market": market,
        "status": status,
        "current_revision": current_revision,
        "client": {"name": legal_name, "tax_id": tax_id, "country": country},
        "owner": {"email": email, "name": owner_name},
        "program": {"currency": program_currency, "net": program_net, "tax": program_tax,
                    "total": str(from_minor(program_total_minor, program_currency))},
        "licenses": {"currency": license_currency, "net": license_net, "tax": license_tax,
                     "total": str(from_minor(license_total_minor, license_currency))},
        "rules_version": rules_version,
        "language": language,
        "quote_date": quote_date.isoformat(),
        "valid_until": valid_until.isoformat(),
        "created_at": created_at.isoformat(),
        "updated_at": updated_at.isoformat(),
        "sent_at": sent_at.isoformat() if sent_at else None,
        "client_decision": None if decision is None else {
            "decision": decision, "decided_at": decided_at.isoformat(),
            "signer_name": signer_name, "signer_position": signer_position,
            "po_number": po_number, "pdf_sha256": decision_sha256},
    }


# ---------------------------------------------------------------- cursors


def encode_cursor(sort: SortKey, value: Any, ident: int) -> str:
    if isinstance(value, date | datetime):
        value = value.isoformat()
    raw = json.dumps([sort.value, value, ident], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort: SortKey) -> tuple[Any, int]:
    problem = QuoteInputError.single("cursor", "not a cursor from this list; pass back "
                                     "`next_cursor` exactly as received")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        cursor_sort, value, ident = json.loads(raw)
    except (ValueError, TypeError, binascii.Error):
        raise problem from None
    if cursor_sort != sort.value:
        raise QuoteInputError.single("cursor", f"this cursor belongs to sort={cursor_sort}; "
                                     f"keep the sort while paging")
    if not isinstance(ident, int) or isinstance(ident, bool) or not 0 <= ident < 2**31:
        raise problem
    try:
        column = sort.column_name
        if column == "quote_date" and isinstance(value, str):
            return date.fromisoformat(value), ident
        if column == "created_at" and isinstance(value, str):
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is None:
                raise ValueError
            return moment.astimezone(UTC), ident
        if column == "number" and isinstance(value, str) and len(value) <= 20:
            if not value.isprintable():
                raise ValueError
            return value, ident
        if (column == "program_total" and isinstance(value, int)
                and not isinstance(value, bool) and abs(value) < 2**63):
            return value, ident
    except (ValueError, OverflowError):
        pass
    raise problem


def _cursor_value(row: Any, sort: SortKey) -> Any:
    return {"quote_date": row.quote_date, "created_at": row.created_at,
            "number": row.number or "", "program_total": row.program_total_minor}[sort.column_name]


# ---------------------------------------------------------------- listing and export


def list_history(session: Session, filters: QuoteQuery, *,
                 sort: SortKey = SortKey.QUOTE_DATE_DESC, limit: int = 50,
                 cursor: str | None = None) -> HistoryPage:
    """One page in a stable order (the sort key, then the quote's id as tie-breaker)."""
    after = decode_cursor(cursor, sort) if cursor else None
    statement = _ordered(apply_query(_rows(_dialect(session)), filters), sort,
                         after)
    rows = session.execute(statement.limit(limit + 1)).all()
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor(sort, _cursor_value(last, sort), last.id)
    return HistoryPage([_row_dict(row) for row in rows[:limit]], next_cursor)


def iter_history(session: Session, filters: QuoteQuery, *,
                 sort: SortKey = SortKey.QUOTE_DATE_DESC, batch: int | None = None
                 ) -> Iterator[dict[str, Any]]:
    """Every matching row, fetched in keyset batches: memory stays flat whatever the
    count, and each batch is its own short read (no transaction held for the whole
    export, which on SQLite would hold the write lock)."""
    # Built now, so bad filters are refused before anything is streamed.
    statement = apply_query(_rows(_dialect(session)), filters)

    size = batch or EXPORT_BATCH

    def rows() -> Iterator[dict[str, Any]]:
        after: tuple[Any, int] | None = None
        while True:
            found = session.execute(_ordered(statement, sort, after).limit(size)).all()
            session.rollback()  # end the read; nothing was written
            for row in found:
                yield _row_dict(row)
            if len(found) < size:
                return
            last = found[-1]
            after = (_cursor_value(last, sort), last.id)

    return rows()


CSV_COLUMNS = (
    "number", "market", "status", "current_revision", "client_name", "client_tax_id",
    "client_country", "owner_email", "program_currency", "program_net", "program_tax",
    "program_total", "license_currency", "license_net", "license_tax", "license_total",
    "rules_version", "language", "quote_date", "valid_until", "created_at", "updated_at",
    "sent_at",
    # Last, so columns read by position keep theirs: the number, or before the first
    # send the draft reference (D-00042), which the number column leaves empty.
    "reference",
    # The client's decision on the current revision, made online (empty otherwise).
    "client_decision", "decided_at", "signer_name", "signer_position", "po_number",
    "decided_pdf_sha256",
)


# A spreadsheet runs a cell starting with one of these as a formula (CSV injection):
# such a text cell gets a leading apostrophe, as OWASP advises.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _text_cell(value: Any) -> Any:
    """A text cell (a name, an email, a code) a spreadsheet shows as text, never runs."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return f"'{value}"
    return value


def csv_values(item: dict[str, Any]) -> list[Any]:
    """The CSV row of a list item: text cells neutralised against formula injection;
    amounts, the revision and dates written as they are (they are never formulas)."""
    program, licenses = item["program"], item["licenses"]
    text = _text_cell
    return [
        text(item["number"]), text(item["market"]), text(item["status"]),
        item["current_revision"],
        text(item["client"]["name"]), text(item["client"]["tax_id"]),
        text(item["client"]["country"]), text(item["owner"]["email"]),
        text(program["currency"]), program["net"], program["tax"], program["total"],
        text(licenses["currency"]), licenses["net"], licenses["tax"], licenses["total"],
        text(item["rules_version"]), text(item["language"]), item["quote_date"],
        item["valid_until"], item["created_at"], item["updated_at"], item["sent_at"] or "",
        text(item.get("reference") or item["number"]),
        *_decision_cells(item.get("client_decision")),
    ]


def _decision_cells(decision: dict[str, Any] | None) -> list[Any]:
    if decision is None:
        return ["", "", "", "", "", ""]
    return [decision["decision"], decision["decided_at"], _text_cell(decision["signer_name"] or ""),
            _text_cell(decision["signer_position"] or ""),
            _text_cell(decision["po_number"] or ""), decision["pdf_sha256"]]


def utc_day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def utc_day_end(day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=UTC)


__all__ = [
    "CSV_COLUMNS",
    "HistoryPage",
    "QuoteQuery",
    "SortKey",
    "apply_query",
    "base_select",
    "csv_values",
    "decode_cursor",
    "encode_cursor",
    "iter_history",
    "list_history",
    "quotes_select",
    "utc_day_end",
    "utc_day_start",
]
