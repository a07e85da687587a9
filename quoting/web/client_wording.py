"""The client's pages in the client's words: the proposal's language, and the wording
of the quote's market (quoting.regional.client_translations: Spain's Spanish says
"presupuesto"). The desk's pages keep the neutral catalogue: only code that renders
for a client enters `client_wording`.

Flask-Babel looks up every `_()`, `_l()` and template `{{ _() }}` through the request's
default domain; `client_wording` makes a domain that reads the market's layered
catalogue the default for its block, and puts the previous one back after it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import flask_babel
from babel.support import NullTranslations

from quoting.regional import client_translations


class _ClientDomain(flask_babel.Domain):  # type: ignore[misc]
    """The `web` domain, read behind the market's regional wording."""

    def __init__(self, market: str | None) -> None:
        super().__init__(domain="web")
        self.market = market

    def get_translations(self) -> NullTranslations:
        locale = flask_babel.get_locale()
        return client_translations(self.market, locale.language if locale else "es")


@contextmanager
def client_wording(market: str | None, language: str) -> Iterator[None]:
    """Render a client's page or message in `language` with `market`'s wording (no
    market: the language's neutral wording)."""
    previous = flask_babel.get_domain()
    _ClientDomain(market).as_default()
    try:
        with flask_babel.force_locale(language):
            yield
    finally:
        previous.as_default()
