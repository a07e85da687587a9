"""price(request, rules) -> PricedQuote. Pure: no Flask, no database, no I/O.

Every line names the rule that produced it, so a salesperson can explain any
figure. The program and the licenses are separate sections, each with its own
currency, subtotal, discount (program only), tax and total.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Literal

from quoting.money import Money
from quoting.rules import LineCategory, PriceList, Role, RulesVersion
from quoting.scope import QuoteRequest, check_against_rules

HUNDRED = Decimal(100)

ROLE_NAMES = {Role.TECHNICAL: "Technical", Role.BUSINESS: "Business",
              Role.LEADERSHIP: "Leadership"}


@dataclass(frozen=True, slots=True)
class PricedLine:
    code: str
    description: str
    category: LineCategory
    quantity: int
    unit: str
    unit_price: Money
    amount: Money
    rule: str
    # Values a document needs to word the line in another language.
    detail: dict[str, str | int] = field(default_factory=dict)

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


@dataclass(frozen=True, slots=True)
class TaxLine:
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
    program_lines = _program_lines(request, rules, rules.prices[currency], currency)
    program = _section("program", currency, program_lines, request.discount_percent, rules)
    license_currency = rules.licenses.currency
    licenses = _section("licenses", license_currency, _license_lines(request, rules),
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


def _line(code: str, description: str, category: LineCategory, quantity: int, unit: str,
          unit_price: Money, rule: str, **detail: str | int) -> PricedLine:
    return PricedLine(code, description, category, quantity, unit, unit_price,
                      (unit_price * quantity).rounded(), rule, detail)


def _program_lines(request: QuoteRequest, rules: RulesVersion, prices: PriceList,
                   currency: str) -> list[PricedLine]:
    ref = f"{rules.version} prices.{currency}"
    lines: list[PricedLine] = []
    attending = [(role, count) for role, count in (
        (Role.TECHNICAL, request.participants.technical),
        (Role.BUSINESS, request.participants.business),
        (Role.LEADERSHIP, request.participants.leadership),
    ) if count > 0]

    lines.append(_line(
        "discovery", "Discovery interviews, per area", LineCategory.CONSULTING,
        request.discovery_areas, "area", Money(prices.per_discovery_area, currency),
        f"{ref}.per_discovery_area",
    ))
    lines.append(_line(
        "cases", "Client cases turned into working material", LineCategory.CONSULTING,
        request.cases, "case", Money(prices.per_case, currency), f"{ref}.per_case",
    ))
    for role, count in attending:
        name = ROLE_NAMES[role]
        lines.append(_line(
            f"track_design.{role.value}", f"{name} track: design", LineCategory.TRAINING, 1,
            "track", Money(prices.track_design[role], currency),
            f"{ref}.track_design.{role.value}", role=role.value,
        ))
        lines.extend(_participant_lines(role, count, prices, currency, ref))
    tracks = len(attending)
    lines.append(_line(
        "delivery_weeks", f"Live sessions: {request.duration_weeks} weeks x {tracks} track(s)",
        LineCategory.TRAINING, request.duration_weeks * tracks, "track-week",
        Money(prices.per_track_week, currency), f"{ref}.per_track_week",
        weeks=request.duration_weeks, tracks=tracks,
    ))
    if request.delivery.mode != "remote":
        mode = request.delivery.mode
        lines.append(_line(
            f"travel.{mode}", f"Travel for {mode} delivery, per trip", LineCategory.TRAVEL,
            request.delivery.trips, "trip", Money(prices.per_trip[mode], currency),
            f"{ref}.per_trip.{mode}", mode=mode,
        ))
    lines.append(_line(
        "follow_up", "Adoption measurement at 30, 60 and 90 days", LineCategory.CONSULTING, 1,
        "program", Money(prices.follow_up, currency), f"{ref}.follow_up",
    ))
    subtotal = sum((line.amount.amount for line in lines), Decimal(0))
    if subtotal < prices.minimum_program_fee:
        top_up = Money(prices.minimum_program_fee - subtotal, currency)
        lines.append(_line(
            "minimum_fee", f"Adjustment to the minimum program fee of "
            f"{Money(prices.minimum_program_fee, currency)}", LineCategory.TRAINING, 1,
            "program", top_up, f"{ref}.minimum_program_fee",
        ))
    return lines


def _participant_lines(role: Role, count: int, prices: PriceList, currency: str,
                       ref: str) -> list[PricedLine]:
    """Graduated bands: each band's price applies only to the participants in it."""
    lines = []
    below = 0
    for index, band in enumerate(prices.participant_bands):
        upper = count if band.up_to is None else min(count, band.up_to)
        if upper <= below:
            break
        first, last = below + 1, upper
        span = f"{first}-{last}" if band.up_to is not None or last != first else f"{first}"
        lines.append(_line(
            f"participants.{role.value}.{index + 1}",
            f"{ROLE_NAMES[role]} participants {span}", LineCategory.TRAINING, last - below,
            "participant", Money(band.unit_price, currency),
            f"{ref}.participant_bands[{index}]", role=role.value, first=first, last=last,
        ))
        below = upper
    return lines


def _license_lines(request: QuoteRequest, rules: RulesVersion) -> list[PricedLine]:
    currency = rules.licenses.currency
    lines = []
    for index, line in enumerate(request.licenses):
        product = rules.license_product(line.product)
        assert product is not None  # check_against_rules refused unknown products
        lines.append(_line(
            f"license.{product.code}",
            f"{product.name}: {line.seats} seats x {line.months} months",
            LineCategory.LICENSE, line.seats * line.months, "seat-month",
            Money(product.per_seat_month, currency),
            f"{rules.version} licenses.{product.code}.per_seat_month",
            product=product.code, seats=line.seats, months=line.months, index=index,
        ))
    return lines


def _section(name: Literal["program", "licenses"], currency: str, lines: list[PricedLine],
             discount_percent: Decimal, rules: RulesVersion) -> Section:
    zero = Money.zero(currency)
    by_category: dict[LineCategory, Money] = {}
    for line in lines:
        by_category[line.category] = by_category.get(line.category, zero) + line.amount
    fraction = discount_percent / HUNDRED
    discount = zero
    taxes = []
    # Discount and tax per category: categories can carry different rates
    # (Chile's exempt courses), and the discount lowers each taxable base.
    for category in sorted(by_category, key=list(LineCategory).index):
        category_subtotal = by_category[category]
        category_discount = (category_subtotal * fraction).rounded()
        base = category_subtotal - category_discount
        treatment = rules.tax[category]
        taxes.append(TaxLine(
            category=category,
            rate=treatment.rate,
            label=treatment.label.en,
            base=base,
            amount=(base * treatment.rate).rounded(),
            exempt=treatment.exempt_reason is not None,
        ))
        discount = discount + category_discount
    subtotal = sum((line.amount for line in lines), zero)
    net = subtotal - discount
    tax = sum((t.amount for t in taxes), zero)
    return Section(name, currency, tuple(lines), subtotal, discount_percent, discount, net,
                   tuple(taxes), tax, net + tax)
