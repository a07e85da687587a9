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
    UY = "UY"
    BR = "BR"


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


class IncludedTax(_Frozen):
    """A tax already inside the price (Brazil's ISS, PIS and COFINS): never added to
    the total, only stated, with its share of the price (base × rate)."""

    label: LocalizedText
    rate: Annotated[DecimalFigure, Field(gt=0, lt=1)]
    source: str = Field(min_length=1)


class TaxTreatment(_Frozen):
    # `rate` is added on top of the net price; `included` taxes are part of it.
    rate: Rate
    label: LocalizedText
    exempt_reason: LocalizedText | None = None
    source: str = Field(min_length=1)
    included: tuple[IncludedTax, ...] = ()

    @model_validator(mode="after")
    def _exempt_lines_have_no_rate(self) -> TaxTreatment:
        if self.exempt_reason is not None and self.rate != 0:
            raise ValueError("an exempt category must have rate \"0\"")
        if sum((tax.rate for tax in self.included), Decimal(0)) >= 1:
            raise ValueError("the included taxes add up to 100% of the price or more")
        return self


LicenseUnit = Literal["seat", "block"]


class LicenseProduct(_Frozen):
    code: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,40}$")
    name: str = Field(min_length=1)
    per_seat_month: NonNegativeFigure
    max_seats: int = Field(default=10_000, ge=1)
    # What one unit of the product is: a person's seat, or a block of usage credit.
    unit: LicenseUnit = "seat"


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


# When a payment milestone falls due, on the program's calendar (quoting.plan).
MilestoneEvent = Literal["signing", "start", "sessions_end", "day_30", "day_60", "day_90"]


class PaymentMilestone(_Frozen):
    percent: Annotated[DecimalFigure, Field(gt=0, le=100)]
    due: MilestoneEvent


def _default_payment_plan() -> tuple[PaymentMilestone, ...]:
    return (PaymentMilestone(percent=Decimal(50), due="signing"),
            PaymentMilestone(percent=Decimal(50), due="sessions_end"))


class ProductionFigure(_Frozen):
    """One measured figure of a system we run, e.g. 41,200 questions answered."""

    value: DecimalFigure
    label: LocalizedText
    # A share printed as "96.1%" in the market's format, glued like every percent.
    percent: bool = False


class ProductionSystem(_Frozen):
    """A system the seller runs in production, shown to the client (proposal §5)."""

    name: str = Field(min_length=1)
    what: LocalizedText
    since: date
    figures: tuple[ProductionFigure, ...] = Field(min_length=1)
    figures_as_of: date


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
    # The one rule for converting between the program's and the licenses' currencies
    # (Argentina: Banco Nación's seller rate of the previous business day).
    exchange_rate_rule: LocalizedText | None = None
    # Days from the quote date to the earliest start (the program starts on a Monday).
    start_lead_days: int = Field(default=14, ge=0, le=180)
    # Program milestones; percents add up to 100. Licenses follow `license_billing`.
    payment_plan: tuple[PaymentMilestone, ...] = Field(
        default_factory=_default_payment_plan, min_length=1, max_length=6)
    # Days after a milestone's invoice within which it is paid (0: on the day).
    invoice_payment_days: int = Field(default=0, ge=0, le=120)
    license_billing: Literal["upfront", "monthly"] = "upfront"
    # Where the market's practice writes the total in words ("Son ... pesos").
    amount_in_words: bool = False
    # Systems shown in §5; none here means the shared ones (pricing_rules/seller.toml).
    production_systems: tuple[ProductionSystem, ...] = ()

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
        if sum(m.percent for m in self.payment_plan) != 100:
            raise ValueError("payment_plan: the milestones' percents must add up to 100")
        events = [m.due for m in self.payment_plan]
        if len(events) != len(set(events)):
            raise ValueError("payment_plan: two milestones fall due on the same event")
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

    def __init__(self, versions: Iterable[RulesVersion],
                 shared_systems: tuple[ProductionSystem, ...] = ()) -> None:
        self.shared_systems = shared_systems
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

    def production_systems(self, rules: RulesVersion) -> tuple[ProductionSystem, ...]:
        """The systems a market's proposal shows: its own, else the shared ones."""
        return rules.production_systems or self.shared_systems

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


class SellerFile(_Frozen):
    """`seller.toml` beside the market folders: what every market shares."""

    production_systems: tuple[ProductionSystem, ...] = Field(min_length=1)


SELLER_FILE = "seller.toml"


def parse_seller_file(path: Path) -> SellerFile:
    try:
        raw: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{path}: not valid TOML: {exc}") from None
    try:
        return SellerFile.model_validate(raw)
    except ValidationError as exc:
        raise RulesError(f"{path}: {_describe(exc)}") from None


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
    seller = root / SELLER_FILE
    shared = parse_seller_file(seller).production_systems if seller.exists() else ()
    return RuleBook((parse_rules_file(path) for path in files), shared)
