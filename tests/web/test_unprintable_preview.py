"""A proposal that would print a leftover (None, an untranslated message...) is not
shown on the desk either: the preview answers 409 with a plain message, never a 500
and never the document."""

from __future__ import annotations

import html
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from quoting.documents.printable import UnprintableText
from quoting.store.models import Quote


def test_the_preview_of_an_unprintable_proposal_is_refused_with_a_clear_message(
        signed_in: FlaskClient, make_quote: Callable[..., Quote],
        monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.setenv("QUOTING_PDF_CACHE", str(tmp_path))  # nothing rendered before

    def refuse(_document: str, _snapshot: object) -> None:
        raise UnprintableText("the proposal would print None")

    monkeypatch.setattr("quoting.documents.render.check_printable", refuse)
    quote = make_quote("MX")

    response = signed_in.get(f"/quotes/{quote.ref}/pdf")

    assert response.status_code == 409
    assert response.mimetype == "text/html"
    assert "imprimiría algo que no debe" in html.unescape(response.get_data(as_text=True))
