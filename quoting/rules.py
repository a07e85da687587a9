"""Pricing rules: loaded from `pricing_rules/` (or QUOTING_RULES_DIR), validated, frozen, versioned.

Each market has one or more TOML files, each a complete price list in force
from its `effective_from` date. Every file follows the same schema
(`RulesVersion`); a file that does not fails loudly with its path and field.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from quoting import paths
from quoting.errors import RulesError
from quoting.money import MINOR_UNITS, Money, to_decimal
from quoting.taxid import InvalidTaxId, compact_tax_id


class Market(StrEnum):
    AR = "AR"
    MX = "MX"
    EC = "EC"
    CO = "CO"
    CL = "CL"
    PE = "PE"
    ES = "ES"


class Role(StrEnum):
    TECHNICAL = "technical"
    BUSINESS = "business"
    LEADERSHIP = "leadership"


class LineCategory(StrEnum):
    """What a line is, for tax purposes: markets tax these differently."""

    TRAINING = "training"
    CONSULTING = "consulting"
    TRAVEL = "travel"
    LICENSE = "license"


LANGUAGES = ("es", "en", "pt")
Language = Literal["es", "en", "pt"]


def _decimal_from_string(value: object) -> Decimal:
    # Rules files give every figure as a string: a TOML float would be binary.
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise ValueError(f"write figures as quoted decimal strings like \"1500.00\", not {value!r}")
    return to_decimal(value)


DecimalFigure = Annotated[Decimal, BeforeValidator(_decimal_from_string)]
NonNegativeFigure = Annotated[DecimalFigure, Field(ge=0)]
Percent = Annotated[DecimalFigure, Field(ge=0, le=100)]
Rate = Annotated[DecimalFigure, Field(ge=0, lt=1)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LocalizedText(_Frozen):
    es: str
    en: str
    pt: str

    def get(self, language: str) -> str:
        text: str = getattr(self, language, self.en)
        return text


class ParticipantBand(_Frozen):
    """Graduated band: participants number `from_` to `up_to` cost `unit_price` each."""

    up_to: int | None = Field(default=None, ge=1)
    unit_price: NonNegativeFigure


class PriceList(_Frozen):
    track_design: dict[Role, NonNegativeFigure]
    participant_bands: tuple[ParticipantBand, ...] = Field(min_length=1)
    per_track_week: NonNegativeFigure
    per_discovery_area: NonNegativeFigure
    per_case: NonNegativeFigure
    per_trip: dict[Literal["onsite", "hybrid"], NonNegativeFigure]
    follow_up: NonNegativeFigure
    minimum_program_fee: NonNegativeFigure

    @field_validator("track_design")
    @classmethod
    def _every_role_priced(cls, value: dict[Role, Decimal]) -> dict[Role, Decimal]:
        missing = [role.value for role in Role if role not in value]
        if missing:
            raise ValueError(f"missing a design fee for: {', '.join(missing)}")
        return value

    @field_validator("per_trip")
    @classmethod
    def _every_travel_mode_priced(
        cls, value: dict[Literal["onsite", "hybrid"], Decimal]
    ) -> dict[Literal["onsite", "hybrid"], Decimal]:
        missing = [mode for mode in ("onsite", "hybrid") if mode not in value]
        if missing:
            raise ValueError(f"missing a trip price for: {', '.join(missing)}")
        return value

    @field_validator("participant_bands")
    @classmethod
    def _bands_ascend_and_end_open(
        cls, bands: tuple[ParticipantBand, ...]
    ) -> tuple[ParticipantBand, ...]:
        limits = [band.up_to for band in bands]
        if limits[-1] is not None:
            raise ValueError("the last band must have no `up_to` so every participant is priced")
        closed = [limit for limit in limits[:-1] if limit is not None]
        if len(closed) != len(limits) - 1 or closed != sorted(set(closed)):
            raise ValueError("`up_to` must rise strictly from band to band; only the last is open")
        return bands


class TaxTreatment(_Frozen):
    rate: Rate
    label: LocalizedText
    exempt_reason: LocalizedText | None = None
    source: str = Field(min_length=1)

    @model_validator(mode="after")
    def _exempt_lines_have_no_rate(self) -> TaxTreatment:
        if self.exempt_reason is not None and self.rate != 0:
            raise ValueError("an exempt category must have rate \"0\"")
        return self


class LicenseProduct(_Frozen):
    code: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,40}$")
    name: str = Field(min_length=1)
    per_seat_month: NonNegativeFigure
    max_seats: int = Field(default=10_000, ge=1)


class LicenseCatalogue(_Frozen):
    currency: str
    products: tuple[LicenseProduct, ...]


class Seller(_Frozen):
    """Our legal entity in the market: printed on the proposal beside the client's."""

    legal_name: str = Field(min_length=1)
    tax_id: str = Field(min_length=1)
    address: str = Field(min_length=1)
    email: str = Field(min_length=3)
    bank_note: LocalizedText | None = None


