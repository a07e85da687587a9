"""Pricing use-case shared by the CLI, the web form and the API: parse, pick the
rules in force, price. Raises QuoteInputError for anything a person must fix."""

from __future__ import annotations

from datetime import date
from typing import Any

from quoting.errors import QuoteInputError
from quoting.i18n import market_today
from quoting.priced import PricedQuote
from quoting.pricing import price
from quoting.rules import NoRulesInForce, RuleBook
from quoting.scope import QuoteRequest, parse_request


def price_request(raw: str | bytes | dict[str, Any] | QuoteRequest, rulebook: RuleBook,
                  today: date | None = None) -> PricedQuote:
    """`today` dates a request that has no date; by default, today in the market."""
    request = raw if isinstance(raw, QuoteRequest) else parse_request(raw)
    if today is None:
        today = market_today(request.market.value)
    on = request.date or today
    try:
        rules = rulebook.in_force(request.market, on)
    except NoRulesInForce as exc:
        raise QuoteInputError.single("date", str(exc)) from None
    return price(request, rules, today)
