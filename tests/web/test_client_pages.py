"""The client's pages (/p/<token>) with the Flask test client and no sign-in: the
proposal as a web page in its language, its PDF as kept when sent, the accept and
decline forms, refusals that reveal nothing, the rate limit, and what the sales
desk then shows."""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from quoting import services
from quoting.documents.context import build_context
from quoting.store.client_links import ClientDecision
from quoting.store.models import Quote
from quoting.web import create_app
from tests.conftest import RateLimitClock
from tests.web.conftest import SALES, app_config, example

ACCEPTANCE = {"signer_name": "Lucía Fernández", "signer_position": "Directora de Operaciones",
              "po_number": "OC-7781", "authorised": "yes"}


def _link(engine: Engine, quote: Quote, owner: str = SALES) -> str:
    with Session(engine, expire_on_commit=False) as session:
        _made, token = services.create_client_link(session, quote.ref,
                                                   services.get_user(session, owner))
        session.commit()
    return token


def _stored(engine: Engine, ref: str) -> dict[str, object]:
    with Session(engine) as session:
        return services.quote_view(session, services.get_quote(session, ref))


def _decisions(engine: Engine) -> list[ClientDecision]:
    with Session(engine) as session:
        return list(session.scalars(select(ClientDecision)))


def _csrf_token(page: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert found, "the page has no CSRF token"
    return found.group(1)


def _text(response: object) -> str:
    return html.unescape(response.get_data(as_text=True))  # type: ignore[attr-defined]


def test_the_link_opens_the_proposal_in_its_language_without_signing_in(
        client: FlaskClient, engine: Engine, make_quote: Callable[..., Quote]) -> None:
    quote = make_quote("MX", sent=True)
    token = _link(engine, quote)
    with Session(engine) as session:
        facts = build_context(services.revision_snapshot(session, quote.ref, 1))

    response = client.get(f"/p/{token}")

    assert response.status_code == 200
    page = _text(response)
    assert '<html lang="es">' in page
    assert "Grupo Industrial Norteño S.A. de C.V." in page
    assert facts["program"]["total"] in page  # the figure the PDF prints
    assert facts["licenses"]["total"] in page
    assert "Preparado para" in page
    assert "Aceptar la propuesta" in page
    assert f"Cotización {quote.ref}" in page
    # Under the site's CSP: no inline script or style, not even the proposal's own.
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "style-src 'self'" in response.headers["Content-Security-Policy"]
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)
    assert not re.search(r"\sstyle=", page)
    assert "<style" not in page
    # The contents list's titles are links; its page numbers belong to the PDF.
    assert 'href="#s9"' in page
    assert "data-page-of" not in page
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
    [link] = _stored(engine, quote.ref)["client_links"]  # type: ignore[misc]
    assert link["view_count"] == 1
    assert link["first_viewed_at"]
    for asset in ("proposal.css", "client.css", "fonts/NotoSans-Regular.ttf"):
        with client.get(f"/p/assets/{asset}") as served:
            assert served.status_code == 200
    assert client.get("/p/assets/../quoting.db").status_code == 404


def test_a_portuguese_proposal_s_page_is_in_portuguese(
        client: FlaskClient, engine: Engine, make_quote: Callable[..., Quote]) -> None:
    quote = make_quote("MX", sent=True, language="pt")
    token = _link(engine, quote)

    page = _text(client.get(f"/p/{token}", headers={"Accept-Language": "es"}))

    assert '<html lang="pt">' in page
    assert "Plano de diagnóstico" in page  # the proposal's words
    assert "Aceitar a proposta" in page
    assert "Seu nome completo" in page
    assert "Estou autorizado(a) a aceitar em nome de Grupo Industrial Norteño" in page


@pytest.mark.real_pdf
def test_the_pdf_download_is_the_pdf_kept_when_it_was_sent(
        client: FlaskClient, engine: Engine, make_quote: Callable[..., Quote]) -> None:
    quote = make_quote("CL", sent=True)
    token = _link(engine, quote)

    response = client.get(f"/p/{token}/pdf")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="{quote.ref}-r1.pdf"')
    [revision] = _stored(engine, quote.ref)["revisions"]  # type: ignore[misc]
    assert hashlib.sha256(response.data).hexdigest() == revision["pdf_sha256"]
    page = _text(client.get(f"/p/{token}"))
    assert revision["pdf_sha256"] in page


