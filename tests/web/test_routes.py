"""Every route the app serves, and which of them a visitor may reach without signing in."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine

from quoting.store.models import Quote
from quoting.web import create_app
from quoting.web.guards import KEEPS_TYPED_WORK
from tests.web.conftest import app_config

# Reachable without a user: the sign-in page, the language switch on it, static files,
# and the client's pages, opened with a private link (an unknown one here: 404).
PUBLIC = {"auth.login", "auth.set_language", "static", "client_pages.proposal",
          "client_pages.pdf", "client_pages.receipt", "client_pages.current",
          "client_pages.accept", "client_pages.decline",
          "client_pages.asset",
          # Health, readiness and metrics (the test client is 127.0.0.1: let in).
          "ops.healthz", "ops.readyz", "ops.metrics"}
SAMPLE_VALUES = {"number": "D-00001", "action": "send", "filename": "css/app.css",
                 "token_id": 1, "client_id": 1, "token": "x" * 43, "message_id": 1}


def _sample_url(app: Flask, endpoint: str, arguments: set[str]) -> str:
    with app.test_request_context():
        from flask import url_for

        return url_for(endpoint, **{name: SAMPLE_VALUES[name] for name in arguments})


def test_every_route_but_sign_in_and_static_files_requires_a_signed_in_user(
        app: Flask, client: FlaskClient, make_quote: Callable[..., Quote]) -> None:
    make_quote("MX")
    public = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            continue  # the finance API authenticates with bearer tokens, tested apart
        url = _sample_url(app, rule.endpoint, set(rule.arguments))
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            with client.open(url, method=method) as response:
                status, location = response.status_code, response.headers.get("Location", "")
            if status == 302 and "/login" in location:
                continue
            if status == 401 and rule.endpoint in KEEPS_TYPED_WORK and method == "POST":
                continue  # keeps the posted form and asks to sign in again in place
            assert rule.endpoint in PUBLIC, (
                f"{method} {url} ({rule.endpoint}) answered {status} "
                f"without a signed-in user")
            public.add(rule.endpoint)
    assert public == PUBLIC


def test_the_api_prefix_is_left_to_the_api_without_login_redirect_or_csrf(
        engine: Engine) -> None:
    app = create_app(app_config(engine, WTF_CSRF_ENABLED=True))
    client = app.test_client()
    response = client.post("/api/v1/not-a-route", json={})
    assert response.status_code != 302
    assert b"CSRF" not in response.data
    assert b"expired" not in response.data
