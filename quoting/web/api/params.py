"""Query parameters of the API, parsed by pydantic (and described in the OpenAPI
document from the same models). Unknown or repeated parameters are refused."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema
from werkzeug.datastructures import MultiDict

from quoting.errors import QuoteInputError
from quoting.money import MINOR_UNITS
from quoting.rules import Market
from quoting.services.history import QuoteQuery, SortKey, utc_day_end, utc_day_start
from quoting.store.models import QuoteStatus

CURRENCIES = sorted(MINOR_UNITS)


def _upper(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


# Only ISO 8601's extended forms, in ASCII digits: pydantic (and Python's own
# fromisoformat) would also take `0` (1970-01-01), `20261125` or `2026-W48-3`.
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
ISO_MOMENT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}"
                        r"(:[0-9]{2}(\.[0-9]{1,9})?)?([Zz]|[+-][0-9]{2}:[0-9]{2})")
DATE_WORDS = "a date as YYYY-MM-DD (2026-11-25)"


def _iso_date(value: Any) -> date:
    """A date written YYYY-MM-DD, nothing else."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    text = value.strip() if isinstance(value, str) else ""
    if not ISO_DATE.fullmatch(text):
        raise ValueError(DATE_WORDS)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not a valid date; {DATE_WORDS}") from None


def _moment(value: Any) -> date | datetime:
    """A date (YYYY-MM-DD) or a date-time with its UTC offset
    (YYYY-MM-DDTHH:MM[:SS[.ffffff]] then Z or ±HH:MM)."""
    if isinstance(value, date):
        return value
    text = value.strip() if isinstance(value, str) else ""
    if ISO_DATE.fullmatch(text):
        return _iso_date(text)
    if not ISO_MOMENT.fullmatch(text):
        if ISO_MOMENT.fullmatch(text.replace(" ", "+")):
            raise ValueError("write the offset's + as %2B in a URL (…T15:00:00%2B03:00)")
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9:.]+", text):
            raise ValueError("give the time zone (e.g. 2026-11-25T15:00:00Z or -03:00)")
        raise ValueError("a date (YYYY-MM-DD) or a date-time with time zone "
                         "(2026-11-25T15:00:00Z)")
    try:
        moment = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError("not a valid date-time (e.g. 2026-11-25T15:00:00Z)") from None
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("out of range") from None


def _currency(value: Any) -> Any:
    value = _upper(value)
    if isinstance(value, str) and value not in MINOR_UNITS:
        raise ValueError(f"unknown currency; allowed: {', '.join(CURRENCIES)}")
    return value


def _amount(value: Any) -> Any:
    if isinstance(value, str):
        if not re.fullmatch(r"\d{1,15}(\.\d{1,6})?", value.strip()):
            raise ValueError("a decimal string like 1500 or 1500.50 (not negative)")
        return Decimal(value.strip())
    return value


MarketParam = Annotated[Market, BeforeValidator(_upper)]
CurrencyParam = Annotated[str, BeforeValidator(_currency),
                          WithJsonSchema({"type": "string", "enum": CURRENCIES})]
Moment = Annotated[
    date | datetime,
    BeforeValidator(_moment),
    WithJsonSchema({"type": "string", "anyOf": [{"format": "date"}, {"format": "date-time"}],
                    "description": "a date (the whole UTC day) or a date-time with offset"}),
]
IsoDate = Annotated[date, BeforeValidator(_iso_date)]
Amount = Annotated[
    Decimal,
    BeforeValidator(_amount),
    WithJsonSchema({"type": "string", "pattern": r"^\d{1,15}(\.\d{1,6})?$"}),
]
Text = str
# No control characters (PostgreSQL refuses NUL in text; none belongs in a filter).
TEXT_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*$"


class FilterParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    market: MarketParam | None = Field(None, description="Market (country) code.")
    status: QuoteStatus | None = None
    currency: CurrencyParam | None = Field(
        None, description="The program's currency (ISO 4217).")
    client_tax_id: Text | None = Field(None, min_length=1, max_length=40, pattern=TEXT_PATTERN,
                                       description="Dots, dashes and spaces are ignored.")
    owner: Text | None = Field(None, min_length=3, max_length=254, pattern=TEXT_PATTERN,
                               description="The owner's email.")
    created_from: Moment | None = None
    created_to: Moment | None = None
    sent_from: Moment | None = Field(None, description="When the current revision was sent.")
    sent_to: Moment | None = None
    quote_date_from: IsoDate | None = None
    quote_date_to: IsoDate | None = None
    amount_min: Amount | None = Field(
        None, description="Program total at least this (needs `currency`).")
    amount_max: Amount | None = Field(
        None, description="Program total at most this (needs `currency`).")

    def to_filter(self) -> QuoteQuery:
        tax_id = re.sub(r"[\s.\-/]", "", self.client_tax_id).upper() if self.client_tax_id \
            else None
        return QuoteQuery(
            market=self.market.value if self.market else None,
            status=self.status.value if self.status else None,
            currency=self.currency,
            client_tax_id=tax_id or None,
            owner_email=self.owner,
            created_from=_start(self.created_from), created_to=_end(self.created_to),
            sent_from=_start(self.sent_from), sent_to=_end(self.sent_to),
            quote_date_from=self.quote_date_from, quote_date_to=self.quote_date_to,
            amount_min=self.amount_min, amount_max=self.amount_max,
        )


def _start(value: date | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return utc_day_start(value)


def _end(value: date | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return utc_day_end(value)


class ExportParams(FilterParams):
    sort: SortKey = Field(SortKey.QUOTE_DATE_DESC, description="A `-` prefix sorts descending; "
                          "`program_total` needs `currency`.")


class ListParams(ExportParams):
    limit: int = Field(50, ge=1, le=500)
    cursor: Text | None = Field(None, max_length=200, pattern=TEXT_PATTERN,
                                description="`next_cursor` of the previous page.")


class SummaryParams(FilterParams):
    convert_to: CurrencyParam | None = Field(
        None, description="Also convert every total to this currency with the stored rates.")


def parse_query(model: type[Any], args: MultiDict[str, str]) -> Any:
    repeated = [key for key in args if len(args.getlist(key)) > 1]
    if repeated:
        raise QuoteInputError.single(repeated[0], "give this parameter once")
    values = args.to_dict(flat=True)
    parsed = model.model_validate(values)
    sort = getattr(parsed, "sort", None)
    if sort is not None and sort.column_name == "program_total" and not parsed.currency:
        raise QuoteInputError.single("sort", "sorting by program_total needs `currency`: "
                                     "amounts in different currencies cannot be compared")
    return parsed