def test_accepting_with_csrf_records_the_evidence_and_shows_it(
        engine: Engine, make_quote: Callable[..., Quote]) -> None:
    client = create_app(app_config(engine, WTF_CSRF_ENABLED=True)).test_client()
    quote = make_quote("MX", sent=True)
    token = _link(engine, quote)
    page = _text(client.get(f"/p/{token}"))

    without = client.post(f"/p/{token}/accept", data=ACCEPTANCE,
                          headers={"Accept-Language": "es"})
    assert without.status_code == 400
    assert _decisions(engine) == []
    # Said to the client as the rest of their pages are: "usted", not the desk's "tú".
    assert "vuelva atrás, recargue la página e inténtelo de nuevo" in _text(without)
    accepted = client.post(f"/p/{token}/accept",
                           data={**ACCEPTANCE, "csrf_token": _csrf_token(page)},
                           headers={"User-Agent": "Mozilla/5.0 Test"})
    assert accepted.status_code == 303
    assert accepted.headers["Location"].endswith(f"/p/{token}")

    [decision] = _decisions(engine)
    view = _stored(engine, quote.ref)
    [revision] = view["revisions"]  # type: ignore[misc]
    assert view["status"] == "accepted"
    assert (decision.signer_name, decision.signer_position, decision.po_number,
            decision.authorised) == ("Lucía Fernández", "Directora de Operaciones",
                                     "OC-7781", True)
    assert decision.pdf_sha256 == revision["pdf_sha256"]
    assert decision.ip == "127.0.0.1"
    assert decision.user_agent == "Mozilla/5.0 Test"
    shown = _text(client.get(f"/p/{token}"))
    assert "Su aceptación quedó registrada" in shown
    assert "Aceptada en línea" in shown
    for value in ("Lucía Fernández", "Directora de Operaciones", "OC-7781",
                  revision["pdf_sha256"], "127.0.0.1"):
        assert value in shown
    assert 'action="/p/' not in shown  # no form any more
    again = client.post(f"/p/{token}/decline",
                        data={"reason": "late", "csrf_token": _csrf_token(page)})
    assert again.status_code == 303
    assert "ya fue respondida" in _text(client.get(f"/p/{token}"))
    assert len(_decisions(engine)) == 1


def test_without_the_authorisation_box_nothing_is_recorded_and_the_field_says_why(
        client: FlaskClient, engine: Engine, make_quote: Callable[..., Quote]) -> None:
    quote = make_quote("MX", sent=True)
    token = _link(engine, quote)

    response = client.post(f"/p/{token}/accept",
                           data={k: v for k, v in ACCEPTANCE.items() if k != "authorised"})

    assert response.status_code == 422
    page = _text(response)
    assert ("Confirme que está autorizado/a para aceptar en nombre de "
            "Grupo Industrial Norteño S.A. de C.V.") in page
    assert 'value="Lucía Fernández"' in page  # what was typed stays
    assert _decisions(engine) == []
    assert _stored(engine, quote.ref)["status"] == "sent"
    missing = _text(client.post(f"/p/{token}/accept", data={"authorised": "yes"}))
    assert "Escriba su nombre completo." in missing
    assert "Escriba su cargo en la empresa." in missing


def test_declining_with_a_reason(client: FlaskClient, engine: Engine,
                                 make_quote: Callable[..., Quote]) -> None:
    quote = make_quote("MX", sent=True)
    token = _link(engine, quote)

    response = client.post(f"/p/{token}/decline",
                           data={"reason": "Lo haremos el año próximo."})

    assert response.status_code == 303
    assert _stored(engine, quote.ref)["status"] == "declined"
    page = _text(client.get(f"/p/{token}"))
    assert "Rechazada en línea" in page
    assert "Lo haremos el año próximo." in page


def test_an_unknown_or_tampered_token_is_a_plain_404_that_reveals_nothing(
        client: FlaskClient, engine: Engine, make_quote: Callable[..., Quote]) -> None:
    quote = make_quote("MX", sent=True)
    token = _link(engine, quote)
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")

    pages = []
    for url in (f"/p/{tampered}", "/p/" + "x" * 43, "/p/short", f"/p/{tampered}/pdf"):
        response = client.get(url)
        assert response.status_code == 404, url
        pages.append(_text(response))
    assert len(set(pages)) == 1  # the same page whatever was wrong
    for secret in (quote.ref, "Grupo Industrial", "Norteño", "MX-", "Cotización", tampered):
        assert secret not in pages[0]
    assert "Este enlace no abre ninguna propuesta" in pages[0]
    assert client.post(f"/p/{tampered}/accept", data=ACCEPTANCE).status_code == 404
    assert _decisions(engine) == []


