"""price(request, rules) -> PricedQuote. Pure: no Flask, no database, no I/O.

Every line names the rule that produced it, so a salesperson can explain any
figure. The program and the licenses are separate sections, each with its own
currency, subtotal, discount (program only), tax and total.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Literal, NamedTuple

from quoting.money import Money
from quoting.rules import LineCategory, Role, RulesVersion
from quoting.scope import QuoteRequest, check_against_rules

HUNDRED = Decimal(100)
_CATEGORY_ORDER = list(LineCategory)

ROLE_NAMES = {Role.TECHNICAL.value: "Technical", Role.BUSINESS.value: "Business",
              Role.LEADERSHIP.value: "Leadership"}


class PricedLine(NamedTuple):
    code: str
    description: str
    category: LineCategory
    quantity: int
    unit: str
    unit_price: Money
    amount: Money
    rule: str
    # Values a document needs to word the line in another language.
    detail: dict[str, str | int]

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "description": self.description,
            "category": self.category.value,
            "quantity": self.quantity,
            "unit": self.unit,
            "unit_price": self.unit_price.as_str(),
            "amount": self.amount.as_str(),
            "rule": self.rule,
            "detail": dict(self.detail),
        }


class TaxLine(NamedTuple):
    category: LineCategory
    rate: Decimal
    label: str
    base: Money
    amount: Money
    exempt: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "category": self.category.value,
            "rate": str(self.rate),
            "label": self.label,
            "base": self.base.as_str(),
            "amount": self.amount.as_str(),
            "exempt": self.exempt,
        }


@dataclass(frozen=True, slots=True)
class Section:
    name: Literal["program", "licenses"]
    currency: str
    lines: tuple[PricedLine, ...]
    subtotal: Money
    discount_percent: Decimal
    discount: Money
    net: Money
    taxes: tuple[TaxLine, ...]
    tax: Money
    total: Money

    def to_dict(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "lines": [line.to_dict() for line in self.lines],
            "subtotal": self.subtotal.as_str(),
            "discount_percent": str(self.discount_percent),
            "discount": self.discount.as_str(),
            "net": self.net.as_str(),
            "taxes": [tax.to_dict() for tax in self.taxes],
            "tax": self.tax.as_str(),
            "total": self.total.as_str(),
        }


@dataclass(frozen=True, slots=True)
class PricedQuote:
    market: str
    currency: str
    language: str
    rules_version: str
    quote_date: date
    valid_until: date
    program: Section
    licenses: Section
    discount_limit: Decimal
    requires_approval: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "market": self.market,
            "currency": self.currency,
            "language": self.language,
            "rules_version": self.rules_version,
            "quote_date": self.quote_date.isoformat(),
            "valid_until": self.valid_until.isoformat(),
            "requires_approval": self.requires_approval,
            "discount_limit_percent": str(self.discount_limit),
            "program": self.program.to_dict(),
            "licenses": self.licenses.to_dict(),
        }


def price(request: QuoteRequest, rules: RulesVersion, today: date) -> PricedQuote:
    """Price a validated request with the rules in force; `today` is used only
    when the request carries no date, so the same inputs give the same quote."""
    check_against_rules(request, rules)
    quote_date = request.date or today
    currency = request.currency or rules.default_currency
    table = _price_table(rules, currency)
    program_lines = _program_lines(request, table)
    program = _section("program", currency, program_lines, request.discount_percent, rules)
    license_currency = rules.licenses.currency
    licenses = _section("licenses", license_currency, _license_lines(request, table),
                        Decimal(0), rules)
    valid_days = request.valid_days or rules.default_valid_days
    return PricedQuote(
        market=rules.market.value,
        currency=currency,
        language=request.language or rules.default_language,
        rules_version=rules.version,
        quote_date=quote_date,
        valid_until=quote_date + timedelta(days=valid_days),
        program=program,
        licenses=licenses,
        discount_limit=rules.discount_without_approval,
        requires_approval=request.discount_percent > rules.discount_without_approval,
    )


class _Tariff(NamedTuple):
    """One priced item of a price list, ready to multiply: built once per rules
    version and currency, since pricing runs thousands of times per second."""

    code: str
    description: str
    category: LineCategory
    unit: str
    unit_price: Money
    rule: str

    def line(self, quantity: int, description: str | None = None,
             detail: dict[str, str | int] | None = None, code: str | None = None) -> PricedLine:
        # Unit prices are validated at the currency's precision on load, so a
        # whole quantity times a unit price needs no rounding.
        unit_price = self.unit_price
        return PricedLine(code or self.code, description or self.description, self.category,
                          quantity, self.unit, unit_price,
                          Money(unit_price.amount * quantity, unit_price.currency),
                          self.rule, detail or {})


class _PriceTable(NamedTuple):
    discovery: _Tariff
    cases: _Tariff
    track_design: dict[str, _Tariff]
    bands: tuple[tuple[int | None, _Tariff, str], ...]
    track_weeks: _Tariff
    trips: dict[str, _Tariff]
    follow_up: _Tariff
    minimum_fee: Money
    minimum_rule: str
    licenses: dict[str, _Tariff]


_TABLES: dict[tuple[int, str], tuple[RulesVersion, _PriceTable]] = {}


def _price_table(rules: RulesVersion, currency: str) -> _PriceTable:
    # Keyed by object identity (and holding the object so the id stays valid):
    # two rule books may reuse a version name with different figures.
    key = (id(rules), currency)
    cached = _TABLES.get(key)
    if cached is not None and cached[0] is rules:
        return cached[1]
    prices = rules.prices[currency]
    ref = f"{rules.version} prices.{currency}"

    def tariff(code: str, description: str, category: LineCategory, unit: str,
               figure: Decimal, rule: str) -> _Tariff:
        return _Tariff(code, description, category, unit, Money(figure, currency),
                       f"{ref}.{rule}")

    table = _PriceTable(
        discovery=tariff("discovery", "Discovery interviews, per area", LineCategory.CONSULTING,
                         "area", prices.per_discovery_area, "per_discovery_area"),
        cases=tariff("cases", "Client cases turned into working material",
                     LineCategory.CONSULTING, "case", prices.per_case, "per_case"),
        track_design={
            role.value: tariff(f"track_design.{role.value}", f"{ROLE_NAMES[role]} track: design",
                         LineCategory.TRAINING, "track", prices.track_design[role],
                         f"track_design.{role.value}")
            for role in Role
        },
        bands=tuple(
            (band.up_to, tariff("participants", "participants", LineCategory.TRAINING,
                                "participant", band.unit_price, f"participant_bands[{index}]"),
             str(index + 1))
            for index, band in enumerate(prices.participant_bands)
        ),
        track_weeks=tariff("delivery_weeks", "Live sessions", LineCategory.TRAINING,
                           "track-week", prices.per_track_week, "per_track_week"),
        trips={
            mode: tariff(f"travel.{mode}", f"Travel for {mode} delivery, per trip",
                         LineCategory.TRAVEL, "trip", figure, f"per_trip.{mode}")
            for mode, figure in prices.per_trip.items()
        },
        follow_up=tariff("follow_up", "Adoption measurement at 30, 60 and 90 days",
                         LineCategory.CONSULTING, "program", prices.follow_up, "follow_up"),
        minimum_fee=Money(prices.minimum_program_fee, currency),
        minimum_rule=f"{ref}.minimum_program_fee",
        licenses={
            product.code: _Tariff(
                f"license.{product.code}", product.name, LineCategory.LICENSE, "seat-month",
                Money(product.per_seat_month, rules.licenses.currency),
                f"{rules.version} licenses.{product.code}.per_seat_month")
            for product in rules.licenses.products
        },
    )
    _TABLES[key] = (rules, table)
    return table


def _program_lines(request: QuoteRequest, table: _PriceTable) -> list[PricedLine]:
    participants = request.participants
    attending = [(role, count) for role, count in (
        ("technical", participants.technical),
        ("business", participants.business),
        ("leadership", participants.leadership),
    ) if count > 0]

    lines = [table.discovery.line(request.discovery_areas), table.cases.line(request.cases)]
    for role, count in attending:
        lines.append(table.track_design[role].line(1, detail={"role": role}))
        _add_participant_lines(lines, role, count, table)
    tracks = len(attending)
    weeks = request.duration_weeks
    lines.append(table.track_weeks.line(
        weeks * tracks, f"Live sessions: {weeks} weeks x {tracks} track(s)",
        {"weeks": weeks, "tracks": tracks},
    ))
    if request.delivery.mode != "remote":
        mode = request.delivery.mode
        lines.append(table.trips[mode].line(request.delivery.trips, detail={"mode": mode}))
    lines.append(table.follow_up.line(1))
    subtotal = sum((line.amount.amount for line in lines), Decimal(0))
    minimum = table.minimum_fee
    if subtotal < minimum.amount:
        top_up = _Tariff("minimum_fee", f"Adjustment to the minimum program fee of {minimum}",
                         LineCategory.TRAINING, "program",
                         Money(minimum.amount - subtotal, minimum.currency), table.minimum_rule)
        lines.append(top_up.line(1))
    return lines


def _add_participant_lines(lines: list[PricedLine], role: str, count: int,
                           table: _PriceTable) -> None:
    """Graduated bands: each band's price applies only to the participants in it."""
    below = 0
    name = ROLE_NAMES[role]
    for up_to, tariff, band_number in table.bands:
        upper = count if up_to is None or count < up_to else up_to
        if upper <= below:
            break
        first = below + 1
        lines.append(tariff.line(
            upper - below, f"{name} participants {first}-{upper}",
            {"role": role, "first": first, "last": upper},
            f"participants.{role}.{band_number}",
        ))
        below = upper


