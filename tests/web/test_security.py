"""CSRF on every form, security headers, a CSP the pages satisfy, secure cookies."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine

from quoting.store.models import Quote
from quoting.web import create_app
from tests.web.conftest import PASSWORD, SALES, app_config, form_data


def _csrf_token(html: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def test_a_form_posted_without_its_csrf_token_is_refused_and_nothing_is_saved(
        engine: Engine) -> None:
    client = create_app(app_config(engine, WTF_CSRF_ENABLED=True)).test_client()
    refused = client.post("/login", data={"email": SALES, "password": PASSWORD})
    assert refused.status_code == 400
    token = _csrf_token(client.get("/login").get_data(as_text=True))
    signed = client.post("/login", data={"email": SALES, "password": PASSWORD,
                                         "csrf_token": token})
    assert signed.status_code == 302
    page = client.get("/quotes/new").get_data(as_text=True)
    no_token = client.post("/quotes/new", data=form_data("MX"))
    assert no_token.status_code == 400
    assert "no se guardó nada" in no_token.get_data(as_text=True).lower()
    with_token = client.post("/quotes/new", data={**form_data("MX"),
                                                  "csrf_token": _csrf_token(page)})
    assert with_token.status_code == 302


def test_live_pricing_requests_also_need_the_csrf_token(engine: Engine) -> None:
    client = create_app(app_config(engine, WTF_CSRF_ENABLED=True)).test_client()
    token = _csrf_token(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"email": SALES, "password": PASSWORD, "csrf_token": token})
    assert client.post("/quotes/form/price", data=form_data("MX")).status_code == 400


def test_pages_send_a_content_security_policy_that_they_satisfy(
        signed_in: FlaskClient, make_quote: Callable[..., Quote]) -> None:
    quote = make_quote("MX")
    for url in ("/", "/quotes/new", f"/quotes/{quote.ref}", f"/quotes/{quote.ref}/edit",
                f"/quotes/{quote.ref}/history", "/login"):
        response = signed_in.get(url, follow_redirects=True)
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy
        assert "unsafe-inline" not in policy
        assert "style-src 'self'" in policy
        html = response.get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), f"inline script in {url}"
        assert not re.search(r"\son[a-z]+=", html), f"inline event handler in {url}"
        assert not re.search(r"\sstyle=", html), f"inline style in {url}"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "SAMEORIGIN"


def test_cookies_are_http_only_and_same_site_and_secure_in_production(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUOTING_ENV", "production")
    app = create_app(app_config(engine))
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    client = app.test_client()
    response = client.post("/login", data={"email": SALES, "password": PASSWORD},
                           base_url="https://localhost")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_an_unknown_quote_is_a_friendly_404_page(signed_in: FlaskClient) -> None:
    response = signed_in.get("/quotes/XX-2026-9999")
    assert response.status_code == 404
    assert "XX-2026-9999" in response.get_data(as_text=True)
