"""Each rule dimension, checked on figures worked out by hand from the rules files."""

from __future__ import annotations

import json
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from quoting.errors import QuoteInputError
from quoting.money import Money
from quoting.pricing import forget_kept_lines
from quoting.rules import Market
from quoting.scope import parse_request
from quoting.service_pricing import price_request
from quoting.taxid import tax_id_name

from .conftest import base_request

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

# MX-2025-01, MXN price list (example figures): design technical 43,200; participants
# 3,200 each for 1-10 then 2,700 for 11-25; 16,200 per track-week; 11,700 per area;
# 27,000 per case; 39,600 follow-up; minimum 162,000.
SMALL_MX = {"participants": {"technical": 12}, "duration_weeks": 2, "discovery_areas": 1,
            "cases": 2}


def amounts(quote):
    return {line.code: line.amount.amount for line in quote.program.lines}


def test_a_worked_mexican_quote_matches_the_hand_calculation(quote_for):
    quote = quote_for("MX", **SMALL_MX)
    assert amounts(quote) == {
        "discovery": Decimal("11700.00"),
        "cases": Decimal("54000.00"),
        "track_design.technical": Decimal("43200.00"),
        "participants.technical.1": Decimal("32000.00"),
        "participants.technical.2": Decimal("5400.00"),
        "delivery_weeks": Decimal("32400.00"),
        "follow_up": Decimal("39600.00"),
    }
    assert quote.program.subtotal == Money.of("218300.00", "MXN")
    assert quote.program.tax == Money.of("34928.00", "MXN")
    assert quote.program.total == Money.of("253228.00", "MXN")


def test_the_discount_lowers_each_taxable_base_and_is_reported_apart(quote_for):
    quote = quote_for("MX", discount_percent="5", **SMALL_MX)
    assert quote.program.discount == Money.of("10915.00", "MXN")
    assert quote.program.net == Money.of("207385.00", "MXN")
    assert quote.program.tax == Money.of("33181.60", "MXN")
    assert quote.program.total == Money.of("240566.60", "MXN")
    assert not quote.requires_approval


def test_participant_bands_are_graduated_so_the_tenth_costs_less_than_the_first(quote_for):
    quote = quote_for("MX", participants={"business": 30})
    bands = [line for line in quote.program.lines if line.code.startswith("participants.")]
    assert [(line.quantity, line.unit_price.amount) for line in bands] == [
        (10, Decimal("3200.00")), (15, Decimal("2700.00")), (5, Decimal("2200.00")),
    ]
    assert [line.detail["first"] for line in bands] == [1, 11, 26]


def test_a_track_is_designed_only_for_roles_that_have_participants(quote_for):
    quote = quote_for("MX", participants={"business": 4, "leadership": 2})
    codes = amounts(quote)
    assert "track_design.technical" not in codes
    assert {"track_design.business", "track_design.leadership"} <= set(codes)


def test_live_sessions_are_priced_per_week_and_per_track(quote_for):
    quote = quote_for("MX", duration_weeks=5)  # three tracks in the base request
    line = next(line for line in quote.program.lines if line.code == "delivery_weeks")
    assert line.quantity == 15
    assert line.amount == Money.of("243000.00", "MXN")


def test_travel_is_its_own_line_per_trip_and_remote_has_none(quote_for):
    assert not any(line.code.startswith("travel") for line in quote_for("MX").program.lines)
    onsite = quote_for("MX", delivery={"mode": "onsite", "trips": 3})
    travel = next(line for line in onsite.program.lines if line.code == "travel.onsite")
    assert (travel.quantity, travel.unit_price.amount) == (3, Decimal("32400.00"))
    assert travel.category == "travel"


def test_every_program_includes_the_30_60_90_follow_up(quote_for):
    for market in Market:
        assert "follow_up" in amounts(quote_for(market.value))


