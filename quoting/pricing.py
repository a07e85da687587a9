"""price(request, rules) -> PricedQuote. Pure: no Flask, no database, no I/O.

Every line names the rule that produced it, so a salesperson can explain any
figure. The program and the licenses are separate sections, each with its own
currency, subtotal, discount (program only), tax and total.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Literal, NamedTuple

from quoting.errors import QuoteInputError
from quoting.money import Money, round_half_up
from quoting.priced import IncludedTaxLine, PricedLine, PricedQuote, Section, TaxLine
from quoting.rules import LineCategory, Role, RulesVersion
from quoting.scope import QuoteRequest, check_against_rules

HUNDRED = Decimal(100)
_CATEGORY_ORDER = list(LineCategory)

ROLE_NAMES = {Role.TECHNICAL.value: "Technical", Role.BUSINESS.value: "Business",
              Role.LEADERSHIP.value: "Leadership"}


# A program starts within a year of its quote: later than that, the price list is stale.
MAX_START_DAYS = 365


def price(request: QuoteRequest, rules: RulesVersion, today: date) -> PricedQuote:
    """Price a validated request with the rules in force; `today` is used only
    when the request carries no date, so the same inputs give the same quote."""
    check_against_rules(request, rules)
    quote_date = request.date or today
    if request.start_date is not None and not (
            quote_date <= request.start_date <= quote_date + timedelta(days=MAX_START_DAYS)):
        raise QuoteInputError.single(
            "start_date", f"the program must start between the quote date {quote_date} and "
            f"{MAX_START_DAYS} days after it (got {request.start_date})")
    currency = request.currency or rules.default_currency
    table = _price_table(rules, currency)
    program_lines, program_sums = _program_lines(request, table)
    program = _section("program", currency, program_lines, program_sums,
                       request.discount_percent, table.taxes)
    if request.licenses:
        license_lines = _license_lines(request, table)
        licenses = _section("licenses", table.license_currency, license_lines,
                            _sums_by_category(license_lines), ZERO, table.taxes)
    else:
        licenses = table.no_licenses
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


# Pricing runs thousands of times per second, so the hot path below builds
# its records, Money included, with tuple.__new__: that skips NamedTuple's
# keyword handling and Money's checks, which every figure here has passed when
# its price table was loaded (a Decimal at the currency's precision).
ZERO = Decimal(0)
_new_record = tuple.__new__
_NO_DETAIL: Mapping[str, str | int] = MappingProxyType({})


class _Tariff(NamedTuple):
    """One priced item of a price list, ready to multiply."""

    code: str
    description: str
    category: LineCategory
    unit: str
    unit_price: Money
    rule: str

    def line(self, quantity: int, description: str, detail: Mapping[str, str | int],
             code: str) -> PricedLine:
        # Unit prices are validated at the currency's precision on load, so a
        # whole quantity times a unit price needs no rounding.
        unit_price = self.unit_price
        amount = _new_record(Money, (unit_price.amount * quantity, unit_price.currency))
        return _new_record(PricedLine, (code, description, self.category, quantity, self.unit,
                                        unit_price, amount, self.rule, detail))

    def plain_line(self, quantity: int) -> PricedLine:
        return self.line(quantity, self.description, _NO_DETAIL, self.code)


class _TaxTreatment(NamedTuple):
    rate: Decimal
    label: str
    exempt: bool
    included: tuple[tuple[str, Decimal], ...]


class _PriceTable(NamedTuple):
    """A rules version's prices in one currency, prepared once: tariffs, the
    lines that never vary (a track's design, the follow-up) and tax treatments."""

    discovery: _Tariff
    cases: _Tariff
    design_groups: dict[str, _LineGroup]
    bands: tuple[tuple[int | None, _Tariff], ...]
    band_codes: dict[str, tuple[str, ...]]
    track_weeks: _Tariff
    trips: dict[str, _Tariff]
    follow_up_group: _LineGroup
    minimum_fee: Money
    minimum_rule: str
    licenses: dict[str, _Tariff]
    license_currency: str
    taxes: dict[LineCategory, _TaxTreatment]
    # Lines already worked out, by kind and quantity (see _kept_group).
    kept: dict[tuple[str, int, int], _LineGroup]
    no_licenses: Section


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

    design = {
        role.value: tariff(f"track_design.{role.value}", f"{ROLE_NAMES[role]} track: design",
                           LineCategory.TRAINING, "track", prices.track_design[role],
                           f"track_design.{role.value}")
        for role in Role
    }
    trips: dict[str, _Tariff] = {
        mode: tariff(f"travel.{mode}", f"Travel for {mode} delivery, per trip",
                     LineCategory.TRAVEL, "trip", figure, f"per_trip.{mode}")
        for mode, figure in prices.per_trip.items()
    }
    bands = tuple(
        (band.up_to, tariff("participants", "participants", LineCategory.TRAINING,
                            "participant", band.unit_price, f"participant_bands[{index}]"))
        for index, band in enumerate(prices.participant_bands)
    )
    follow_up = tariff("follow_up", "Adoption measurement at 30, 60 and 90 days",
                       LineCategory.CONSULTING, "program", prices.follow_up, "follow_up")
    table = _PriceTable(
        discovery=tariff("discovery", "Discovery interviews, per area", LineCategory.CONSULTING,
                         "area", prices.per_discovery_area, "per_discovery_area"),
        cases=tariff("cases", "Client cases turned into working material",
                     LineCategory.CONSULTING, "case", prices.per_case, "per_case"),
        design_groups={
            role: _group((design_tariff.line(1, design_tariff.description,
                                             MappingProxyType({"role": role}),
                                             design_tariff.code),))
            for role, design_tariff in design.items()
        },
        bands=bands,
        band_codes={
            role.value: tuple(f"participants.{role.value}.{number}"
                              for number in range(1, len(bands) + 1))
            for role in Role
        },
        track_weeks=tariff("delivery_weeks", "Live sessions", LineCategory.TRAINING,
                           "track-week", prices.per_track_week, "per_track_week"),
        trips=trips,
        follow_up_group=_group((follow_up.plain_line(1),)),
        minimum_fee=Money(prices.minimum_program_fee, currency),
        minimum_rule=f"{ref}.minimum_program_fee",
        licenses={
            product.code: _Tariff(
                f"license.{product.code}", product.name, LineCategory.LICENSE,
                f"{product.unit}-month",
                Money(product.per_seat_month, rules.licenses.currency),
                f"{rules.version} licenses.{product.code}.per_seat_month")
            for product in rules.licenses.products
        },
        license_currency=rules.licenses.currency,
        taxes={
            category: _TaxTreatment(treatment.rate, treatment.label.en,
                                    treatment.exempt_reason is not None,
                                    tuple((tax.label.en, tax.rate) for tax in treatment.included))
            for category, treatment in rules.tax.items()
        },
        kept={},
        no_licenses=_section("licenses", rules.licenses.currency, [], {}, ZERO, {}),
    )
    _TABLES[key] = (rules, table)
    return table


def _program_lines(request: QuoteRequest,
                   table: _PriceTable) -> tuple[list[PricedLine], dict[LineCategory, Decimal]]:
    """The program's lines, and their sums by category."""
    participants = request.participants
    groups = [_kept_group(table, "discovery", request.discovery_areas),
              _kept_group(table, "cases", request.cases)]
    tracks = 0
    for role, count in (("technical", participants.technical),
                        ("business", participants.business),
                        ("leadership", participants.leadership)):
        if count > 0:
            tracks += 1
            groups.append(table.design_groups[role])
            groups.append(_kept_group(table, role, count))
    groups.append(_kept_group(table, "weeks", request.duration_weeks, tracks))
    mode = request.delivery.mode
    if mode != "remote":
        groups.append(_kept_group(table, mode, request.delivery.trips))
    groups.append(table.follow_up_group)
    lines: list[PricedLine] = []
    sums: dict[LineCategory, Decimal] = {}
    for group in groups:
        lines.extend(group.lines)
        category = group.category
        sums[category] = sums[category] + group.amount if category in sums else group.amount
    subtotal = sum(sums.values(), ZERO)
    minimum = table.minimum_fee
    if subtotal < minimum.amount:
        top_up = _Tariff("minimum_fee", f"Adjustment to the minimum program fee of {minimum}",
                         LineCategory.TRAINING, "program",
                         Money(minimum.amount - subtotal, minimum.currency),
                         table.minimum_rule).plain_line(1)
        lines.append(top_up)
        sums[top_up.category] = sums.get(top_up.category, ZERO) + top_up.amount.amount
    return lines, sums


class _LineGroup(NamedTuple):
    """Lines of one category worked out together, with their sum."""

    lines: tuple[PricedLine, ...]
    category: LineCategory
    amount: Decimal


def _group(lines: tuple[PricedLine, ...]) -> _LineGroup:
    return _LineGroup(lines, lines[0].category, sum([line.amount.amount for line in lines], ZERO))


# Every quantity is a small whole number bounded by validation (areas, cases,
# head counts, weeks, trips), and the same ones recur across quotes; so the
# lines for a quantity are worked out once per price table and kept. Past this
# many distinct keys per table the rest are worked out each time.
_LINES_KEPT = 8192


def _kept_group(table: _PriceTable, kind: str, quantity: int, tracks: int = 0) -> _LineGroup:
    """`kind` is "discovery", "cases", "weeks", a role or a delivery mode."""
    key = (kind, quantity, tracks)
    group = table.kept.get(key)
    if group is None:
        group = _group(_worked_out_lines(table, kind, quantity, tracks))
        if len(table.kept) < _LINES_KEPT:
            table.kept[key] = group
    return group


def _worked_out_lines(table: _PriceTable, kind: str, quantity: int,
                      tracks: int) -> tuple[PricedLine, ...]:
    if kind == "discovery":
        return (table.discovery.plain_line(quantity),)
    if kind == "cases":
        return (table.cases.plain_line(quantity),)
    if kind == "weeks":
        track_weeks = table.track_weeks
        return (track_weeks.line(
            quantity * tracks, f"Live sessions: {quantity} weeks x {tracks} track(s)",
            MappingProxyType({"weeks": quantity, "tracks": tracks}), track_weeks.code),)
    if kind in table.trips:
        trip = table.trips[kind]
        return (trip.line(quantity, trip.description, MappingProxyType({"mode": kind}),
                          trip.code),)
    return _graduated_lines(kind, quantity, table)


def forget_kept_lines() -> None:
    """Empty every price table's kept lines (benchmarks measure the cold cost)."""
    for _rules, table in _TABLES.values():
        table.kept.clear()


def _graduated_lines(role: str, count: int, table: _PriceTable) -> tuple[PricedLine, ...]:
    """Graduated bands: each band's price applies only to the participants in it."""
    lines = []
    below = 0
    name = ROLE_NAMES[role]
    codes = table.band_codes[role]
    for index, (up_to, tariff) in enumerate(table.bands):
        upper = count if up_to is None or count < up_to else up_to
        if upper <= below:
            break
        first = below + 1
        lines.append(tariff.line(
            upper - below, f"{name} participants {first}-{upper}",
            MappingProxyType({"role": role, "first": first, "last": upper}), codes[index],
        ))
        below = upper
    return tuple(lines)


def _license_lines(request: QuoteRequest, table: _PriceTable) -> list[PricedLine]:
    lines = []
    for index, line in enumerate(request.licenses):
        tariff = table.licenses[line.product]  # check_against_rules refused unknown products
        seats, months = line.seats, line.months
        lines.append(tariff.line(
            seats * months, f"{tariff.description}: {seats} seats x {months} months",
            {"product": line.product, "seats": seats, "months": months, "index": index},
            tariff.code,
        ))
    return lines


def _sums_by_category(lines: list[PricedLine]) -> dict[LineCategory, Decimal]:
    sums: dict[LineCategory, Decimal] = {}
    for line in lines:
        category = line.category
        sums[category] = sums.get(category, ZERO) + line.amount.amount
    return sums


def _included_taxes(bases: list[tuple[LineCategory, Decimal, _TaxTreatment]],
                    currency: str) -> list[tuple[IncludedTaxLine, ...]]:
    """Each category's taxes already inside the price (Brazil's ISS, PIS, COFINS):
    stated, never added. Like added taxes, one tax over several categories is rounded
    once on their joint base (the largest base takes the difference), so the
    proposal's line "PIS 0.65% on the whole price" reads base x rate exactly."""
    if not any(treatment.included for _category, _base, treatment in bases):
        return [()] * len(bases)
    amounts = [[round_half_up(base * rate, currency) for _label, rate in treatment.included]
               for _category, base, treatment in bases]
    groups: dict[tuple[str, Decimal], list[tuple[int, int]]] = {}
    for index, (_category, _base, treatment) in enumerate(bases):
        for position, key in enumerate(treatment.included):
            groups.setdefault(key, []).append((index, position))
    for (_label, rate), members in groups.items():
        if len(members) < 2:
            continue
        joint = round_half_up(sum(bases[i][1] for i, _p in members) * rate, currency)
        difference = joint - sum(amounts[i][p] for i, p in members)
        if difference:
            i, p = max(members, key=lambda m: (bases[m[0]][1], -m[0]))
            amounts[i][p] += difference
    return [
        tuple(_new_record(IncludedTaxLine, (label, rate, _new_record(Money, (amount, currency))))
              for (label, rate), amount in zip(treatment.included, row, strict=True))
        for (_category, _base, treatment), row in zip(bases, amounts, strict=True)
    ]


def _tax_by_category(bases: list[tuple[LineCategory, Decimal, _TaxTreatment]],
                     currency: str) -> list[Decimal]:
    """Each category's tax. Categories taxed at the same rate under the same label are
    one line on an invoice, so their tax is rounded once on their joint base, and the
    rounding difference goes to the largest base: the proposal's grouped lines then
    read base x rate exactly."""
    amounts = [round_half_up(base * t.rate, currency) if t.rate else ZERO
               for _category, base, t in bases]
    groups: dict[tuple[Decimal, str], list[int]] = {}
    for index, (_category, _base, treatment) in enumerate(bases):
        if treatment.rate:
            groups.setdefault((treatment.rate, treatment.label), []).append(index)
    for (rate, _label), members in groups.items():
        if len(members) < 2:
            continue
        joint = round_half_up(sum(bases[i][1] for i in members) * rate, currency)
        difference = joint - sum(amounts[i] for i in members)
        if difference:
            largest = max(members, key=lambda i: (bases[i][1], -i))
            amounts[largest] += difference
    return amounts


def _section(name: Literal["program", "licenses"], currency: str, lines: list[PricedLine],
             sums: dict[LineCategory, Decimal], discount_percent: Decimal,
             treatments: dict[LineCategory, _TaxTreatment]) -> Section:
    """`sums` are the lines' amounts by category, all in `currency`; Money wraps
    the results."""
    fraction = discount_percent / HUNDRED
    subtotal = discount = tax = ZERO
    bases: list[tuple[LineCategory, Decimal, _TaxTreatment]] = []
    # Discount per category: categories can carry different rates (Chile's exempt
    # courses), and the discount lowers each taxable base.
    for category in _CATEGORY_ORDER:
        category_subtotal = sums.get(category)
        if category_subtotal is None:
            continue
        category_discount = (round_half_up(category_subtotal * fraction, currency)
                             if fraction else ZERO)
        bases.append((category, category_subtotal - category_discount, treatments[category]))
        subtotal += category_subtotal
        discount += category_discount
    amounts = _tax_by_category(bases, currency)
    included = _included_taxes(bases, currency)
    taxes = []
    for (category, base, treatment), category_tax, inside in zip(bases, amounts, included,
                                                                 strict=True):
        taxes.append(_new_record(TaxLine, (
            category, treatment.rate, treatment.label, _new_record(Money, (base, currency)),
            _new_record(Money, (category_tax, currency)), treatment.exempt, inside,
        )))
        tax += category_tax
    net = subtotal - discount
    return _new_record(Section, (
        name, currency, tuple(lines), _new_record(Money, (subtotal, currency)), discount_percent,
        _new_record(Money, (discount, currency)), _new_record(Money, (net, currency)),
        tuple(taxes), _new_record(Money, (tax, currency)),
        _new_record(Money, (net + tax, currency)),
    ))
