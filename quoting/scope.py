"""The quote request (scope): the only place input is validated.

`parse_request` takes JSON text or a dict and returns a `QuoteRequest`, or
raises `QuoteInputError` naming each field, what was wrong and what is allowed.
Checks that need the market's rules (currency, license products, discount
cap) happen in `check_against_rules`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from quoting.errors import FieldProblem, QuoteInputError
from quoting.money import to_decimal
from quoting.rules import Language, Market, RulesVersion
from quoting.taxid import InvalidTaxId, compact_tax_id

# Beyond these a request is a typo, not a program.
MAX_PARTICIPANTS_PER_ROLE = 2_000
MAX_WEEKS = 52
MAX_DISCOVERY_AREAS = 20
MAX_TRIPS = 40
MAX_LICENSE_LINES = 100
MAX_SEATS = 10_000
MAX_LICENSE_MONTHS = 36
MIN_CASES, MAX_CASES = 2, 4
TAX_ID_MAX_LENGTH = 40


def _whole_number(value: object) -> object:
    """Accept 3 or "3"; refuse booleans, fractions and words with a clear message."""
    if type(value) is int:  # the common case, first: this runs for every count
        return value
    if isinstance(value, bool):
        raise PydanticCustomError("whole_number", "expected a whole number, got a true/false value")
    if isinstance(value, float):
        if not value.is_integer():
            raise PydanticCustomError("whole_number", "expected a whole number, got {value}",
                                      {"value": value})
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if not text.lstrip("-").isdigit():
            raise PydanticCustomError("whole_number", "expected a whole number, got {value!r}",
                                      {"value!r": repr(value)})
        return int(text)
    return value


def _percent(value: object) -> Decimal:
    if isinstance(value, float):
        raise PydanticCustomError(
            "decimal_string",
            "give the percentage as a whole number or a decimal string such as \"7.5\", "
            "not a floating-point number",
        )
    try:
        return to_decimal(value)
    except ValueError as exc:
        raise PydanticCustomError("decimal", "{reason}", {"reason": str(exc)}) from None


WholeNumber = Annotated[int, BeforeValidator(_whole_number)]


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_date(value: object) -> object:
    """A date as YYYY-MM-DD text (or a date already parsed), never a number of seconds
    or days: 0 must not become 1970-01-01."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return value
    raise PydanticCustomError("iso_date", "a date written as YYYY-MM-DD, e.g. 2026-11-25")


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Client(_Input):
    name: str = Field(min_length=1, max_length=200)
    tax_id: str = Field(min_length=1, max_length=TAX_ID_MAX_LENGTH)
    email: str | None = Field(default=None, max_length=254,
                              pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    contact: str | None = Field(default=None, max_length=200)


class Participants(_Input):
    technical: WholeNumber = Field(default=0, ge=0, le=MAX_PARTICIPANTS_PER_ROLE)
    business: WholeNumber = Field(default=0, ge=0, le=MAX_PARTICIPANTS_PER_ROLE)
    leadership: WholeNumber = Field(default=0, ge=0, le=MAX_PARTICIPANTS_PER_ROLE)

    @model_validator(mode="after")
    def _someone_attends(self) -> Participants:
        if self.technical + self.business + self.leadership == 0:
            raise PydanticCustomError(
                "no_participants",
                "at least one participant is needed in technical, business or leadership",
            )
        return self

    def by_role(self) -> dict[str, int]:
        return {"technical": self.technical, "business": self.business,
                "leadership": self.leadership}


DeliveryMode = Literal["remote", "onsite", "hybrid"]


class Delivery(_Input):
    mode: DeliveryMode = "remote"
    trips: WholeNumber = Field(default=0, ge=0, le=MAX_TRIPS)

    @model_validator(mode="before")
    @classmethod
    def _accept_plain_mode(cls, value: object) -> object:
        return {"mode": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _trips_match_mode(self) -> Delivery:
        if self.mode == "remote" and self.trips:
            raise PydanticCustomError("trips", "remote delivery has no trips; use onsite or hybrid")
        if self.mode != "remote" and not self.trips:
            raise PydanticCustomError(
                "trips", "{mode} delivery needs the number of trips (1 to {max})",
                {"mode": self.mode, "max": MAX_TRIPS},
            )
        return self


class LicenseLine(_Input):
    product: str = Field(min_length=1, max_length=60)
    seats: WholeNumber = Field(ge=1, le=MAX_SEATS)
    months: WholeNumber = Field(ge=1, le=MAX_LICENSE_MONTHS)


class QuoteRequest(_Input):
    market: Market
    date: IsoDate | None = None
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    language: Language | None = None
    client: Client
    participants: Participants
    duration_weeks: WholeNumber = Field(ge=1, le=MAX_WEEKS)
    discovery_areas: WholeNumber = Field(ge=1, le=MAX_DISCOVERY_AREAS)
    cases: WholeNumber = Field(ge=MIN_CASES, le=MAX_CASES)
    delivery: Delivery = Delivery()
    licenses: tuple[LicenseLine, ...] = Field(default=(), max_length=MAX_LICENSE_LINES)
    discount_percent: Annotated[Decimal, BeforeValidator(_percent), Field(ge=0, le=100)] = (
        Decimal(0)
    )
    valid_days: WholeNumber | None = Field(default=None, ge=1, le=180)
    # The program's first day; none: the market's lead time after the quote date.
    start_date: IsoDate | None = None
    # Free text printed in the proposal; escaped wherever it is shown.
    context: str | None = Field(default=None, max_length=4000)
    case_descriptions: tuple[str, ...] = Field(default=(), max_length=MAX_CASES)
    internal_owner: str | None = Field(default=None, max_length=200)

    @field_validator("currency", mode="before")
    @classmethod
    def _upper_currency(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("client", mode="before")
    @classmethod
    def _compact_tax_id(cls, value: object, info: ValidationInfo) -> object:
        """Store the tax ID compact (20-26756539-3 -> 20267565393): done on the raw
        mapping, before the Client is built, so no copy of it is needed. A tax ID
        that is not valid is left as typed, for the check below to report."""
        market = info.data.get("market")
        if market is None or not isinstance(value, dict):
            return value
        tax_id = value.get("tax_id")
        if not isinstance(tax_id, str) or len(tax_id) > TAX_ID_MAX_LENGTH:
            return value
        try:
            compact = compact_tax_id(market.value, tax_id.strip())
        except InvalidTaxId:
            return value
        return value if compact == tax_id else {**value, "tax_id": compact}

    @field_validator("client")
    @classmethod
    def _tax_id_fits_market(cls, client: Client, info: ValidationInfo) -> Client:
        market = info.data.get("market")
        if market is None:  # the market itself is wrong and reported already
            return client
        try:
            compact = compact_tax_id(market.value, client.tax_id)
        except InvalidTaxId as exc:
            raise PydanticCustomError("tax_id", "{reason}", {"reason": str(exc)}) from None
        if compact == client.tax_id:  # already compact, as in stored requests: no copy
            return client
        return client.model_copy(update={"tax_id": compact})

    @model_validator(mode="after")
    def _no_more_descriptions_than_cases(self) -> QuoteRequest:
        if len(self.case_descriptions) > self.cases:
            raise PydanticCustomError(
                "case_descriptions", "{n} case descriptions for {cases} cases",
                {"n": len(self.case_descriptions), "cases": self.cases},
            )
        return self


# Where a model-level check fails, pydantic reports the model's path; name the
# field the person has to change instead.
_FIELD_FOR_ERROR = {"tax_id": "client.tax_id", "case_descriptions": "case_descriptions",
                    "trips": "delivery.trips"}


# Messages that already say what was given; the others get the input appended.
_SELF_EXPLAINING = {"missing", "no_participants", "tax_id", "trips", "whole_number",
                    "case_descriptions", "decimal", "decimal_string"}


def _problems(error: ValidationError) -> list[FieldProblem]:
    problems = []
    for item in error.errors(include_url=False):
        path = ".".join(str(part) for part in item["loc"])
        if item["type"] in _FIELD_FOR_ERROR:
            path = _FIELD_FOR_ERROR[item["type"]]
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = "unknown field; allowed here: " + ", ".join(_allowed_fields(item["loc"]))
        elif item["type"] not in _SELF_EXPLAINING:
            message = f"{message} (got {item['input']!r})"
        problems.append(FieldProblem(path, message, code=item["type"]))
    return problems


def _allowed_fields(loc: tuple[int | str, ...]) -> list[str]:
    model: type[BaseModel] = QuoteRequest
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(str(part))
        annotation = getattr(field, "annotation", None)
        candidates = [annotation, *getattr(annotation, "__args__", ())]
        nested = [c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)]
        if not nested:
            break
        model = nested[0]
    return list(model.model_fields)


def parse_request(data: str | bytes | dict[str, Any]) -> QuoteRequest:
    """Validate a quote request from JSON text or an already-decoded mapping."""
    if isinstance(data, str | bytes):
        try:
            decoded = json.loads(data)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise QuoteInputError.single("", f"the request is not valid JSON: {exc}") from None
    else:
        decoded = data
    if not isinstance(decoded, dict):
        raise QuoteInputError.single("", "the request must be a JSON object")
    try:
        return QuoteRequest.model_validate(decoded)
    except ValidationError as exc:
        raise QuoteInputError(_problems(exc)) from None


def check_against_rules(request: QuoteRequest, rules: RulesVersion) -> None:
    """Refuse what the market's rules do not allow; every problem at once."""
    problems = []
    if request.currency is not None and request.currency not in rules.allowed_currencies:
        problems.append(FieldProblem(
            "currency",
            f"{request.currency} is not quoted in {rules.market}; allowed: "
            f"{', '.join(rules.allowed_currencies)}",
        ))
    for index, line in enumerate(request.licenses):
        product = rules.license_product(line.product)
        if product is None:
            codes = ", ".join(p.code for p in rules.licenses.products)
            problems.append(FieldProblem(
                f"licenses.{index}.product",
                f"unknown license product {line.product!r}; {rules.market} offers: {codes}",
            ))
        elif line.seats > product.max_seats:
            problems.append(FieldProblem(
                f"licenses.{index}.seats",
                f"{line.seats} seats of {product.code}; at most {product.max_seats}",
                code="too_many_seats", params=(("max", str(product.max_seats)),),
            ))
    if request.discount_percent > rules.max_discount:
        problems.append(FieldProblem(
            "discount_percent",
            f"{request.discount_percent}% is above the {rules.max_discount}% that "
            f"{rules.market} allows even with approval",
            code="discount_above_maximum", params=(("max", str(rules.max_discount)),),
        ))
    if problems:
        raise QuoteInputError(problems)
