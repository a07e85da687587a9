"""Fixtures every test folder shares: a throwaway PDF cache, cheap password
hashing, and the test database (TEST_DATABASE_URL, else a temporary SQLite file)
migrated once per run."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine

from quoting import services
from quoting.store import migrate
from quoting.store.db import make_engine


@pytest.fixture(autouse=True, scope="session")
def _pdf_cache_outside_the_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Rendered PDFs go to a throwaway cache, never the project's instance/ folder."""
    directory = tmp_path_factory.mktemp("pdf-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("QUOTING_PDF_CACHE", str(directory))
        yield directory


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashing() -> Iterator[None]:
    """Argon2 at its cheapest: the tests check hashing works, not that it is slow."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(services, "_password_hasher",
                      PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        yield


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return os.environ.get("TEST_DATABASE_URL") or (
        f"sqlite:///{tmp_path_factory.mktemp('db') / 'quoting-test.db'}"
    )


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    # No skip when the server is down: a run that asked for PostgreSQL fails.
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()