def test_a_small_program_is_topped_up_to_the_minimum_fee(quote_for):
    quote = quote_for("ES", participants={"leadership": 1}, duration_weeks=1,
                      discovery_areas=1, cases=2)
    assert quote.program.subtotal == Money.of("8280.00", "EUR")  # ES minimum program fee
    top_up = quote.program.lines[-1]
    assert top_up.code == "minimum_fee"
    assert top_up.rule.endswith("minimum_program_fee")


def test_licenses_are_their_own_section_in_their_own_currency_never_discounted(quote_for):
    quote = quote_for("MX", discount_percent="10",
                      licenses=[{"product": "chat-team", "seats": 20, "months": 12}])
    assert quote.licenses.currency == "USD"
    assert quote.licenses.subtotal == Money.of("7200.00", "USD")
    assert quote.licenses.discount == Money.zero("USD")
    assert quote.licenses.total == Money.of("8352.00", "USD")  # plus IVA 16%
    assert all(line.currency == "MXN" for line in (x.amount for x in quote.program.lines))


def test_chilean_courses_are_exempt_while_advisory_lines_carry_iva(quote_for):
    quote = quote_for("CL")
    taxes = {tax.category: tax for tax in quote.program.taxes}
    assert taxes["training"].exempt
    assert taxes["training"].amount == Money.zero("CLP")
    assert taxes["consulting"].rate == Decimal("0.19")
    assert quote.program.tax == taxes["consulting"].amount
    assert quote.program.total.amount == quote.program.total.amount.to_integral_value()


def test_a_discount_above_the_market_limit_needs_approval(quote_for):
    assert quote_for("CO", discount_percent="10").requires_approval is False
    assert quote_for("CO", discount_percent="10.5").requires_approval is True


def test_peru_can_be_quoted_in_dollars_with_its_dollar_price_list(quote_for):
    quote = quote_for("PE", currency="USD")
    assert quote.currency == quote.program.currency == "USD"
    assert all(" prices.USD." in line.rule for line in quote.program.lines)


def test_the_quote_records_its_rules_version_and_validity(quote_for):
    quote = quote_for("AR", date="2026-03-10")
    assert quote.rules_version == "AR-2025-01"
    assert quote.quote_date == date(2026, 3, 10)
    assert quote.valid_until == date(2026, 4, 9)
    assert quote_for("AR", date="2026-08-01", valid_days=15).valid_until == date(2026, 8, 16)


def test_the_language_defaults_to_the_market_and_can_be_chosen(quote_for):
    assert quote_for("ES").language == "es"
    assert quote_for("ES", language="en").language == "en"


def test_every_line_names_the_rule_and_version_that_produced_it(quote_for):
    quote = quote_for("CO", licenses=[{"product": "api-credit", "seats": 2, "months": 3}])
    for line in (*quote.program.lines, *quote.licenses.lines):
        assert line.rule.startswith("CO-2025-01 ")
        assert line.amount == (line.unit_price * line.quantity).rounded()


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_every_example_request_prices_with_its_market_currency(path, rulebook):
    request = json.loads(path.read_text(encoding="utf-8"))
    quote = price_request(request, rulebook)
    assert quote.market == request["market"]
    program = quote.program
    assert program.net.amount > 0
    # A tax is added on top, except where the price already includes it (Brazil).
    if all(tax.included for tax in program.taxes):
        assert program.total == program.net
        assert all(part.amount.amount > 0 for tax in program.taxes for part in tax.included)
    else:
        assert program.total.amount > program.net.amount
    assert quote.to_dict()["program"]["total"] == quote.program.total.as_str()


def test_the_json_form_carries_money_as_decimal_strings(quote_for):
    data = quote_for("CL", licenses=[{"product": "chat-team", "seats": 3, "months": 2}]).to_dict()
    assert {"market", "currency", "rules_version", "program", "licenses"} <= set(data)
    for section in ("program", "licenses"):
        assert {"lines", "subtotal", "discount", "tax", "total", "currency"} <= set(data[section])
        assert isinstance(data[section]["total"], str)
    assert data["program"]["total"].isdigit()  # CLP: whole pesos
    assert data["licenses"]["total"] == "214.20"  # 6 seat-months x 30.00 plus IVA 19%


