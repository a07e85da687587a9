"""One scope, every market: price the same program in each market (its own currency,
taxes and price list in force at the quote date) and, if asked, convert each total
with the exchange rate stored for that date.

The comparison prices the scope, not the client: the client's tax ID is valid in
one market only, so each market's copy of the request carries that market's
example tax ID (as the desk's live pricing does for an unfinished form). The
currency is each market's default and the language its own.

Conversions use stored rates only (quoting.services.rates): the pair as stored
(AMOUNT/TARGET, multiplied) or its reverse (TARGET/AMOUNT: 1 TARGET = rate AMOUNT,
so divided); never a rate through a third currency, never a guess. What has no
stored rate on or before the quote date is listed as not converted.

`ComparisonResult.to_dict()` is the JSON the CLI prints (documented in README):

    {"in": "USD" | null,
     "markets": [{"market", "priced", "problems": [{"field", "message"}],
                  "rules_version", "quote_date", "requires_approval",
                  "discount_limit_percent",
                  "program": {"currency", "subtotal", "discount", "tax", "total"},
                  "licenses": {"currency", "total"},
                  "converted": {"currency", "program", "licenses", "total"} | null}],
     "rates": [{"pair", "rate", "source", "date"}],
     "unconverted": [{"market", "part", "currency", "reason"}]}

Amounts are decimal strings; a part that could not be converted is null there
and listed under "unconverted".
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from quoting.errors import FieldProblem, QuoteInputError
from quoting.i18n import market_today
from quoting.money import round_half_up
from quoting.priced import PricedQuote
from quoting.rules import Market, RuleBook
from quoting.service_pricing import price_request
from quoting.services.rates import rate_in_force
from quoting.taxid import SCHEMES

# Request fields that belong to one market and are set per market instead.
_PER_MARKET_FIELDS = ("market", "currency", "language")


@dataclass(frozen=True, slots=True)
class RateUsed:
    """A stored rate: 1 `base` = `rate` `quote` on `day`, published by `source`."""

    base: str
    quote: str
    rate: Decimal
    source: str
    day: date

    @property
    def pair(self) -> str:
        return f"{self.base}/{self.quote}"

    def to_dict(self) -> dict[str, str]:
        return {"pair": self.pair, "rate": str(self.rate), "source": self.source,
                "date": self.day.isoformat()}


# (base, quote, on) -> the latest stored rate on or before `on`, or None.
RateLookup = Callable[[str, str, date], RateUsed | None]


def stored_rates(session: Session) -> RateLookup:
    """The rates stored in the database (quoting.services.rates), as a lookup."""

    def lookup(base: str, quote: str, on: date) -> RateUsed | None:
        found = rate_in_force(session, base, quote, on)
        if found is None:
            return None
        return RateUsed(base, quote, Decimal(found.rate), found.source, found.rate_date)

    return lookup


@dataclass(frozen=True, slots=True)
class Conversion:
    currency: str
    program: Decimal | None
    licenses: Decimal | None

    @property
    def total(self) -> Decimal | None:
        if self.program is None or self.licenses is None:
            return None
        return self.program + self.licenses


@dataclass(frozen=True, slots=True)
class MarketPrice:
    market: str
    priced: PricedQuote | None
    problems: tuple[FieldProblem, ...] = ()
    converted: Conversion | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "market": self.market, "priced": self.priced is not None,
            "problems": [{"field": p.field, "message": p.message} for p in self.problems],
        }
        quote = self.priced
        if quote is None:
            return data
        program, licenses = quote.program, quote.licenses
        data.update({
            "rules_version": quote.rules_version,
            "quote_date": quote.quote_date.isoformat(),
            "requires_approval": quote.requires_approval,
            "discount_limit_percent": str(quote.discount_limit),
            "program": {"currency": program.currency, "subtotal": program.subtotal.as_str(),
                        "discount": program.discount.as_str(), "tax": program.tax.as_str(),
                        "total": program.total.as_str()},
            "licenses": {"currency": licenses.currency, "total": licenses.total.as_str()},
            "converted": None,
        })
        if self.converted is not None:
            converted = self.converted
            data["converted"] = {
                "currency": converted.currency,
                "program": _text(converted.program), "licenses": _text(converted.licenses),
                "total": _text(converted.total),
            }
        return data


@dataclass(frozen=True, slots=True)
class Unconverted:
    market: str
    part: str  # "program" or "licenses"
    currency: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"market": self.market, "part": self.part, "currency": self.currency,
                "reason": self.reason}


@dataclass(frozen=True, slots=True)
class ComparisonResult:
    target: str | None
    markets: tuple[MarketPrice, ...]
    rates: tuple[RateUsed, ...] = ()
    unconverted: tuple[Unconverted, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {"in": self.target, "markets": [m.to_dict() for m in self.markets],
                "rates": [r.to_dict() for r in self.rates],
                "unconverted": [u.to_dict() for u in self.unconverted]}


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def parse_markets(text: str | Iterable[str]) -> tuple[str, ...]:
    """"AR,MX, es" -> ("AR", "MX", "ES"); unknown codes refused naming the field."""
    parts = text.split(",") if isinstance(text, str) else list(text)
    codes = [part.strip().upper() for part in parts if part.strip()]
    known = {m.value for m in Market}
    unknown = [code for code in codes if code not in known]
    if unknown or not codes:
        raise QuoteInputError.single(
            "markets", f"unknown market(s) {', '.join(unknown) or '(none given)'}; "
            f"allowed: {', '.join(m.value for m in Market)}")
    return tuple(dict.fromkeys(codes))


def parse_target_currency(text: str | None) -> str | None:
    if text is None or not text.strip():
        return None
    code = text.strip().upper()
    from quoting.money import is_known_currency

    if not is_known_currency(code):
        raise QuoteInputError.single("in", f"unknown currency {code!r}")
    return code


def request_for_market(raw: dict[str, Any], market: str) -> dict[str, Any]:
    """The scope of `raw` as a request in `market`: its default currency and language,
    and a stand-in client whose tax ID that market accepts."""
    adapted = {key: value for key, value in raw.items() if key not in _PER_MARKET_FIELDS}
    adapted["market"] = market
    client = raw.get("client")
    name = client.get("name") if isinstance(client, dict) else None
    scheme = SCHEMES.get(market)
    adapted["client"] = {"name": name if isinstance(name, str) and name.strip() else "-",
                         "tax_id": scheme.example if scheme else "-"}
    return adapted


def decode_request(raw: str | bytes | dict[str, Any]) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    try:
        decoded = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise QuoteInputError.single("", f"the request is not valid JSON: {exc}") from None
    if not isinstance(decoded, dict):
        raise QuoteInputError.single("", "the request must be a JSON object")
    return decoded


def compare_markets(raw: str | bytes | dict[str, Any], markets: Iterable[str],
                    rulebook: RuleBook, *, target: str | None = None,
                    rates: RateLookup | None = None,
                    today: date | None = None) -> ComparisonResult:
    """Price the scope of `raw` in each market; a market that cannot price it (no
    price list in force, a license product it does not offer, a discount above its
    maximum) is kept with its problems. With `target`, convert with `rates`."""
    request = decode_request(raw)
    results: list[MarketPrice] = []
    used: dict[tuple[str, str, date], RateUsed] = {}
    unconverted: list[Unconverted] = []
    for market in markets:
        adapted = request_for_market(request, market)
        try:
            priced = price_request(adapted, rulebook, today or market_today(market))
        except QuoteInputError as exc:
            results.append(MarketPrice(market, None, tuple(exc.problems)))
            continue
        conversion = None
        if target is not None:
            conversion = _convert(priced, target, rates, used, unconverted)
        results.append(MarketPrice(market, priced, (), conversion))
    return ComparisonResult(target, tuple(results), tuple(used.values()), tuple(unconverted))


def _convert(priced: PricedQuote, target: str, rates: RateLookup | None,
             used: dict[tuple[str, str, date], RateUsed],
             unconverted: list[Unconverted]) -> Conversion:
    amounts: dict[str, Decimal | None] = {}
    for part, section in (("program", priced.program), ("licenses", priced.licenses)):
        amount, currency = section.total.amount, section.currency
        if currency == target or amount == 0:
            amounts[part] = round_half_up(amount, target)
            continue
        found = _rate(rates, currency, target, priced.quote_date)
        if found is None:
            amounts[part] = None
            unconverted.append(Unconverted(
                priced.market, part, currency,
                f"no {currency}/{target} or {target}/{currency} rate stored on or before "
                f"{priced.quote_date.isoformat()}"))
            continue
        used[(found.base, found.quote, found.day)] = found
        # 1 base = rate quote: multiply from base to quote, divide the other way.
        converted = amount * found.rate if found.base == currency else amount / found.rate
        amounts[part] = round_half_up(converted, target)
    return Conversion(target, amounts["program"], amounts["licenses"])


def _rate(rates: RateLookup | None, currency: str, target: str, on: date) -> RateUsed | None:
    if rates is None:
        return None
    return rates(currency, target, on) or rates(target, currency, on)
