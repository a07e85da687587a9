"""`quoting token create|list|revoke`, then the token at work on the API."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from quoting.cli import main
from quoting.store import pgadmin
from quoting.store.db import make_engine
from quoting.web import create_app

PASSWORD = "correct horse battery"


@pytest.fixture
def fresh_url(tmp_path: Path) -> Iterator[str]:
    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        yield f"sqlite:///{tmp_path / 'cli.db'}"
        return
    url = pgadmin.create_database(server, prefix="quoting_api_cli")
    try:
        yield url
    finally:
        pgadmin.drop_database(url)


@pytest.fixture
def runner(fresh_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", fresh_url)
    monkeypatch.delenv("QUOTING_USER", raising=False)
    runner = CliRunner()
    assert invoke(runner, "db", "upgrade").exit_code == 0
    for email, role in [("admin@example.com", "admin"), ("money@example.com", "finance")]:
        created = invoke(runner, "user", "create", "--email", email, "--name", email,
                         "--role", role, "--password", PASSWORD)
        assert created.exit_code == 0, created.output
    return runner


def invoke(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(main, list(args), catch_exceptions=False)


def test_an_admin_creates_lists_and_revokes_a_token_from_the_cli(
        runner: CliRunner, fresh_url: str) -> None:
    created = invoke(runner, "token", "create", "--email", "money@example.com",
                     "--scopes", "quotes:read,reports:read", "--days", "90")
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip()
    assert secret.startswith("qt_")
    assert len(secret) > 40
    assert "shown again" in created.stderr

    listed = invoke(runner, "token", "list")
    assert "money@example.com" in listed.stdout
    assert "active" in listed.stdout
    assert secret not in listed.stdout

    engine = make_engine(fresh_url)
    try:
        client = create_app({"TESTING": True, "ENGINE": engine,
                             "SECRET_KEY": "test"}).test_client()
        headers = {"Authorization": f"Bearer {secret}"}
        assert client.get("/api/v1/quotes", headers=headers).status_code == 200
        assert "never" not in invoke(runner, "token", "list").stdout

        revoked = invoke(runner, "token", "revoke", "1")
        assert revoked.exit_code == 0, revoked.output
        assert client.get("/api/v1/quotes", headers=headers).status_code == 401
        assert "revoked" in invoke(runner, "token", "list").stdout
    finally:
        engine.dispose()


def test_a_non_admin_cannot_create_a_token_from_the_cli(runner: CliRunner) -> None:
    refused = invoke(runner, "token", "create", "--email", "money@example.com",
                     "--as", "money@example.com")
    assert refused.exit_code == 2
    assert "only an admin" in refused.stderr
