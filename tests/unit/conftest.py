from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from quoting.priced import PricedQuote
from quoting.rules import RuleBook, load_rulebook
from quoting.service_pricing import price_request
from quoting.taxid import SCHEMES

QUOTE_DAY = date(2026, 11, 25)


def _example_tax_id(market: str) -> str:
    return SCHEMES[market].example if market in SCHEMES else "not-a-market"


def base_request(market: str = "MX", **overrides: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "market": market,
        "date": QUOTE_DAY.isoformat(),
        "client": {"name": "Cliente de Prueba S.A.", "tax_id": _example_tax_id(market)},
        "participants": {"technical": 5, "business": 10, "leadership": 3},
        "duration_weeks": 6,
        "discovery_areas": 3,
        "cases": 3,
    }
    for key, value in overrides.items():
        request[key] = value
    return copy.deepcopy(request)


@pytest.fixture(scope="session")
def rulebook() -> RuleBook:
    return load_rulebook()


@pytest.fixture
def quote_for(rulebook: RuleBook) -> Callable[..., PricedQuote]:
    """Price a request built from the base request with the given overrides."""

    def build(market: str = "MX", **overrides: Any) -> PricedQuote:
        return price_request(base_request(market, **overrides), rulebook, QUOTE_DAY)

    return build
