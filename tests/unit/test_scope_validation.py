"""Bad requests are refused with the field, what was wrong and what is allowed."""

from __future__ import annotations

from typing import Any

import pytest

from quoting.errors import QuoteInputError
from quoting.rules import RuleBook
from quoting.scope import parse_request
from quoting.service_pricing import price_request

from .conftest import QUOTE_DAY, base_request


def problems_for(rulebook: RuleBook, market: str = "MX", **overrides: Any) -> dict[str, str]:
    with pytest.raises(QuoteInputError) as caught:
        price_request(base_request(market, **overrides), rulebook, QUOTE_DAY)
    return {p.field: p.message for p in caught.value.problems}


@pytest.mark.parametrize(
    ("overrides", "field", "wording"),
    [
        ({"market": "BO"}, "market", "'CL', 'PE', 'ES', 'UY' or 'BR'"),
        ({"participants": {}}, "participants", "at least one participant"),
        ({"participants": {"technical": 1_000_000}}, "participants.technical", "2000"),
        ({"participants": {"business": -3}}, "participants.business", "greater than or equal"),
        ({"cases": 1}, "cases", "greater than or equal to 2"),
        ({"cases": 5}, "cases", "less than or equal to 4"),
        ({"duration_weeks": "six"}, "duration_weeks", "whole number, got 'six'"),
        ({"duration_weeks": 2.5}, "duration_weeks", "whole number"),
        ({"cases": True}, "cases", "true/false"),
        ({"discount_percent": 7.5}, "discount_percent", "not a floating-point number"),
        ({"discount_percent": "abc"}, "discount_percent", "not a decimal number"),
        ({"discount_percent": "101"}, "discount_percent", "less than or equal to 100"),
        ({"delivery": "onsite"}, "delivery.trips", "needs the number of trips"),
        ({"delivery": {"mode": "remote", "trips": 2}}, "delivery.trips", "remote delivery has no"),
        ({"delivery": "teleport"}, "delivery.mode", "'remote', 'onsite' or 'hybrid'"),
        ({"language": "fr"}, "language", "'es', 'en' or 'pt'"),
        ({"date": "2026-13-01"}, "date", "month"),
        ({"partcipants": 3}, "partcipants", "allowed here: market, date"),
        ({"valid_days": 0}, "valid_days", "greater than or equal to 1"),
    ],
)
def test_a_bad_field_is_named_with_what_is_allowed(rulebook, overrides, field, wording):
    market = overrides.pop("market", "MX")
    problems = problems_for(rulebook, market, **overrides)
    assert field in problems, problems
    assert wording in problems[field]


def test_a_mexican_rfc_with_a_wrong_check_digit_is_refused(rulebook):
    problems = problems_for(rulebook, "MX", client={"name": "X", "tax_id": "GODE561231GR9"})
    assert "check digit" in problems["client.tax_id"]
    assert "GODE561231GR8" in problems["client.tax_id"]  # shows the expected form


@pytest.mark.parametrize(("market", "bad_tax_id"), [
    ("AR", "20-26756539-4"), ("EC", "1790011675001"), ("CO", "860.012.336-2"),
    ("CL", "76.086.428-6"), ("PE", "20100070971"), ("ES", "B12345675"),
    ("UY", "21-100342-001-8"), ("BR", "16.727.230/0001-98"), ("BR", "390.533.447-06"),
])
def test_every_market_checks_its_own_tax_id(rulebook, market, bad_tax_id):
    problems = problems_for(rulebook, market, client={"name": "X", "tax_id": bad_tax_id})
    assert "client.tax_id" in problems


def test_a_valid_tax_id_is_kept_in_compact_form():
    request = parse_request(base_request("CO", client={"name": "X", "tax_id": "860.012.336-1"}))
    assert request.client.tax_id == "8600123361"
    spaced = parse_request(base_request("AR", client={"name": "X", "tax_id": " 20-26756539-3 "}))
    assert spaced.client.tax_id == "20267565393"


def test_a_wrong_tax_id_is_reported_as_it_was_typed(rulebook):
    problems = problems_for(rulebook, "CL", client={"name": "X", "tax_id": "76.086.428-4"})
    assert "'76.086.428-4'" in problems["client.tax_id"]


def test_a_spanish_vat_number_with_the_es_prefix_is_accepted():
    request = parse_request(base_request("ES", client={"name": "X", "tax_id": "ES B12345674"}))
    assert request.client.tax_id == "ESB12345674"


def test_a_currency_the_market_does_not_quote_is_refused_listing_the_allowed(rulebook):
    assert problems_for(rulebook, "MX", currency="EUR")["currency"] == (
        "EUR is not quoted in MX; allowed: MXN, USD"
    )


def test_an_unknown_license_product_lists_the_catalogue(rulebook):
    problems = problems_for(rulebook, "CL", licenses=[{"product": "nope", "seats": 1, "months": 1}])
    assert "chat-team" in problems["licenses.0.product"]


def test_a_discount_beyond_the_market_cap_is_refused(rulebook):
    assert "30%" in problems_for(rulebook, discount_percent="45")["discount_percent"]


def test_a_date_before_any_rules_version_says_when_the_earliest_starts(rulebook):
    assert "earliest starts 2025-01-01" in problems_for(rulebook, date="2020-06-01")["date"]


def test_every_problem_is_reported_at_once(rulebook):
    problems = problems_for(rulebook, cases=9, duration_weeks=0, language="fr")
    assert {"cases", "duration_weeks", "language"} <= set(problems)


@pytest.mark.parametrize("text", ["not json", "[1, 2]", "{\"market\": "])
def test_text_that_is_not_a_json_object_is_refused_plainly(text):
    with pytest.raises(QuoteInputError, match="JSON"):
        parse_request(text)


def test_numeric_strings_are_accepted_for_counts():
    request = parse_request(base_request(duration_weeks="8", participants={"technical": "12"}))
    assert request.duration_weeks == 8
    assert request.participants.technical == 12


def test_delivery_may_be_given_as_a_plain_mode():
    assert parse_request(base_request(delivery="remote")).delivery.mode == "remote"


@pytest.mark.parametrize("written", [0, 1764028800, "1764028800", "20261125", "2026-W48-3",
                                     "25/11/2026", "2026-11-25T10:00:00"])
def test_a_request_date_must_be_written_as_an_iso_date(written: object) -> None:
    with pytest.raises(QuoteInputError) as refused:
        parse_request({**base_request("MX"), "date": written})
    assert refused.value.problems[0].field == "date"
    assert "YYYY-MM-DD" in refused.value.problems[0].message


def test_an_iso_request_date_is_taken_as_written() -> None:
    assert str(parse_request({**base_request("MX"), "date": "2026-11-25"}).date) == "2026-11-25"
