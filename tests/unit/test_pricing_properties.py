"""Properties that hold for every request in every market."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from quoting.money import minor_units
from quoting.priced import PricedQuote, Section
from quoting.rules import Market, RuleBook, load_rulebook
from quoting.service_pricing import price_request
from quoting.taxid import SCHEMES

from .conftest import QUOTE_DAY

RULEBOOK: RuleBook = load_rulebook()
ZERO = Decimal(0)
LICENSE_CODES = ["chat-team", "chat-enterprise", "coding-assistant", "api-credit"]


@st.composite
def requests(draw: st.DrawFn) -> dict[str, Any]:
    market = draw(st.sampled_from([m.value for m in Market]))
    rules = RULEBOOK.in_force(Market(market), QUOTE_DAY)
    roles = draw(st.fixed_dictionaries({
        "technical": st.integers(0, 300), "business": st.integers(0, 300),
        "leadership": st.integers(0, 60),
    }).filter(lambda p: sum(p.values()) > 0))
    mode = draw(st.sampled_from(["remote", "onsite", "hybrid"]))
    return {
        "market": market,
        "date": QUOTE_DAY.isoformat(),
        "currency": draw(st.sampled_from(rules.allowed_currencies)),
        "client": {"name": "Cliente", "tax_id": SCHEMES[market].example},
        "participants": roles,
        "duration_weeks": draw(st.integers(1, 52)),
        "discovery_areas": draw(st.integers(1, 20)),
        "cases": draw(st.integers(2, 4)),
        "delivery": {"mode": mode, "trips": 0 if mode == "remote" else draw(st.integers(1, 40))},
        "licenses": draw(st.lists(st.fixed_dictionaries({
            "product": st.sampled_from(LICENSE_CODES),
            "seats": st.integers(1, 2000), "months": st.integers(1, 36),
        }), max_size=4)),
        "discount_percent": str(draw(st.decimals(0, 30, places=1))),
    }


def priced(request: dict[str, Any]) -> PricedQuote:
    return price_request(request, RULEBOOK, QUOTE_DAY)


def sections(quote: PricedQuote) -> tuple[Section, Section]:
    return quote.program, quote.licenses


@given(requests())
def test_lines_add_up_to_each_subtotal_and_total_is_net_plus_tax(request):
    for section in sections(priced(request)):
        assert sum(line.amount.amount for line in section.lines) == section.subtotal.amount
        assert section.net == section.subtotal - section.discount
        assert section.total == section.net + section.tax
        assert sum(t.amount.amount for t in section.taxes) == section.tax.amount
        assert sum(t.base.amount for t in section.taxes) == section.net.amount


@given(requests())
def test_every_amount_is_at_its_currency_precision(request):
    for section in sections(priced(request)):
        figures = [section.subtotal, section.discount, section.net, section.tax, section.total]
        figures += [line.amount for line in section.lines]
        figures += [line.unit_price for line in section.lines]
        assert all(figure.is_rounded() for figure in figures)
        assert all(figure.currency == section.currency for figure in figures)


@given(requests())
def test_licenses_are_never_touched_by_the_program_discount(request):
    undiscounted = priced({**request, "discount_percent": "0"})
    assert priced(request).licenses == undiscounted.licenses
    assert undiscounted.licenses.discount.amount == 0


@given(requests())
def test_the_same_request_and_rules_give_the_same_quote(request):
    first = priced(request)
    assert priced(json.loads(json.dumps(request))) == first
    assert priced(request).to_dict() == first.to_dict()


@given(requests(), st.sampled_from(["technical", "business", "leadership"]), st.integers(1, 50))
def test_more_participants_never_lower_the_price(request, role, extra):
    more = json.loads(json.dumps(request))
    more["participants"][role] = min(2000, more["participants"][role] + extra)
    assert priced(more).program.total >= priced(request).program.total


@given(requests(), st.sampled_from(["duration_weeks", "discovery_areas", "cases"]))
def test_more_weeks_areas_or_cases_never_lower_the_price(request, field):
    limits = {"duration_weeks": 52, "discovery_areas": 20, "cases": 4}
    more = {**request, field: min(limits[field], request[field] + 1)}
    assert priced(more).program.total >= priced(request).program.total


@settings(max_examples=50)
@given(requests())
def test_a_bigger_discount_never_raises_the_program_total(request):
    raised = min(Decimal(30), Decimal(request["discount_percent"]) + 1)
    bigger = {**request, "discount_percent": str(raised)}
    assert priced(bigger).program.total <= priced(request).program.total


@given(requests())
def test_taxes_inside_the_price_are_a_share_of_it_never_an_addition(request):
    for section in sections(priced(request)):
        quantum = Decimal(1).scaleb(-minor_units(section.currency))
        joint: dict[tuple[str, Decimal], list[Decimal]] = {}
        for tax in section.taxes:
            for part in tax.included:
                assert part.amount.currency == section.currency
                assert part.amount.is_rounded()
                # Rounded with the other categories that carry the same tax.
                assert abs(part.amount.amount - tax.base.amount * part.rate) <= (
                    quantum * len(section.taxes))
                bases, amounts = joint.setdefault((part.label, part.rate), [ZERO, ZERO])
                joint[(part.label, part.rate)] = [bases + tax.base.amount,
                                                  amounts + part.amount.amount]
        for (_label, rate), (base, amount) in joint.items():
            assert amount == (base * rate).quantize(quantum, rounding=ROUND_HALF_UP)
        if section.taxes and all(tax.included and tax.rate == 0 for tax in section.taxes):
            assert section.total == section.net
