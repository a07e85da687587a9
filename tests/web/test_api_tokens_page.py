"""An admin manages finance's API tokens in the browser; nobody else can."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from quoting import api_tokens, services
from quoting.store.tokens import ApiToken
from tests.web.conftest import FINANCE, PASSWORD

ADMIN = "ada@example.com"


def add_admin(engine: Engine) -> None:
    with Session(engine) as session:
        services.create_user(session, ADMIN, "Ada Admin", "admin", PASSWORD)
        session.commit()


def test_an_admin_creates_a_token_that_is_shown_once_and_opens_the_api(
        engine: Engine, sign_in: Callable[..., FlaskClient]) -> None:
    add_admin(engine)
    client = sign_in(ADMIN)
    page = client.post("/admin/tokens", data={
        "email": FINANCE, "name": "Monthly report", "days": "30",
        "scopes": ["quotes:read", "reports:read"]})
    # Post-redirect-get: the secret is shown on the page the redirect leads to, once,
    # and reloading that page creates no second token.
    assert page.status_code == 302
    page = client.get(page.headers["Location"])
    secret = re.search(r"qt_[A-Za-z0-9_\-]+", page.get_data(as_text=True))
    assert secret is not None
    with Session(engine) as session:
        principal = api_tokens.authenticate(session, secret.group(0))
        assert principal.email == FINANCE
    listing = client.get("/admin/tokens").get_data(as_text=True)
    assert "Monthly report" in listing
    assert "Tokens de la API" in listing  # the desk's default language
    assert secret.group(0) not in listing  # never shown again


def test_a_bad_token_form_names_the_field_and_keeps_what_was_typed(
        engine: Engine, sign_in: Callable[..., FlaskClient]) -> None:
    add_admin(engine)
    page = sign_in(ADMIN).post("/admin/tokens", data={
        "email": "nobody@example.com", "name": "Keep this label", "days": "30",
        "scopes": ["quotes:read"]})
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert "nobody@example.com" in html
    assert "Keep this label" in html
    days = sign_in(ADMIN).post("/admin/tokens", data={
        "email": FINANCE, "name": "x", "days": "many", "scopes": ["quotes:read"]})
    assert days.status_code == 422


def test_an_admin_revokes_a_token_and_it_stops_working(
        engine: Engine, sign_in: Callable[..., FlaskClient]) -> None:
    add_admin(engine)
    with Session(engine) as session:
        admin = services.get_user(session, ADMIN)
        issued = api_tokens.create_token(session, admin, FINANCE, name="t",
                                         scopes="quotes:read", days=10)
        session.commit()
        token_id = issued.token.id
    response = sign_in(ADMIN).post(f"/admin/tokens/{token_id}/revoke")
    assert response.status_code == 302
    with Session(engine) as session:
        assert session.get(ApiToken, token_id).revoked_at is not None


def test_sales_and_finance_users_cannot_open_the_token_page(
        sign_in: Callable[..., FlaskClient]) -> None:
    assert sign_in().get("/admin/tokens").status_code == 403
    assert sign_in(FINANCE).post("/admin/tokens", data={}).status_code == 403