class RulesVersion(_Frozen):
    """One market's complete price list and tax treatment, from one date on."""

    market: Market
    version: str = Field(pattern=r"^[A-Z]{2}-\d{4}-\d{2}[a-z]?$")
    effective_from: date
    source: str = Field(min_length=1)
    seller: Seller
    default_currency: str
    default_language: Language
    document_name: LocalizedText
    default_valid_days: int = Field(ge=1, le=180)
    discount_without_approval: Percent
    max_discount: Percent
    payment_terms: LocalizedText
    prices: dict[str, PriceList]
    tax: dict[LineCategory, TaxTreatment]
    withholding_notes: tuple[LocalizedText, ...] = ()
    licenses: LicenseCatalogue

    @model_validator(mode="after")
    def _consistent(self) -> RulesVersion:
        for code in [*self.prices, self.licenses.currency]:
            if code not in MINOR_UNITS:
                raise ValueError(f"currency {code!r} is not one we can round; known: "
                                 f"{', '.join(sorted(MINOR_UNITS))}")
        if self.default_currency not in self.prices:
            raise ValueError(f"default_currency {self.default_currency} has no price list")
        missing_tax = [c.value for c in LineCategory if c not in self.tax]
        if missing_tax:
            raise ValueError(f"tax treatment missing for: {', '.join(missing_tax)}")
        if self.discount_without_approval > self.max_discount:
            raise ValueError("discount_without_approval cannot exceed max_discount")
        try:
            compact_tax_id(self.market.value, self.seller.tax_id)
        except InvalidTaxId as exc:
            raise ValueError(f"seller.tax_id: {exc}") from None
        codes = [product.code for product in self.licenses.products]
        if len(codes) != len(set(codes)):
            raise ValueError("license product codes must be unique")
        for currency, price_list in self.prices.items():
            _check_precision(price_list, currency)
        for product in self.licenses.products:
            if not Money(product.per_seat_month, self.licenses.currency).is_rounded():
                raise ValueError(f"licenses.{product.code}.per_seat_month has more decimals than "
                                 f"{self.licenses.currency} allows")
        return self

    @property
    def allowed_currencies(self) -> tuple[str, ...]:
        return tuple(self.prices)

    def license_product(self, code: str) -> LicenseProduct | None:
        for product in self.licenses.products:
            if product.code == code:
                return product
        return None


def _check_precision(price_list: PriceList, currency: str) -> None:
    figures: list[tuple[str, Decimal]] = [
        ("per_track_week", price_list.per_track_week),
        ("per_discovery_area", price_list.per_discovery_area),
        ("per_case", price_list.per_case),
        ("follow_up", price_list.follow_up),
        ("minimum_program_fee", price_list.minimum_program_fee),
    ]
    figures += [(f"track_design.{role}", fee) for role, fee in price_list.track_design.items()]
    figures += [(f"per_trip.{mode}", fee) for mode, fee in price_list.per_trip.items()]
    figures += [(f"participant_bands[{i}]", band.unit_price)
                for i, band in enumerate(price_list.participant_bands)]
    for name, figure in figures:
        if not Money(figure, currency).is_rounded():
            raise ValueError(f"prices.{currency}.{name} = {figure} has more decimals than "
                             f"{currency} allows ({MINOR_UNITS[currency]})")


class NoRulesInForce(LookupError):
    pass


class RuleBook:
    """Every market's rule versions, ordered by date; picks the one in force."""

    def __init__(self, versions: Iterable[RulesVersion]) -> None:
        by_market: dict[Market, list[RulesVersion]] = {}
        seen: set[str] = set()
        for version in versions:
            if version.version in seen:
                raise RulesError(f"rules version {version.version} is defined twice")
            seen.add(version.version)
            by_market.setdefault(version.market, []).append(version)
        self._by_market: Mapping[Market, tuple[RulesVersion, ...]] = {
            market: tuple(sorted(found, key=lambda v: v.effective_from))
            for market, found in by_market.items()
        }
        for market, found in self._by_market.items():
            dates = [v.effective_from for v in found]
            if len(dates) != len(set(dates)):
                raise RulesError(f"{market}: two rule versions share an effective date")

    @property
    def markets(self) -> tuple[Market, ...]:
        return tuple(sorted(self._by_market))

    def versions(self, market: Market) -> tuple[RulesVersion, ...]:
        return self._by_market.get(market, ())

    def in_force(self, market: Market, on: date) -> RulesVersion:
        found = None
        for version in self._by_market.get(market, ()):
            if version.effective_from <= on:
                found = version
        if found is None:
            versions = self._by_market.get(market, ())
            earliest = f"; the earliest starts {versions[0].effective_from}" if versions else ""
            raise NoRulesInForce(f"no {market} price list is in force on {on}{earliest}")
        return found

    def by_version(self, version_id: str) -> RulesVersion:
        for versions in self._by_market.values():
            for version in versions:
                if version.version == version_id:
                    return version
        raise NoRulesInForce(f"unknown rules version {version_id!r}")


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "(file)"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def parse_rules_file(path: Path) -> RulesVersion:
    try:
        raw: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{path}: not valid TOML: {exc}") from None
    try:
        version = RulesVersion.model_validate(raw)
    except ValidationError as exc:
        raise RulesError(f"{path}: {_describe(exc)}") from None
    if path.parent.name != version.market.value:
        raise RulesError(f"{path}: market {version.market} is filed under {path.parent.name}/")
    return version


# The shipped price lists (examples to be set by the business); QUOTING_RULES_DIR
# names a company's own folder instead (quoting.paths).
DEFAULT_RULES_DIR = paths.SHIPPED_RULES_DIR


def load_rulebook(directory: Path | None = None) -> RuleBook:
    """Load and validate every `<MARKET>/*.toml` under `directory` (default: the folder
    QUOTING_RULES_DIR names, else the shipped pricing_rules/); fail loudly."""
    root = directory or paths.rules_dir()
    files = sorted(root.glob("*/*.toml"))
    if not files:
        named = "" if directory or root == paths.SHIPPED_RULES_DIR else f" ({paths.RULES_ENV})"
        raise RulesError(f"{root}{named}: no rules files (expected <MARKET>/<version>.toml)")
    return RuleBook(parse_rules_file(path) for path in files)