def _license_lines(request: QuoteRequest, table: _PriceTable) -> list[PricedLine]:
    lines = []
    for index, line in enumerate(request.licenses):
        tariff = table.licenses[line.product]  # check_against_rules refused unknown products
        lines.append(tariff.line(
            line.seats * line.months,
            f"{tariff.description}: {line.seats} seats x {line.months} months",
            {"product": line.product, "seats": line.seats, "months": line.months, "index": index},
        ))
    return lines


def _section(name: Literal["program", "licenses"], currency: str, lines: list[PricedLine],
             discount_percent: Decimal, rules: RulesVersion) -> Section:
    # Sums run on plain Decimals (all in `currency`); Money wraps the results.
    sums: dict[LineCategory, Decimal] = {}
    for line in lines:
        sums[line.category] = sums.get(line.category, Decimal(0)) + line.amount.amount
    by_category = {category: sums[category] for category in _CATEGORY_ORDER if category in sums}
    fraction = discount_percent / HUNDRED
    discount = Decimal(0)
    tax = Decimal(0)
    taxes = []
    # Discount and tax per category: categories can carry different rates
    # (Chile's exempt courses), and the discount lowers each taxable base.
    for category, category_subtotal in by_category.items():
        category_discount = Money(category_subtotal * fraction, currency).rounded()
        base = Money(category_subtotal - category_discount.amount, currency)
        treatment = rules.tax[category]
        category_tax = Money(base.amount * treatment.rate, currency).rounded()
        taxes.append(TaxLine(category, treatment.rate, treatment.label.en, base, category_tax,
                             treatment.exempt_reason is not None))
        discount += category_discount.amount
        tax += category_tax.amount
    subtotal = sum(by_category.values(), Decimal(0))
    net = subtotal - discount
    return Section(name, currency, tuple(lines), Money(subtotal, currency), discount_percent,
                   Money(discount, currency), Money(net, currency), tuple(taxes),
                   Money(tax, currency), Money(net + tax, currency))
