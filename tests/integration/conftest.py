"""Database fixtures.

TEST_DATABASE_URL picks the database (PostgreSQL in the second `make test`
pass); without it, a temporary SQLite file. The schema is built once per run
with the Alembic migrations, then every test runs inside a transaction that is
rolled back (the session joins it with SAVEPOINTs, so code that commits or
rolls back still cannot leak). Tests that need real commits (concurrency,
migrations, CLI) ask for `fresh_database_url`: a new SQLite file or a new
PostgreSQL database of their own.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from quoting import services
from quoting.store import migrate, pgadmin
from quoting.store.db import is_sqlite, make_engine
from quoting.store.models import User

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
QUOTE_DAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with engine.connect() as connection:
        transaction = connection.begin()
        session = Session(bind=connection, join_transaction_mode="create_savepoint",
                          expire_on_commit=False)
        try:
            yield session
        finally:
            session.close()
            transaction.rollback()


@pytest.fixture
def fresh_database_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database on the same kind of server, dropped afterwards."""
    if is_sqlite(database_url):
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    url = pgadmin.create_database(database_url, prefix="quoting_fresh")
    try:
        yield url
    finally:
        pgadmin.drop_database(url)


@pytest.fixture
def fresh_engine(fresh_database_url: str) -> Iterator[Engine]:
    """A migrated engine on a database of its own, for tests that commit."""
    engine = make_engine(fresh_database_url, pool_size=20, max_overflow=0)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


def example(market: str, **overrides: Any) -> dict[str, Any]:
    request: dict[str, Any] = json.loads((EXAMPLES / f"{market.lower()}.json").read_text())
    request.update(overrides)
    return request


@pytest.fixture
def make_user(session: Session) -> Callable[..., User]:
    counter = iter(range(1, 1_000_000))

    def make(role: str = "sales", email: str | None = None) -> User:
        email = email or f"{role}{next(counter)}@example.com"
        return services.create_user(session, email, f"Test {role}", role, PASSWORD)

    return make


@pytest.fixture
def sales(make_user: Callable[..., User]) -> User:
    return make_user("sales", "sales@example.com")


@pytest.fixture
def finance(make_user: Callable[..., User]) -> User:
    return make_user("finance", "finance@example.com")