def test_lines_prepared_once_per_price_list_cannot_be_changed_by_a_caller(quote_for):
    quote = quote_for("MX", **SMALL_MX)
    design = next(line for line in quote.program.lines if line.code == "track_design.technical")
    with pytest.raises(TypeError):
        design.detail["role"] = "changed"  # type: ignore[index]
    as_json = quote.to_dict()["program"]["lines"][2]
    as_json["detail"]["role"] = "changed"
    again = quote_for("MX", **SMALL_MX).to_dict()["program"]["lines"][2]
    assert again["detail"] == {"role": "technical"}


def test_a_quote_from_kept_lines_equals_one_worked_out_afresh(quote_for):
    request = {"participants": {"technical": 14, "business": 31, "leadership": 3},
               "duration_weeks": 6, "discovery_areas": 4, "cases": 3,
               "delivery": {"mode": "hybrid", "trips": 2}}
    forget_kept_lines()
    afresh = quote_for("MX", **request).to_dict()
    assert quote_for("MX", **request).to_dict() == afresh
    forget_kept_lines()
    assert quote_for("MX", **request).to_dict() == afresh


def test_brazil_states_iss_pis_and_cofins_inside_the_price_and_adds_nothing(quote_for):
    quote = quote_for("BR", discount_percent="7",
                      licenses=[{"product": "chat-team", "seats": 10, "months": 12}])
    for section in (quote.program, quote.licenses):
        assert section.tax.amount == 0
        assert section.total == section.net
        for tax in section.taxes:
            assert [part.rate for part in tax.included][1:] == [Decimal("0.0065"),
                                                                Decimal("0.03")]
    # One tax over several categories is rounded once on the whole price, so the
    # proposal's "PIS 0.65% on the net" reads base x rate exactly.
    program = quote.program
    for position in range(3):
        rate = program.taxes[0].included[position].rate
        if all(tax.included[position].rate == rate for tax in program.taxes):
            stated = sum(tax.included[position].amount.amount for tax in program.taxes)
            assert stated == (program.net.amount * rate).quantize(Decimal("0.01"),
                                                                  rounding=ROUND_HALF_UP)
    assert quote.licenses.taxes[0].included[0].rate == Decimal("0.029")  # ISS on software


def test_brazilian_included_taxes_reach_the_stored_json_only_for_brazil(quote_for):
    brazil = quote_for("BR").to_dict()["program"]["taxes"][0]
    assert [part["label"] for part in brazil["included"]][1:] == ["PIS 0.65%", "COFINS 3%"]
    assert brazil["amount"] == "0.00"
    assert "included" not in quote_for("MX").to_dict()["program"]["taxes"][0]


def test_uruguay_adds_iva_22_in_pesos_and_in_dollars(quote_for):
    for currency in ("UYU", "USD"):
        quote = quote_for("UY", currency=currency)
        assert quote.program.currency == currency
        for tax in quote.program.taxes:
            assert tax.rate == Decimal("0.22")
            assert tax.amount.amount == (tax.base.amount * Decimal("0.22")).quantize(
                Decimal("0.01"), rounding=ROUND_HALF_UP)
        assert quote.program.total == quote.program.net + quote.program.tax


def test_a_brazilian_client_may_be_a_company_cnpj_or_a_person_cpf():
    company = parse_request(base_request("BR", client={"name": "Empresa",
                                                       "tax_id": "16.727.230/0001-97"}))
    person = parse_request(base_request("BR", client={"name": "Pessoa",
                                                      "tax_id": "390.533.447-05"}))
    assert company.client.tax_id == "16727230000197"
    assert person.client.tax_id == "39053344705"
    assert tax_id_name("BR", company.client.tax_id) == "CNPJ"
    assert tax_id_name("BR", person.client.tax_id) == "CPF"
    with pytest.raises(QuoteInputError, match="CNPJ/CPF"):
        parse_request(base_request("BR", client={"name": "X", "tax_id": "390.533.447-06"}))