def test_superseded_withdrawn_and_expired_links_are_gone(
        client: FlaskClient, engine: Engine, make_quote: Callable[..., Quote]) -> None:
    revised, withdrawn, expired = (make_quote("MX", sent=True) for _ in range(3))
    tokens = {name: _link(engine, quote) for name, quote in
              (("revised", revised), ("withdrawn", withdrawn), ("expired", expired))}
    with Session(engine) as session:
        owner = services.get_user(session, SALES)
        services.revise_quote(session, revised.ref, example("MX"), owner)
        session.commit()
        services.send_quote(session, revised.ref, owner)
        session.commit()
        services.withdraw_quote(session, withdrawn.ref, owner)
        session.commit()
    new_token = _link(engine, revised)
    assert client.get(f"/p/{new_token}").status_code == 200
    with Session(engine) as session:  # every sent quote, the revised one included
        services.expire_due(session, expired.valid_until + timedelta(days=1))
        session.commit()

    expected = {"revised": "Hay una propuesta más reciente", "withdrawn": "Propuesta retirada",
                "expired": "Enlace vencido"}
    for name, token in tokens.items():
        response = client.get(f"/p/{token}")
        assert response.status_code == 410, name
        page = _text(response)
        assert expected[name] in page
        assert new_token not in page
        assert revised.ref not in page
        assert client.get(f"/p/{token}/pdf").status_code == 410
        assert client.post(f"/p/{token}/accept", data=ACCEPTANCE).status_code == 410
    assert _decisions(engine) == []


def test_guessing_tokens_is_rate_limited_per_address(
        client: FlaskClient, engine: Engine, make_quote: Callable[..., Quote],
        ratelimit_clock: RateLimitClock) -> None:
    token = _link(engine, make_quote("MX", sent=True))

    statuses = [client.get(f"/p/guess{n:040d}").status_code for n in range(30)]
    assert statuses == [404] * 30
    blocked = client.get(f"/p/guess{99:040d}")
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert "Demasiados intentos" in _text(blocked)
    # The address is blocked on every link page, a real link included...
    assert client.get(f"/p/{token}").status_code == 429
    other = client.get(f"/p/{token}", environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert other.status_code == 200  # ...but only that address
    ratelimit_clock.advance(301)
    assert client.get(f"/p/{token}").status_code == 200


def test_hostile_input_is_refused_before_anything_is_recorded(
        client: FlaskClient, engine: Engine, make_quote: Callable[..., Quote]) -> None:
    token = _link(engine, make_quote("MX", sent=True))

    response = client.post(f"/p/{token}/accept",
                           data={**ACCEPTANCE, "signer_name": "Lucía\x00"})

    assert response.status_code == 400
    assert _decisions(engine) == []


def test_a_signed_in_desk_user_is_not_taken_for_the_client(
        signed_in: FlaskClient, engine: Engine, make_quote: Callable[..., Quote]) -> None:
    quote = make_quote("MX", sent=True)
    token = _link(engine, quote)

    page = _text(signed_in.get(f"/p/{token}"))
    refused = signed_in.post(f"/p/{token}/accept", data=ACCEPTANCE)

    assert "Iniciaste sesión en el escritorio de ventas" in page
    assert f'action="/p/{token}/accept"' not in page
    assert refused.status_code == 403
    assert _decisions(engine) == []
    [link] = _stored(engine, quote.ref)["client_links"]  # type: ignore[misc]
    assert link["view_count"] == 0


def test_the_desk_makes_the_link_and_shows_views_and_the_evidence(
        app: Flask, signed_in: FlaskClient, engine: Engine,
        make_quote: Callable[..., Quote]) -> None:
    quote = make_quote("MX", sent=True)
    desk_page = _text(signed_in.get(f"/quotes/{quote.ref}"))
    assert "Enlace para el cliente" in desk_page

    made = signed_in.post(f"/quotes/{quote.ref}/link", data={"seen_revision": "1"},
                          follow_redirects=True)
    shown = _text(made)
    found = re.search(r"http://127\.0\.0\.1:8000/p/([A-Za-z0-9_-]{43})", shown)
    assert found, shown
    token = found.group(1)
    assert "Aún no abierto" in shown
    assert token not in _text(signed_in.get(f"/quotes/{quote.ref}"))  # shown once

    visitor = app.test_client()  # the client: no desk cookie
    visitor.get(f"/p/{token}")
    visitor.get(f"/p/{token}")
    assert visitor.post(f"/p/{token}/accept", data=ACCEPTANCE).status_code == 303

    page = _text(signed_in.get(f"/quotes/{quote.ref}")).replace("<wbr>", "")
    assert re.search(r"Abierto por el cliente el [^<]+ \(2 visitas\)", page)
    assert "Aceptada en línea por el cliente" in page
    [revision] = _stored(engine, quote.ref)["revisions"]  # type: ignore[misc]
    for value in ("Lucía Fernández", "Directora de Operaciones", "OC-7781",
                  revision["pdf_sha256"]):
        assert value in page
    stale = signed_in.post(f"/quotes/{quote.ref}/link", data={"seen_revision": "1"},
                           follow_redirects=True)
    assert "El cliente solo puede abrir una cotización enviada" in _text(stale)
