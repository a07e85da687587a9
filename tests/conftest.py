"""Fixtures every test folder shares: a throwaway PDF cache, cheap password
hashing, rate limits counted in each test app's own memory, and the test
database (TEST_DATABASE_URL, else a temporary SQLite file) migrated once per run."""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import redis
from argon2 import PasswordHasher
from sqlalchemy import Engine

from quoting.paths import RULES_ENV
from quoting.store import migrate
from quoting.store.db import make_engine

# The suite prices with the price lists in pricing_rules/, whatever the shell names.
os.environ.pop(RULES_ENV, None)

# The PDF and browser tests render the real proposal; elsewhere a send renders a
# stand-in (those tests are about the record, the pages or the API, not the document)
# unless a test is marked `real_pdf`.
REAL_PDF_FOLDERS = frozenset({"documents", "e2e"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.parent.name in REAL_PDF_FOLDERS:
            item.add_marker(pytest.mark.real_pdf)


def quick_pdf(snapshot: Mapping[str, Any]) -> bytes:
    """A stand-in for the proposal renderer: distinct, deterministic bytes per snapshot."""
    digest = hashlib.sha256(json.dumps(snapshot, sort_keys=True, default=str).encode())
    return b"%PDF-1.7 test proposal " + digest.hexdigest().encode()


def quick_receipt(snapshot: Mapping[str, Any], evidence: Mapping[str, Any]) -> bytes:
    """A stand-in for the receipt renderer: distinct, deterministic bytes per decision."""
    digest = hashlib.sha256(json.dumps([snapshot, evidence], sort_keys=True,
                                       default=str).encode())
    return b"%PDF-1.7 test receipt " + digest.hexdigest().encode()


@pytest.fixture(autouse=True)
def _sending_renders_a_stand_in_pdf(request: pytest.FixtureRequest,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    if request.node.get_closest_marker("real_pdf") is None:
        monkeypatch.setattr("quoting.services.lifecycle.render_snapshot", quick_pdf)
        monkeypatch.setattr("quoting.services.receipts.render_receipt", quick_receipt)


@pytest.fixture(autouse=True)
def _sent_unsigned_unless_the_test_signs(monkeypatch: pytest.MonkeyPatch) -> None:
    """A seller's signer set by one test's app or command is gone by the next test, and
    one named in the shell's SIGNING_CERT/SIGNING_KEY is never used."""
    monkeypatch.setattr("quoting.services.documents._seller_signer", None)
    monkeypatch.delenv("SIGNING_CERT", raising=False)
    monkeypatch.delenv("SIGNING_KEY", raising=False)


@pytest.fixture(autouse=True, scope="session")
def _pdf_cache_outside_the_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Rendered PDFs go to a throwaway cache, never the project's instance/ folder."""
    directory = tmp_path_factory.mktemp("pdf-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("QUOTING_PDF_CACHE", str(directory))
        yield directory


@pytest.fixture(autouse=True, scope="session")
def _rate_limits_in_each_apps_memory() -> Iterator[None]:
    """A RATELIMIT_STORAGE_URI set in the shell must not make tests share counts;
    the tests of the shared store name it themselves."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("RATELIMIT_STORAGE_URI", raising=False)
        yield


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashing() -> Iterator[None]:
    """Argon2 at its cheapest: the tests check hashing works, not that it is slow."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("quoting.services.users._password_hasher",
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


class RateLimitClock:
    """The clock of the rate limits (the `limits` memory store's and ours), stopped
    and moved forward by hand: no test sleeps through a window or races the clock."""

    def __init__(self) -> None:
        self.now = time.time()

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def ratelimit_clock(monkeypatch: pytest.MonkeyPatch) -> RateLimitClock:
    clock = RateLimitClock()
    fake_time = SimpleNamespace(time=clock.time)
    monkeypatch.setattr("limits.storage.memory.time", fake_time)
    monkeypatch.setattr("quoting.web.ratelimits.time", fake_time)
    return clock


@pytest.fixture
def shared_ratelimit_store() -> Iterator[dict[str, str]]:
    """App settings for rate limits kept in the Redis on TEST_REDIS_URL (default
    redis://127.0.0.1:6379/0) under a key prefix of this test's own, removed after."""
    uri = os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/0"
    client = redis.Redis.from_url(uri, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        client.close()
        reason = f"no Redis to share rate limits at {uri} ({exc})"
        if os.environ.get("CI"):  # CI machines run Redis: its absence is a failure there
            pytest.fail(reason)
        pytest.skip(reason)
    prefix = f"quoting-test-{uuid.uuid4().hex}"
    try:
        yield {"RATELIMIT_STORAGE_URI": uri, "RATELIMIT_KEY_PREFIX": prefix}
    finally:
        for key in client.scan_iter(match=f"*{prefix}*"):
            client.delete(key)
        client.close()
