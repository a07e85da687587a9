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
    "UY": "es_UY",
    "BR": "pt_BR",
}

MARKET_TIMEZONES = {
    "AR": "America/Argentina/Buenos_Aires",
    "MX": "America/Mexico_City",
    "EC": "America/Guayaquil",
    "CO": "America/Bogota",
    "CL": "America/Santiago",
    "PE": "America/Lima",
    "ES": "Europe/Madrid",
    "UY": "America/Montevideo",
    "BR": "America/Sao_Paulo",
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
    """The locale for words: regional Spanish for the market, else pt_BR or en_US.
    A Spanish document for a market that does not speak it (Brazil) is neutral Spanish."""
    if language == "es":
        locale = MARKET_LOCALES[market]
        return locale if locale.startswith("es_") else "es"
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


# One rule per document, for every market and language (markets.md):
# - words follow the document's language; numbers and money the market's locale;
# - dates are written day first in every language (an English proposal for Spain
#   reads "29 December 2026", never "December 29, 2026", beside "29.220,29 €");
# - a percent is its number in the market's format glued to "%" ("16%", "8,5%"),
#   as the rules files write tax labels and payment terms;
# - a "$" is printed bare only for the market's own currency in a document in the
#   market's own language; anywhere else every "$" currency carries its ISO code.
def document_date_locale(market: str, language: str) -> str:
    """The locale a document's dates are written in."""
    if language == "en":
        return "en_ES" if market == "ES" else "en_001"
    return text_locale(market, language)


def format_document_date(value: date, market: str, language: str) -> str:
    return format_long_date(value, document_date_locale(market, language))


def format_plain_percent(value: object, locale: str) -> str:
    """`16%`, `8,5%`: the number in the locale's format, then "%" with no space."""
    from decimal import Decimal

    from babel.numbers import format_decimal

    number = Decimal(str(value)).normalize()
    if number == number.to_integral_value():
        number = number.quantize(Decimal(1))
    return f"{format_decimal(number, locale=locale)}%"


def document_currency_symbols(currencies: Iterable[str], market: str, language: str,
                              home_currency: str, home_language: str) -> dict[str, str]:
    """Symbols for a document: unique on the page (currency_symbols), and no bare "$"
    a reader could take for another currency."""
    symbols = currency_symbols(currencies, format_locale(market))
    for code, symbol in symbols.items():
        at_home = code == home_currency and language == home_language
        # "R$", "US$", "MX$" say which currency they are; a bare "$" does not.
        if symbol.strip() == "$" and not at_home:
            symbols[code] = code
    return symbols
