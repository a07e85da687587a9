"""Issue 13 on the server side: nothing typed is lost when the session or the form's
token has ended, deliberate actions ask first, reloads repeat nothing, pages are
clamped, and the desk speaks the user's language and the quote's market."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from quoting import services
from quoting.store.models import Quote
from quoting.web import create_app
from tests.web.conftest import FINANCE, PASSWORD, SALES, app_config, form_data, press


def _csrf_token(html: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def _quotes(engine: Engine) -> list[Quote]:
    with Session(engine) as session:
        return list(session.query(Quote).all())


def test_saving_after_the_session_ended_keeps_the_form_and_saves_it_once_signed_in_again(
        engine: Engine) -> None:
    client = create_app(app_config(engine, WTF_CSRF_ENABLED=True)).test_client()
    typed = form_data("MX", client_name="Cervecería del Norte S.A. de C.V.",
                      client_tax_id="EKU9003173C9", context="No se debe perder.")
    kept = client.post("/quotes/new", data={**typed, "action": "save"})
    assert kept.status_code == 401
    page = kept.get_data(as_text=True)
    assert "Vuelve a iniciar sesión para guardar" in page
    assert 'name="context" value="No se debe perder."' in page
    assert 'name="license_product" value="coding-assistant"' in page  # lists kept whole
    assert _quotes(engine) == []

    wrong = client.post("/quotes/new", data={**typed, "action": "save",
                                             "csrf_token": _csrf_token(page),
                                             "relogin_email": SALES,
                                             "relogin_password": "not it"})
    assert wrong.status_code == 401
    assert "Correo o contraseña incorrectos." in wrong.get_data(as_text=True)

    saved = client.post("/quotes/new", data={**typed, "action": "save",
                                              "csrf_token": _csrf_token(page),
                                              "relogin_email": SALES,
                                              "relogin_password": PASSWORD})
    assert saved.status_code == 302
    [quote] = _quotes(engine)
    assert quote.client_name == "Cervecería del Norte S.A. de C.V."


def test_an_expired_form_token_brings_the_form_back_with_what_was_typed(
        engine: Engine) -> None:
    client = create_app(app_config(engine, WTF_CSRF_ENABLED=True)).test_client()
    token = _csrf_token(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"email": SALES, "password": PASSWORD, "csrf_token": token})
    refused = client.post("/quotes/new", data={**form_data("MX", context="Lo escrito"),
                                               "csrf_token": "stale", "action": "save"})
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert "no se guardó nada todavía" in html
    assert ">Lo escrito</textarea>" in html
    assert _quotes(engine) == []
    again = client.post("/quotes/new", data={**form_data("MX"), "action": "save",
                                             "csrf_token": _csrf_token(html)})
    assert again.status_code == 302


def test_fields_in_error_point_to_their_message_outside_the_label(
        signed_in: FlaskClient) -> None:
    html = signed_in.post("/quotes/new", data=form_data(
        "MX", client_name="", duration_weeks="0")).get_data(as_text=True)
    weeks = re.search(r'<input [^>]*name="duration_weeks"[^>]*>', html)
    assert weeks is not None
    assert 'aria-invalid="true"' in weeks.group(0)
    assert 'aria-describedby="err-duration_weeks"' in weeks.group(0)
    assert re.search(r'<label for="f-duration_weeks">[^<]*</label>', html)
    # Every problem of the client block at once.
    assert re.search(r'id="err-client-name">[^<]+<', html)


def test_deliberate_actions_ask_first_with_a_reason_where_the_service_keeps_one(
        signed_in: FlaskClient, make_quote: Callable[..., Quote]) -> None:
    quote = make_quote("MX", sent=True)
    page = signed_in.get(f"/quotes/{quote.number}").get_data(as_text=True)
    for action in ("accept", "decline", "withdraw"):
        assert f'href="/quotes/{quote.number}/confirm/{action}"' in page
        assert f'action="/quotes/{quote.number}/do/{action}"' not in page
    decline = signed_in.get(f"/quotes/{quote.number}/confirm/decline").get_data(as_text=True)
    assert "¿Marcar " in decline
    assert 'name="reason"' in decline
    accept = signed_in.get(f"/quotes/{quote.number}/confirm/accept").get_data(as_text=True)
    assert 'name="reason"' not in accept  # accepting records no reason
    done = press(signed_in, str(quote.number), "decline", data={"reason": "Otro proveedor"})
    assert done.status_code == 302  # post-redirect-get
    assert "“Otro proveedor”" in signed_in.get(done.headers["Location"]).get_data(as_text=True)
    # A confirmation page for what cannot be done now sends back to the quote.
    late = signed_in.get(f"/quotes/{quote.number}/confirm/accept")
    assert late.status_code == 302


def test_rejecting_a_discount_carries_the_typed_reason_to_its_confirmation(
        sign_in: Callable[..., FlaskClient], make_quote: Callable[..., Quote]) -> None:
    quote = make_quote("MX", discount_percent="15")
    client = sign_in(FINANCE)
    page = client.get(f"/quotes/{quote.ref}").get_data(as_text=True)
    assert '<label for="decision-reason">' in page
    step = client.post(f"/quotes/{quote.ref}/confirm/reject",
                       data={"reason": "Demasiado"}).get_data(as_text=True)
    assert ">Demasiado</textarea>" in step
    assert f'action="/quotes/{quote.ref}/do/reject"' in step


def test_a_page_past_the_last_shows_the_last_page(
        signed_in: FlaskClient, make_quote: Callable[..., Quote]) -> None:
    make_quote("MX")
    html = signed_in.get("/?page=999").get_data(as_text=True)
    assert "Página 999" not in html
    assert len(re.findall(r'class="quote-link"', html)) == 1


def test_an_english_screen_shows_english_dates_and_amounts_with_their_currency_code(
        signed_in: FlaskClient, make_quote: Callable[..., Quote]) -> None:
    make_quote("CL")
    signed_in.post("/language", data={"language": "en", "next": "/"})
    html = signed_in.get("/").get_data(as_text=True)
    assert re.search(r"\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}", html)
    assert not re.search(r"\d{1,2} (ene|dic|abr|ago) \d{4}", html)
    assert "CLP\xa0" in html


def test_reloading_the_tokens_page_never_makes_a_second_token(
        engine: Engine, sign_in: Callable[..., FlaskClient]) -> None:
    with Session(engine) as session:
        services.create_user(session, "ada@example.com", "Ada Admin", "admin", PASSWORD)
        session.commit()
    client = sign_in("ada@example.com")
    made = client.post("/admin/tokens", data={"email": FINANCE, "name": "Informe",
                                              "days": "30", "scopes": ["quotes:read"]})
    assert made.status_code == 302
    first = client.get("/admin/tokens").get_data(as_text=True)
    assert re.search(r"qt_[A-Za-z0-9_\-]+", first)
    second = client.get("/admin/tokens").get_data(as_text=True)
    assert not re.search(r"qt_[A-Za-z0-9_\-]{20,}", second)
    assert second.count("Informe") == 1
    refused = client.post("/admin/tokens", data={"email": "nadie@example.com",
                                                 "name": "x", "days": "30",
                                                 "scopes": ["quotes:read"]})
    assert "Ningún usuario activo tiene este correo." in refused.get_data(as_text=True)
