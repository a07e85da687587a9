"""Signing in and out, the rate limit on failed attempts, and the interface language."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine

from quoting.web import create_app
from tests.conftest import RateLimitClock
from tests.web.conftest import FINANCE, PASSWORD, SALES, app_config


def test_signing_in_with_the_right_password_opens_the_quote_list(client: FlaskClient) -> None:
    response = client.post("/login", data={"email": SALES, "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = client.get("/")
    assert page.status_code == 200
    assert "Ana Ventas" in page.get_data(as_text=True)


def test_the_email_is_matched_whatever_its_case_and_spaces(client: FlaskClient) -> None:
    response = client.post("/login", data={"email": "  ANA@example.com ", "password": PASSWORD})
    assert response.status_code == 302


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(
        client: FlaskClient) -> None:
    wrong_password = client.post("/login", data={"email": SALES, "password": "nope nope"})
    unknown_user = client.post("/login", data={"email": "nobody@example.com",
                                               "password": PASSWORD})
    assert wrong_password.status_code == unknown_user.status_code == 401
    assert "Correo o contraseña incorrectos." in wrong_password.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_sign_in_is_refused_for_a_while_after_five_failures_even_with_the_right_password(
        client: FlaskClient) -> None:
    for _ in range(5):
        assert client.post("/login", data={"email": SALES, "password": "bad"}).status_code == 401
    blocked = client.post("/login", data={"email": SALES, "password": PASSWORD})
    assert blocked.status_code == 429
    assert "Vuelve a intentarlo en 5 minuto(s)." in blocked.get_data(as_text=True)
    other_user = client.post("/login", data={"email": FINANCE, "password": PASSWORD})
    assert other_user.status_code == 302


def test_sign_in_is_allowed_again_once_the_failures_are_older_than_the_window(
        client: FlaskClient, ratelimit_clock: RateLimitClock) -> None:
    for _ in range(5):
        client.post("/login", data={"email": SALES, "password": "bad"})
    ratelimit_clock.advance(240)
    blocked = client.post("/login", data={"email": SALES, "password": PASSWORD})
    assert blocked.status_code == 429
    assert "Vuelve a intentarlo en 1 minuto(s)." in blocked.get_data(as_text=True)
    ratelimit_clock.advance(61)
    assert client.post("/login", data={"email": SALES, "password": PASSWORD}).status_code == 302


def test_signing_in_forgets_the_failures_counted_against_that_email(
        client: FlaskClient) -> None:
    for _ in range(4):
        assert client.post("/login", data={"email": SALES, "password": "bad"}).status_code == 401
    assert client.post("/login", data={"email": SALES, "password": PASSWORD}).status_code == 302
    client.post("/logout")
    for _ in range(4):
        assert client.post("/login", data={"email": SALES, "password": "bad"}).status_code == 401
    assert client.post("/login", data={"email": SALES, "password": PASSWORD}).status_code == 302


def test_failures_from_one_address_block_it_for_every_email_until_the_window_ends(
        engine: Engine) -> None:
    client = create_app(app_config(engine, LOGIN_FAILURES_PER_ADDRESS=3)).test_client()
    for email in ("x@example.com", "y@example.com"):
        assert client.post("/login", data={"email": email, "password": "bad"}).status_code == 401
    # Signing in clears the email's count, not the address's.
    assert client.post("/login", data={"email": SALES, "password": PASSWORD}).status_code == 302
    client.post("/logout")
    assert client.post("/login", data={"email": FINANCE, "password": "bad"}).status_code == 401
    assert client.post("/login", data={"email": FINANCE, "password": PASSWORD}).status_code == 429
    from_elsewhere = client.post("/login", data={"email": FINANCE, "password": PASSWORD},
                                 environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert from_elsewhere.status_code == 302


def test_server_processes_sharing_a_store_count_failed_sign_ins_once(
        engine: Engine, shared_ratelimit_store: dict[str, str]) -> None:
    first, second = (create_app(app_config(engine, **shared_ratelimit_store)).test_client()
                     for _ in range(2))
    for client in (first, second, first, second, first):
        assert client.post("/login", data={"email": SALES, "password": "bad"}).status_code == 401
    assert second.post("/login", data={"email": SALES, "password": PASSWORD}).status_code == 429


def test_a_visitor_is_sent_to_sign_in_and_back_to_the_page_they_asked_for(
        client: FlaskClient) -> None:
    response = client.get("/quotes/new?market=CL")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    back = client.post(response.headers["Location"], data={"email": SALES, "password": PASSWORD})
    assert back.headers["Location"] == "/quotes/new?market=CL"


def test_the_next_parameter_never_sends_the_user_to_another_site(client: FlaskClient) -> None:
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = client.post(f"/login?next={target}",
                               data={"email": SALES, "password": PASSWORD})
        assert response.headers["Location"] == "/"
        client.post("/logout")


def test_signing_out_ends_the_session(signed_in: FlaskClient) -> None:
    assert signed_in.get("/logout").status_code == 405
    response = signed_in.post("/logout")
    assert response.status_code == 302
    assert signed_in.get("/").status_code == 302


def test_the_interface_is_in_spanish_unless_the_browser_or_the_user_asks_otherwise(
        signed_in: FlaskClient) -> None:
    assert "Nueva cotización" in signed_in.get("/").get_data(as_text=True)
    english = signed_in.get("/", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert "New quote" in english.get_data(as_text=True)
    signed_in.post("/language", data={"language": "pt", "next": "/"})
    portuguese = signed_in.get("/", headers={"Accept-Language": "en-US"})
    assert "Nova cotação" in portuguese.get_data(as_text=True)


def test_the_roles_decide_what_the_top_bar_shows(
        sign_in: Callable[..., FlaskClient], app: Flask) -> None:
    client = sign_in(FINANCE)
    assert "finanzas" in client.get("/").get_data(as_text=True)


def test_live_pricing_after_the_session_ended_answers_401_and_leaves_the_typed_page_alone(
        client: FlaskClient) -> None:
    response = client.post("/quotes/form/price", data={"market": "MX"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 401
    # No redirect: leaving for the sign-in page would lose the form (desk.js says so).
    assert "HX-Redirect" not in response.headers


def test_the_language_can_be_switched_on_the_sign_in_page(client: FlaskClient) -> None:
    client.post("/language", data={"language": "en", "next": "/login"})
    assert "Sign in" in client.get("/login").get_data(as_text=True)
    client.post("/language", data={"language": "xx", "next": "/login"})
    assert "Sign in" in client.get("/login").get_data(as_text=True)


def test_the_rate_limit_store_comes_from_the_environment_unless_the_config_names_one(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    # Naming a Redis store connects to nothing until the first count.
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:1/0")
    assert create_app(app_config(engine)).config["RATELIMIT_STORAGE_URI"] == \
        "redis://127.0.0.1:1/0"
    configured = create_app(app_config(engine, RATELIMIT_STORAGE_URI="memory://"))
    assert configured.config["RATELIMIT_STORAGE_URI"] == "memory://"
    monkeypatch.delenv("RATELIMIT_STORAGE_URI")
    assert create_app(app_config(engine)).config["RATELIMIT_STORAGE_URI"] == "memory://"


def test_sign_in_answers_503_with_a_clear_page_when_the_limit_store_is_unreachable(
        engine: Engine) -> None:
    # Port 1 refuses connections: the store is named but down.
    app = create_app(app_config(engine, RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0"))
    response = app.test_client().post("/login", data={"email": SALES, "password": PASSWORD},
                                      headers={"Accept-Language": "en"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    page = response.get_data(as_text=True)
    assert "Temporarily unavailable" in page
    assert "temporarily unavailable. Nothing was saved; try again in a minute" in page
