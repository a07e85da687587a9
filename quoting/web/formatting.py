"""What the pages show: amounts and dates in the quote's market format, words in
the user's language. Templates only place the text built here."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import flask_babel
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from flask import Flask
from flask_babel import lazy_gettext as _l

from quoting.i18n import (
    currency_symbols,
    document_date_locale,
    format_locale,
    format_long_date,
    format_money,
)
from quoting.line_wording import Words, category_name, line_concept
from quoting.money import Money
from quoting.rules import RulesVersion
from quoting.taxid import display_tax_id

STATUS_LABELS = {
    "draft": _l("Draft"),
    "pending_approval": _l("Awaiting discount approval"),
    "discount_rejected": _l("Discount rejected"),
    "sent": _l("Sent"),
    "accepted": _l("Accepted"),
    "declined": _l("Declined"),
    "expired": _l("Expired"),
    "withdrawn": _l("Withdrawn"),
    "deleted": _l("Deleted"),
}

MARKET_NAMES = {
    "AR": _l("Argentina"),
    "MX": _l("Mexico"),
    "EC": _l("Ecuador"),
    "CO": _l("Colombia"),
    "CL": _l("Chile"),
    "PE": _l("Peru"),
    "ES": _l("Spain"),
    "UY": _l("Uruguay"),
    "BR": _l("Brazil"),
}

ROLE_NAMES = {
    "technical": _l("Technical"),
    "business": _l("Business"),
    "leadership": _l("Leadership"),
}

DELIVERY_NAMES = {"remote": _l("Remote"), "onsite": _l("On site"), "hybrid": _l("Hybrid")}

LANGUAGE_NAMES = {"es": "Español", "en": "English", "pt": "Português"}


def market_locale(market: str) -> str:
    try:
        return format_locale(market)
    except KeyError:
        return "es_ES"


def money(amount: str | Decimal, currency: str, market: str,
          symbols: dict[str, str] | None = None) -> str:
    locale = market_locale(market)
    symbol = (symbols or {}).get(currency)
    return format_money(Money.of(str(amount), currency), locale, symbol)


def money_code(amount: str | Decimal, currency: str, market: str) -> str:
    """An amount with its ISO code instead of a symbol ("MXN 1,234.00", "CLP 990.000"):
    where quotes of several markets sit together a bare "$" could be any of five."""
    return money(amount, currency, market, {currency: currency})


def date_locale(market: str) -> str:
    """Dates on the desk are written in the interface language (an English screen
    never shows "25 dic 2026"), day first as the proposal writes them."""
    try:
        language = str(flask_babel.get_locale() or "es")[:2]
        return document_date_locale(market, language)
    except (KeyError, ValueError, RuntimeError):
        return market_locale(market)


def short_date(value: date | str | None, market: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return str(format_date(value, format="medium", locale=date_locale(market)))


def long_date(value: date | str, market: str) -> str:
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return format_long_date(value, date_locale(market))


def date_time(value: datetime | str | None, market: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return str(format_datetime(value, format="short", locale=date_locale(market),
                               tzinfo=_market_zone(market)))


def _market_zone(market: str) -> Any:
    from zoneinfo import ZoneInfo

    from quoting.i18n import MARKET_TIMEZONES

    return ZoneInfo(MARKET_TIMEZONES.get(market, "UTC"))


def number(value: int | str | Decimal, market: str) -> str:
    return str(format_decimal(Decimal(str(value)), locale=market_locale(market),
                              decimal_quantization=False))


def web_words() -> Words:
    """The interface language's gettext functions (domain `web`), uninterpolated,
    for the wording shared with the proposal (quoting.line_wording)."""
    translations = flask_babel.get_translations()
    return Words(translations.gettext, translations.ngettext)


def _included_label(rules: RulesVersion | None, category: str, position: int,
                    stored: str) -> str:
    """A tax inside the price in the interface language, else as stored (English)."""
    known = {str(key): value for key, value in rules.tax.items()} if rules else {}
    treatment = known.get(category)
    if treatment is None or position >= len(treatment.included):
        return stored
    return treatment.included[position].label.get(str(flask_babel.get_locale() or "es")[:2])


def breakdown(priced: dict[str, Any], rules: RulesVersion | None,
              tax_labels: dict[str, str] | None = None) -> dict[str, Any]:
    """The priced quote (PricedQuote.to_dict(), live or stored) ready to show:
    program and licenses apart, each line with the rule behind it."""
    market = str(priced["market"])
    currencies = [priced["program"]["currency"], priced["licenses"]["currency"]]
    locale = market_locale(market)
    symbols = currency_symbols(currencies, locale)
    words = web_words()

    def section(data: dict[str, Any]) -> dict[str, Any]:
        currency = str(data["currency"])

        def fmt(amount: str) -> str:
            return money(amount, currency, market, symbols)

        return {
            "currency": currency,
            "lines": [{
                "concept": line_concept(str(line["code"]), line.get("detail") or {}, words,
                                        rules, locale, line.get("description")),
                "quantity": number(line["quantity"], market),
                "unit_price": fmt(line["unit_price"]),
                "amount": fmt(line["amount"]),
                "rule": line["rule"],
                "code": line["code"],
            } for line in data["lines"]],
            "subtotal": fmt(data["subtotal"]),
            "discount_percent": number(Decimal(str(data["discount_percent"])).normalize(),
                                       market),
            "has_discount": Decimal(str(data["discount"])) != 0,
            "discount": fmt(data["discount"]),
            "net": fmt(data["net"]),
            "taxes": [{
                "label": (tax_labels or {}).get(tax["category"], tax["label"]),
                "category": category_name(str(tax["category"]), words),
                "base": fmt(tax["base"]),
                "amount": fmt(tax["amount"]),
                "exempt": bool(tax["exempt"]),
                # Brazil: the taxes inside the price, stated, never added.
                "included": [{
                    "label": _included_label(rules, str(tax["category"]), position,
                                             str(part["label"])),
                    "amount": fmt(part["amount"]),
                } for position, part in enumerate(tax.get("included") or [])],
            } for tax in data["taxes"]],
            "tax": fmt(data["tax"]),
            "total": fmt(data["total"]),
            "empty": not data["lines"],
        }

    return {
        "market": market,
        "rules_version": priced["rules_version"],
        "quote_date": long_date(priced["quote_date"], market),
        "valid_until": long_date(priced["valid_until"], market),
        "requires_approval": bool(priced.get("requires_approval")),
        "discount_limit": number(Decimal(str(priced.get("discount_limit_percent", "0")))
                                 .normalize(), market),
        "program": section(priced["program"]),
        "licenses": section(priced["licenses"]),
    }


def tax_id(compact: str, market: str) -> str:
    """A stored (compact) tax ID as people write it: 76.086.428-5, 20-26756539-3."""
    try:
        return display_tax_id(market, compact)
    except (KeyError, ValueError):
        return compact


def install_filters(app: Flask) -> None:
    app.jinja_env.filters["status_label"] = lambda s: STATUS_LABELS.get(s, s)
    app.jinja_env.filters["market_name"] = lambda m: MARKET_NAMES.get(m, m)
    app.jinja_env.filters["short_date"] = short_date
    app.jinja_env.filters["long_date"] = long_date
    app.jinja_env.filters["date_time"] = date_time
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["money_code"] = money_code
    app.jinja_env.filters["number"] = number
    app.jinja_env.filters["tax_id"] = tax_id
    app.jinja_env.globals.update(
        STATUS_LABELS=STATUS_LABELS, MARKET_NAMES=MARKET_NAMES, ROLE_NAMES=ROLE_NAMES,
        DELIVERY_NAMES=DELIVERY_NAMES, LANGUAGE_NAMES=LANGUAGE_NAMES,
    )
