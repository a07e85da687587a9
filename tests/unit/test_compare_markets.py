"""One scope priced in several markets (quoting.services.compare), without a database."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from quoting.errors import QuoteInputError
from quoting.rules import load_rulebook
from quoting.services.compare import (
    RateUsed,
    compare_markets,
    parse_markets,
    parse_target_currency,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DAY = date(2026, 11, 25)


def mx_scope(**changes: object) -> dict[str, object]:
    request = json.loads((EXAMPLES / "mx.json").read_text(encoding="utf-8"))
    request.update(changes)
    return request


def test_each_market_prices_the_scope_in_its_own_currency_with_its_price_list() -> None:
    result = compare_markets(mx_scope(), ["AR", "MX", "ES", "CL"], load_rulebook())
    by_market = {entry.market: entry for entry in result.markets}
    currencies = {m: e.priced.program.currency for m, e in by_market.items() if e.priced}
    assert currencies == {"AR": "ARS", "MX": "MXN", "ES": "EUR", "CL": "CLP"}
    assert by_market["AR"].priced is not None
    assert by_market["AR"].priced.rules_version == "AR-2026-07"
    assert by_market["MX"].priced is not None
    assert by_market["MX"].priced.program.total.amount == Decimal("873930.08")


def test_a_client_tax_id_of_another_market_does_not_stop_the_comparison() -> None:
    # The Mexican RFC is not a valid CUIT, RUT or NIF: the scope is priced anyway.
    result = compare_markets(mx_scope(), ["AR", "CL", "ES"], load_rulebook())
    assert all(entry.priced is not None for entry in result.markets)
    assert all(not entry.problems for entry in result.markets)


def test_the_requests_currency_is_replaced_by_each_markets_default() -> None:
    result = compare_markets(mx_scope(currency="USD"), ["ES"], load_rulebook())
    assert result.markets[0].priced is not None
    assert result.markets[0].priced.program.currency == "EUR"


def test_a_market_without_a_price_list_on_the_date_is_listed_with_the_reason() -> None:
    result = compare_markets(mx_scope(date="2024-06-01"), ["AR", "EC"], load_rulebook())
    argentina, ecuador = result.markets
    assert argentina.priced is None
    assert argentina.problems[0].field == "date"
    assert "no AR price list is in force on 2024-06-01" in argentina.problems[0].message
    assert ecuador.priced is not None


def test_converting_uses_the_stored_pair_either_way_and_names_it() -> None:
    def rates(base: str, quote: str, on: date) -> RateUsed | None:
        stored = {("USD", "MXN"): RateUsed("USD", "MXN", Decimal("20"), "Banxico FIX",
                                            date(2026, 11, 24)),
                  ("EUR", "USD"): RateUsed("EUR", "USD", Decimal("1.10"), "ECB",
                                           date(2026, 11, 25))}
        found = stored.get((base, quote))
        return found if found is not None and found.day <= on else None

    result = compare_markets(mx_scope(), ["MX", "ES"], load_rulebook(), target="USD",
                             rates=rates)
    mexico, spain = result.markets
    assert mexico.converted is not None
    # 873,930.08 MXN at 20 MXN per USD; the licenses are quoted in USD already.
    assert mexico.converted.program == Decimal("43696.50")
    assert mexico.priced is not None
    assert mexico.converted.licenses == mexico.priced.licenses.total.amount
    assert spain.converted is not None
    assert spain.priced is not None
    assert spain.converted.program == (spain.priced.program.total.amount
                                       * Decimal("1.10")).quantize(Decimal("0.01"))
    assert {rate.pair for rate in result.rates} == {"USD/MXN", "EUR/USD"}
    assert result.unconverted == ()


def test_what_has_no_stored_rate_is_listed_and_not_converted() -> None:
    result = compare_markets(mx_scope(), ["CL"], load_rulebook(), target="USD",
                             rates=lambda base, quote, on: None)
    chile = result.markets[0]
    assert chile.converted is not None
    assert chile.converted.program is None
    assert chile.converted.total is None
    assert [(u.market, u.part, u.currency) for u in result.unconverted] == [
        ("CL", "program", "CLP")]
    assert "no CLP/USD or USD/CLP rate stored on or before 2026-11-25" in (
        result.unconverted[0].reason)
    data = result.to_dict()
    assert data["markets"][0]["converted"]["total"] is None
    assert data["unconverted"][0]["part"] == "program"


def test_the_json_names_every_documented_key() -> None:
    data = compare_markets(mx_scope(), ["MX"], load_rulebook()).to_dict()
    assert set(data) == {"in", "markets", "rates", "unconverted"}
    assert set(data["markets"][0]) == {
        "market", "priced", "problems", "rules_version", "quote_date", "requires_approval",
        "discount_limit_percent", "program", "licenses", "converted"}
    assert set(data["markets"][0]["program"]) == {"currency", "subtotal", "discount", "tax",
                                                  "total"}


def test_unknown_markets_and_currencies_are_refused_naming_the_option() -> None:
    assert parse_markets("ar, mx,AR") == ("AR", "MX")
    with pytest.raises(QuoteInputError) as refused:
        parse_markets("AR,XX")
    assert refused.value.problems[0].field == "markets"
    assert "XX" in refused.value.problems[0].message
    assert parse_target_currency(" usd ") == "USD"
    assert parse_target_currency("") is None
    with pytest.raises(QuoteInputError) as unknown:
        parse_target_currency("ZZZ")
    assert unknown.value.problems[0].field == "in"
