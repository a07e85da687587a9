"""Response bodies of the API as pydantic models: the OpenAPI document's schemas
come from these, and the tests validate real responses against them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

DecimalString = Annotated[str, Field(pattern=r"^-?\d+(\.\d+)?$",
                                     description="Money as a decimal string.")]
CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217.")]


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorDetail(_Out):
    code: str
    message: str
    field: str | None
    problems: list[dict[str, Any]] | None = None


class ErrorBody(_Out):
    error: ErrorDetail


class ClientOut(_Out):
    name: str
    tax_id: str
    country: str


class OwnerOut(_Out):
    email: str
    name: str


class SectionTotals(_Out):
    currency: CurrencyCode
    net: DecimalString
    tax: DecimalString
    total: DecimalString


class ClientDecisionOut(_Out):
    """The client's decision on the current revision, made through its private link."""

    decision: str = Field(description="accepted or declined")
    decided_at: datetime
    signer_name: str | None
    signer_position: str | None
    po_number: str | None
    pdf_sha256: str = Field(description="SHA-256 of the PDF the client was sent and "
                            "answered.")


class QuoteItem(_Out):
    number: str | None = Field(description="Given when the quote is first sent; null for "
                               "a draft never sent.")
    reference: str = Field(description="The number, or the draft reference (D-00042) "
                           "before it is sent.")
    market: str
    status: str
    current_revision: int
    client: ClientOut
    owner: OwnerOut
    program: SectionTotals
    licenses: SectionTotals
    rules_version: str
    language: str
    quote_date: date
    valid_until: date
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None
    client_decision: ClientDecisionOut | None = None


class QuotePage(_Out):
    items: list[QuoteItem]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; "
                                    "null on the last page.")


class MoneyTotal(_Out):
    currency: CurrencyCode
    amount: DecimalString


class ExchangeRateUsed(BaseModel):
    pair: str
    rate: str | None
    source: str | None
    date: str | None
    missing: bool


class RevisionOut(BaseModel):
    """One stored revision. `request` is the validated quote request, `priced` the
    priced quote with every line, tax and total (money as decimal strings)."""

    model_config = ConfigDict(extra="allow")

    revision: int
    rules_version: str
    language: str
    quote_date: date
    valid_until: date
    requires_approval: bool
    program_total: MoneyTotal
    license_total: MoneyTotal
    author: str
    created_at: datetime
    sent_at: datetime | None
    pdf_sha256: str | None
    exchange_rates: list[ExchangeRateUsed]
    request: dict[str, Any]
    priced: dict[str, Any]


class EventOut(_Out):
    at: datetime
    actor: str
    action: str
    revision: int | None
    from_status: str | None
    to_status: str | None
    detail: dict[str, Any]


class QuoteDetail(BaseModel):
    model_config = ConfigDict(extra="allow")

    number: str | None
    reference: str
    market: str
    status: str
    current_revision: int
    quote_date: date
    valid_until: date
    client: dict[str, Any]
    owner: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    revisions: list[RevisionOut]
    events: list[EventOut]
    acceptance: dict[str, Any] | None = Field(
        default=None, description="The client's online decision with its evidence: "
        "decision, signer, position, PO number, reason, time, address, browser, revision, "
        "the SHA-256 of the PDF answered, and the receipt's SHA-256.")


class Bucket(_Out):
    key: str
    count: int
    program_totals: list[MoneyTotal]
    license_totals: list[MoneyTotal]


class ConvertedAmount(_Out):
    key: str
    amount: DecimalString


class RateUsed(_Out):
    from_currency: CurrencyCode
    month: str
    pair: str
    rate: str
    inverted: bool = Field(description="True when the stored pair is target/source and "
                           "the amount was divided by its rate.")
    source: str
    date: date


class Unconverted(_Out):
    currency: CurrencyCode
    month: str
    section: str
    amount: DecimalString
    reason: str


class Converted(_Out):
    currency: CurrencyCode
    program_total: DecimalString
    license_total: DecimalString
    total: DecimalString
    by_market: list[ConvertedAmount]
    by_status: list[ConvertedAmount]
    by_month: list[ConvertedAmount]
    rates_used: list[RateUsed]
    unconverted: list[Unconverted]


class Summary(_Out):
    count: int
    program_totals: list[MoneyTotal]
    license_totals: list[MoneyTotal]
    by_market: list[Bucket]
    by_currency: list[Bucket]
    by_status: list[Bucket]
    by_month: list[Bucket]
    converted: Converted | None
