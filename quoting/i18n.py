"""Locale choice and formatting: the market decides formats, the language words.

Money is quantized half-up by `Money.rounded` before Babel sees it (Babel
itself would round half-even), printed with the currency's proposal precision
(whole pesos for CLP and COP), and never with a symbol that another currency
on the same page also uses.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date
from babel.numbers import get_currency_symbol, parse_pattern

from quoting.money import Money, minor_units

MARKET_LOCALES = {
    "AR": "es_AR",
    "MX": "es_MX",
    "EC": "es_EC",
    "CO": "es_CO",
    "CL": "es_CL",
    "PE": "es_PE",
    "ES": "es_ES",
}

MARKET_TIMEZONES = {
    "AR": "America/Argentina/Buenos_Aires",
    "MX": "America/Mexico_City",
    "EC": "America/Guayaquil",
    "CO": "America/Bogota",
    "CL": "America/Santiago",
    "PE": "America/Lima",
    "ES": "Europe/Madrid",
}

NBSP = "\u00a0"


def market_today(market: str) -> date:
    """Today's date where the client is: a quote made late in the evening in Lima
    is dated in Lima, not in UTC."""
    return datetime.now(ZoneInfo(MARKET_TIMEZONES[market])).date()


def format_locale(market: str) -> str:
    """The locale whose number and date conventions a market's documents use."""
    return MARKET_LOCALES[market]


def text_locale(market: str, language: str) -> str:
    """The locale for words: regional Spanish for the market, else pt_BR or en_US."""
    if language == "es":
        return MARKET_LOCALES[market]
    return {"pt": "pt_BR", "en": "en_US"}[language]


def currency_symbols(currencies: Iterable[str], locale: str) -> dict[str, str]:
    """A symbol per currency, unique on the page: a clash falls back to ISO codes."""
    codes = sorted(set(currencies))
    symbols = {code: get_currency_symbol(code, locale) for code in codes}
    for code in codes:
        if list(symbols.values()).count(symbols[code]) > 1:
            clashing = [c for c in codes if symbols[c] == symbols[code]]
            for other in clashing:
                symbols[other] = "US$" if other == "USD" else other
    # A second pass: "US$" could still clash in theory; the ISO code cannot.
    values = list(symbols.values())
    return {code: (code if values.count(sym) > 1 else sym) for code, sym in symbols.items()}


def format_money(money: Money, locale: str, symbol: str | None = None) -> str:
    """Format with the locale's currency pattern at the currency's proposal precision."""
    loc = Locale.parse(locale)
    rounded = money.rounded()
    digits = minor_units(money.currency)
    pattern = parse_pattern(loc.currency_formats["standard"].pattern)
    pattern.frac_prec = (digits, digits)
    text: str = pattern.apply(rounded.amount, loc, currency=money.currency,
                         currency_digits=False, decimal_quantization=True)
    default_symbol = get_currency_symbol(money.currency, locale)
    chosen = symbol or default_symbol
    if chosen != default_symbol:
        text = text.replace(default_symbol, chosen, 1)
    # Keep a letter symbol ("USD") off the digits with a no-break space.
    if chosen[-1].isalpha():
        text = _space_symbol(text, chosen)
    return text


def _space_symbol(text: str, symbol: str) -> str:
    index = text.find(symbol)
    if index == -1:
        return text
    after = index + len(symbol)
    if index == 0 and after < len(text) and text[after] not in (" ", NBSP):
        return symbol + NBSP + text[after:]
    return text


def format_long_date(value: date, locale: str) -> str:
    return str(format_date(value, format="long", locale=locale))
