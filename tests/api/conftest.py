"""API fixtures: the Flask app on a migrated database (TEST_DATABASE_URL, else a
temporary SQLite file), every test inside one transaction that is rolled back.

The app's sessions join that transaction with SAVEPOINTs, so a view that
commits (the audit record of a token's use) or rolls back (between export
batches) still leaves nothing behind. Sending renders a stand-in PDF unless the
test is marked `real_pdf`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from quoting import api_tokens, services
from quoting.store.models import Quote, User
from quoting.web import create_app

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
QUOTE_DAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as connection:
        transaction = connection.begin()
        try:
            yield connection
        finally:
            transaction.rollback()


def _sessions(connection: Connection) -> sessionmaker[Session]:
    return sessionmaker(bind=connection, join_transaction_mode="create_savepoint",
                        expire_on_commit=False)


@pytest.fixture
def session(connection: Connection) -> Iterator[Session]:
    session = _sessions(connection)()
    try:
        yield session
    finally:
        session.close()


@pytest.fixture
def make_app(engine: Engine, connection: Connection) -> Callable[..., Flask]:
    """An app on the test's transaction; several of them act as several server processes."""

    def make(**config: Any) -> Flask:
        app = create_app({"TESTING": True, "ENGINE": engine, "SECRET_KEY": "test-secret",
                          "API_RATE_LIMIT": 100_000, **config})
        app.extensions["quoting.sessions"] = _sessions(connection)
        return app

    return make


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def users(session: Session) -> dict[str, User]:
    # Nobody signs in here: an unusable password hash spares the slow argon2 work.
    made = {role: User(email=f"{role}@example.com", name=f"Test {role}", role=role,
                       password_hash="!", active=True)
            for role in ("admin", "finance", "sales")}
    session.add_all(made.values())
    session.commit()
    return made


@pytest.fixture
def make_token(session: Session, users: dict[str, User]) -> Callable[..., str]:
    def make(scopes: str = "quotes:read,reports:read", holder: str = "finance",
             days: int = 90, now: datetime | None = None) -> str:
        issued = api_tokens.create_token(session, users["admin"], f"{holder}@example.com",
                                         name="test", scopes=scopes, days=days, now=now)
        session.commit()
        return issued.secret

    return make


@pytest.fixture
def token(make_token: Callable[..., str]) -> str:
    return make_token()


@pytest.fixture
def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def example(market: str, **overrides: Any) -> dict[str, Any]:
    request: dict[str, Any] = json.loads((EXAMPLES / f"{market.lower()}.json").read_text())
    request.update(overrides)
    return request


@pytest.fixture
def make_quote(session: Session, users: dict[str, User]) -> Callable[..., Quote]:
    """A stored quote from a market's example; `status` walks it through the lifecycle."""

    def make(market: str = "MX", status: str = "draft", *, day: date = QUOTE_DAY,
             now: datetime = NOW, **overrides: Any) -> Quote:
        overrides.setdefault("date", day.isoformat())
        overrides.setdefault("discount_percent", "0")
        sales = users["sales"]
        quote = services.create_quote(session, example(market, **overrides), sales, day,
                                      now=now)
        if status in {"sent", "accepted", "declined"}:
            services.send_quote(session, quote.ref, sales, day, now=now)
        if status == "accepted":
            services.accept_quote(session, quote.ref, sales, day, now=now)
        if status == "declined":
            services.decline_quote(session, quote.ref, sales, now=now)
        if status == "withdrawn":
            services.withdraw_quote(session, quote.ref, sales, now=now)
        session.commit()
        return quote

    return make
