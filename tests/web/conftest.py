"""Fixtures for the sales desk: a migrated SQLite file per test, the app, users,
a signed-in test client and a `make_quote` factory. Sending renders a stand-in PDF
unless the test is marked `real_pdf`."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from quoting import services
from quoting.store import migrate
from quoting.store.db import make_engine
from quoting.store.models import Quote
from quoting.web import create_app

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PASSWORD = "correct horse battery"
SALES, OTHER_SALES, FINANCE = "ana@example.com", "bruno@example.com", "fiona@example.com"


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "quoting.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    with Session(engine) as session:
        services.create_user(session, SALES, "Ana Ventas", "sales", PASSWORD)
        services.create_user(session, OTHER_SALES, "Bruno Ventas", "sales", PASSWORD)
        services.create_user(session, FINANCE, "Fiona Finanzas", "finance", PASSWORD)
        session.commit()
    engine.dispose()
    return path


@pytest.fixture
def engine(migrated_template: Path, tmp_path: Path) -> Iterator[Engine]:
    path = tmp_path / "quoting.db"
    shutil.copy(migrated_template, path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


def app_config(engine: Engine, **overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {"ENGINE": engine, "SECRET_KEY": "test-secret", "TESTING": True,
                              "WTF_CSRF_ENABLED": False}
    config.update(overrides)
    return config


@pytest.fixture
def app(engine: Engine) -> Flask:
    return create_app(app_config(engine))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def sign_in(client: FlaskClient) -> Callable[..., FlaskClient]:
    def sign_in(email: str = SALES, password: str = PASSWORD) -> FlaskClient:
        response = client.post("/login", data={"email": email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return sign_in


@pytest.fixture
def signed_in(sign_in: Callable[..., FlaskClient]) -> FlaskClient:
    return sign_in()


def example(market: str) -> dict[str, Any]:
    request: dict[str, Any] = json.loads((EXAMPLES / f"{market.lower()}.json").read_text("utf-8"))
    request.pop("date", None)  # priced today, so it can still be sent
    return request


@pytest.fixture
def make_quote(engine: Engine) -> Callable[..., Quote]:
    def make_quote(market: str = "MX", owner: str = SALES, *, sent: bool = False,
                   **changes: Any) -> Quote:
        """A draft from the market's example (`changes` edit the request); `sent=True`
        sends it too, so it has its number."""
        request = example(market)
        request.update(changes)
        with Session(engine, expire_on_commit=False) as session:
            author = services.get_user(session, owner)
            quote = services.create_quote(session, request, author)
            session.commit()
            if sent:
                quote = services.send_quote(session, quote.ref, author)
                session.commit()
            return quote

    return make_quote


def press(client: FlaskClient, ref: str, action: str, *, data: dict[str, Any] | None = None,
          follow_redirects: bool = False) -> TestResponse:
    """Press a button of the quote page as a browser would: with the revision the page
    showed (its hidden `seen_revision`)."""
    page = client.get(f"/quotes/{ref}").get_data(as_text=True)
    shown = re.search(r'data-current-revision="(\d+)"', page)
    fields = {"seen_revision": shown.group(1)} if shown else {}
    return client.post(f"/quotes/{ref}/do/{action}", data={**fields, **(data or {})},
                       follow_redirects=follow_redirects)


def form_data(source: str = "MX", /, **changes: Any) -> dict[str, Any]:
    """The quote form as a browser posts it, for the example request of a market."""
    request = example(source)
    data: dict[str, Any] = {
        "market": source,
        "language": "es",
        "client_name": request["client"]["name"],
        "client_tax_id": request["client"]["tax_id"],
        "client_contact": request["client"].get("contact", ""),
        "client_email": request["client"].get("email", ""),
        "participants_technical": str(request["participants"]["technical"]),
        "participants_business": str(request["participants"]["business"]),
        "participants_leadership": str(request["participants"]["leadership"]),
        "duration_weeks": str(request["duration_weeks"]),
        "discovery_areas": str(request["discovery_areas"]),
        "cases": str(request["cases"]),
        "delivery_mode": "remote",
        "delivery_trips": "0",
        "license_product": [line["product"] for line in request.get("licenses", [])],
        "license_seats": [str(line["seats"]) for line in request.get("licenses", [])],
        "license_months": [str(line["months"]) for line in request.get("licenses", [])],
        "discount_percent": str(request.get("discount_percent", "0")),
        "valid_days": "",
        "context": request.get("context", ""),
        "case_description": ["", "", "", ""],
        "internal_owner": "",
    }
    data.update(changes)
    return data
