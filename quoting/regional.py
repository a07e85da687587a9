"""A market's own words, layered over a language's catalogue.

The proposal and its receipt (gettext domain `messages`) read
locales/<lang>/messages behind locales/<regional>/regional
(quoting.documents.context.translations). What the client reads on the web (the page a
proposal link opens, the answers to accepting or declining, the link's other pages) and
the emails sent to the client come from the `web` domain behind
locales/<regional>/web_regional: Spain's Spanish says "presupuesto" where the neutral
catalogue says "propuesta". The desk itself stays neutral. <regional> is
quoting.i18n.text_locale(market, language): es_ES for Spain in Spanish, pt_BR for any
market in Portuguese.

Regional catalogues are maintained by hand and are not compiled by `pybabel compile`:
a .po without a current .mo is compiled in memory here (the wheel ships both, setup.py).
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from quoting import paths
from quoting.i18n import text_locale

LANGUAGES = ("es", "en", "pt")
WEB_REGIONAL = "web_regional"


def load_catalogue(folder: Path, domain: str) -> Translations | None:
    """A compiled catalogue: the .mo if current, else its .po compiled in memory; None
    if there is neither."""
    po, mo = folder / f"{domain}.po", folder / f"{domain}.mo"
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as handle:
            return Translations(handle, domain=domain)
    if not po.exists():
        return None
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=folder.parent.name)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=domain)


def regional_locale(market: str | None, language: str) -> str | None:
    """The locale whose regional catalogues apply, or None (no market, or one this
    version does not know)."""
    if not market:
        return None
    try:
        return text_locale(market, language)
    except KeyError:
        return None


@cache
def client_translations(market: str | None, language: str) -> NullTranslations:
    """The `web` catalogue of `language` (es, en or pt; anything else reads Spanish),
    behind the market's regional web wording where one exists. For what a client reads:
    never for the desk."""
    language = language if language in LANGUAGES else "es"
    base: NullTranslations = Translations.load(str(paths.LOCALES_DIR), [language],
                                               domain="web")
    locale = regional_locale(market, language)
    if locale is None or locale == language:
        return base
    regional = load_catalogue(paths.LOCALES_DIR / locale / "LC_MESSAGES", WEB_REGIONAL)
    if regional is None:
        return base
    regional.add_fallback(base)
    return regional
