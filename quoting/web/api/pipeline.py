"""The pipeline and exchange-rate drift reports of the finance API: their query
parameters, their response bodies (for the OpenAPI document and the tests) and
their views. The figures are decided in quoting.services.pipeline and
quoting.services.exchange_drift."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from flask import Response, current_app, jsonify, request
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from quoting.services import exchange_drift, pipeline
from quoting.web import db_session
from quoting.web.api.params import CurrencyParam, IsoDate, MarketParam, Text, parse_query
from quoting.web.api.schemas import CurrencyCode, DecimalString, MoneyTotal

# Where the desk and the API read the default drift threshold, in percent.
DRIFT_SETTING = "EXCHANGE_DRIFT_PERCENT"
EMAIL_PATTERN = r"^[^\x00-\x1f\x7f-\x9f\s]+@[^\x00-\x1f\x7f-\x9f\s]+$"


def _percent(value: Any) -> Any:
    if isinstance(value, str):
        if not re.fullmatch(r"\d{1,2}(\.\d{1,4})?", value.strip()):
            raise ValueError("a percentage from 0 to 99, like 5 or 7.5")
        return Decimal(value.strip())
    return value


Percent = Annotated[
    Decimal,
    BeforeValidator(_percent),
    WithJsonSchema({"type": "string", "pattern": r"^\d{1,2}(\.\d{1,4})?$"}),
]


def drift_default() -> Decimal:
    return Decimal(str(current_app.config.get(DRIFT_SETTING, exchange_drift.DEFAULT_DRIFT_PERCENT)))


class _ReportFilters(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    market: MarketParam | None = Field(None, description="Market (country) code.")
    owner: Text | None = Field(None, min_length=3, max_length=254, pattern=EMAIL_PATTERN,
                               description="The owner's email (400 if no such user).")
    limit: int = Field(pipeline.DEFAULT_LIST_LIMIT, ge=1, le=pipeline.MAX_LIST_LIMIT,
                       description="Most quotes listed (the counts cover all).")


class PipelineParams(_ReportFilters):
    date_from: IsoDate | None = Field(None, alias="from",
                                      description="Quote date on or after (YYYY-MM-DD).")
    date_to: IsoDate | None = Field(None, alias="to",
                                    description="Quote date on or before (YYYY-MM-DD).")
    convert_to: CurrencyParam | None = Field(
        None, alias="in", description="Also convert every amount to this currency with "
        "the stored rate in force on each quote's date.")
    expiring_days: int = Field(pipeline.DEFAULT_EXPIRING_DAYS, ge=1,
                               le=pipeline.MAX_EXPIRING_DAYS,
                               description="Sent quotes valid until within this many days "
                               "count as expiring soon.")

    def filters(self) -> pipeline.PipelineFilters:
        return pipeline.PipelineFilters(
            date_from=self.date_from, date_to=self.date_to,
            market=self.market.value if self.market else None, owner_email=self.owner)


class DriftParams(_ReportFilters):
    threshold: Percent | None = Field(
        None, description="Flag a drift larger than this percentage, either way "
        "(default: the deployment's, 5 unless set).")

    def filters(self) -> pipeline.PipelineFilters:
        return pipeline.PipelineFilters(market=self.market.value if self.market else None,
                                        owner_email=self.owner)


# --- Response bodies ---------------------------------------------------------------

class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class PipelineBucket(_Out):
    key: str = Field(description="Status, market, owner's email or month (YYYY-MM).")
    name: str | None = Field(None, description="The owner's name (by owner only).")
    count: int
    program_totals: list[MoneyTotal]
    license_totals: list[MoneyTotal]
    converted_total: DecimalString | None = Field(
        None, description="Program and licenses converted (with `in` only); what could "
        "not be converted is left out and listed under converted.unconverted.")
    not_converted: list[CurrencyCode] | None = Field(
        None, description="With `in`: currencies of this group left out of "
        "converted_total for want of a stored rate.")


class PipelineFiltersOut(_Out):
    date_from: date | None = Field(alias="from")
    date_to: date | None = Field(alias="to")
    market: str | None
    owner: str | None
    convert_to: CurrencyCode | None = Field(alias="in")
    today: date


class WinRate(_Out):
    definition: str
    accepted: int
    declined: int
    expired: int
    decided: int
    rate: DecimalString | None = Field(description="A fraction from 0 to 1; null when no "
                                       "quote was decided.")


class DaysToAccept(_Out):
    definition: str
    count: int
    median: DecimalString | None


class DiscountBucket(_Out):
    key: str
    above: DecimalString | None = Field(description="Discounts above this percent...")
    up_to: DecimalString | None = Field(description="...and up to this one (inclusive).")
    count: int


class ExpiringQuote(_Out):
    reference: str
    market: str
    client_name: str
    valid_until: date
    days_left: int
    owner: str
    owner_name: str
    program_total: MoneyTotal


class Expiring(_Out):
    days: int
    until: date
    count: int
    items: list[ExpiringQuote]


class PipelineRateUsed(_Out):
    pair: str
    date: date
    rate: str
    source: str
    inverted: bool = Field(description="True when the stored pair is target/source and "
                           "amounts were divided by its rate.")


class PipelineUnconverted(_Out):
    currency: CurrencyCode
    section: str = Field(description="program or licenses")
    quotes: int
    amount: DecimalString
    reason: str


class PipelineConverted(_Out):
    currency: CurrencyCode
    total: DecimalString
    rates_used: list[PipelineRateUsed]
    unconverted: list[PipelineUnconverted]


class PipelineReport(_Out):
    filters: PipelineFiltersOut
    count: int
    program_totals: list[MoneyTotal]
    license_totals: list[MoneyTotal]
    by_status: list[PipelineBucket]
    by_market: list[PipelineBucket]
    by_owner: list[PipelineBucket]
    by_month: list[PipelineBucket]
    win_rate: WinRate
    days_to_accept: DaysToAccept
    discounts: list[DiscountBucket]
    expiring: Expiring
    converted: PipelineConverted | None


class DriftQuote(_Out):
    reference: str
    market: str
    status: str
    client_name: str
    quote_date: date
    valid_until: date
    owner: str
    pair: str
    license_total: MoneyTotal
    stored_rate: str | None = None
    stored_rate_date: str | None = None
    latest_rate: str | None = None
    latest_rate_date: date | None = None
    latest_rate_source: str | None = None
    drift_percent: DecimalString | None = None


class ExchangeDrift(_Out):
    threshold_percent: DecimalString
    today: date
    definition: str
    checked: int = Field(description="Open quotes with licenses in another currency.")
    flagged_count: int
    flagged: list[DriftQuote]
    no_rate_count: int
    no_rate: list[DriftQuote] = Field(description="Open quotes whose revision found no "
                                      "stored rate for its date: listed, never guessed.")


# --- Views -------------------------------------------------------------------------

def pipeline_report() -> Response:
    params: PipelineParams = parse_query(PipelineParams, request.args)
    return jsonify(pipeline.pipeline(db_session(), params.filters(),
                                     convert_to=params.convert_to,
                                     expiring_days=params.expiring_days,
                                     expiring_limit=params.limit))


def exchange_drift_report() -> Response:
    params: DriftParams = parse_query(DriftParams, request.args)
    threshold = params.threshold if params.threshold is not None else drift_default()
    return jsonify(exchange_drift.exchange_drift(db_session(), params.filters(),
                                           threshold_percent=threshold, limit=params.limit))
