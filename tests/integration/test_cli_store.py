"""The stored-quote commands as a user runs them, on a database of their own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from quoting.cli import main
from tests.integration.conftest import EXAMPLES, PASSWORD

TODAY = ["--today", "2026-11-25"]


@pytest.fixture
def run(fresh_database_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", fresh_database_url)
    monkeypatch.delenv("QUOTING_USER", raising=False)
    return CliRunner()


def invoke(runner: CliRunner, *args: str, input: str | None = None) -> Result:
    return runner.invoke(main, list(args), input=input, catch_exceptions=False)


@pytest.fixture
def ready(run: CliRunner) -> CliRunner:
    assert invoke(run, "db", "upgrade").exit_code == 0
    for email, role in [("demo@example.com", "sales"), ("money@example.com", "finance")]:
        result = invoke(run, "user", "create", "--email", email, "--name", email, "--role",
                        role, "--password", PASSWORD)
        assert result.exit_code == 0, result.output
    return run


def test_a_user_can_create_revise_send_and_list_quotes(ready: CliRunner, tmp_path: Path) -> None:
    created = invoke(ready, "quote", "create", str(EXAMPLES / "ar.json"), *TODAY)
    assert created.stdout.startswith("D-00001  draft  revision 1")

    first_send = invoke(ready, "quote", "send", "D-00001", *TODAY)
    assert first_send.exit_code == 0
    assert first_send.stdout.startswith("AR-2026-0001  sent  revision 1")
    assert "AR-2026-0001: PDF archived as sent (SHA-256 " in first_send.stdout
    longer = tmp_path / "longer.json"
    request = json.loads((EXAMPLES / "ar.json").read_text())
    longer.write_text(json.dumps({**request, "duration_weeks": 9}))
    revised = invoke(ready, "quote", "revise", "AR-2026-0001", str(longer), *TODAY)
    assert "draft  revision 2" in revised.stdout
    assert invoke(ready, "quote", "send", "AR-2026-0001", *TODAY).exit_code == 0

    shown = json.loads(invoke(ready, "quote", "show", "AR-2026-0001", "--format",
                              "json").stdout)
    assert shown["status"] == "sent"
    assert [r["request"]["duration_weeks"] for r in shown["revisions"]] == [6, 9]
    assert all(r["sent_at"] for r in shown["revisions"])

    listed = invoke(ready, "quote", "list")
    assert listed.stdout.splitlines()[0].startswith("AR-2026-0001   sent")
    history = invoke(ready, "quote", "history", "AR-2026-0001").stdout
    # Each send archives the PDF as sent (revision.pdf, with its SHA-256).
    assert [line.split()[2] for line in history.splitlines()] == [
        "quote.create", "quote.number", "quote.send", "quote.revise", "quote.send"]
    sent = invoke(ready, "quote", "send", "AR-2026-0001", *TODAY)
    assert sent.exit_code == 2  # already sent: refused, nothing archived twice


def test_an_invalid_transition_exits_2_with_the_reason_and_no_traceback(
        ready: CliRunner) -> None:
    invoke(ready, "quote", "create", str(EXAMPLES / "mx.json"), *TODAY)

    result = invoke(ready, "quote", "accept", "D-00001", *TODAY)

    assert result.exit_code == 2
    assert "cannot accept D-00001: it is draft" in result.stderr
    assert "Traceback" not in result.output


def test_a_bad_request_exits_2_naming_the_field(ready: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**json.loads((EXAMPLES / "cl.json").read_text()), "cases": 7}))

    result = invoke(ready, "quote", "create", str(bad))

    assert result.exit_code == 2
    assert "cases" in result.stderr


def test_a_discount_is_approved_by_finance_from_the_cli(ready: CliRunner,
                                                       tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text(json.dumps({**json.loads((EXAMPLES / "mx.json").read_text()),
                                "discount_percent": "18"}))
    assert "pending_approval" in invoke(ready, "quote", "create", str(deep), *TODAY).stdout

    refused = invoke(ready, "quote", "approve", "D-00001", "--reason", "ok")
    assert refused.exit_code == 2
    assert "only finance or admin" in refused.stderr
    approved = invoke(ready, "quote", "approve", "D-00001", "--reason", "key account",
                      "--as", "money@example.com", "--revision", "1")
    assert "D-00001  draft" in approved.stdout


def test_a_change_made_on_an_old_revision_is_refused_from_the_cli(
        ready: CliRunner, tmp_path: Path) -> None:
    invoke(ready, "quote", "create", str(EXAMPLES / "mx.json"), *TODAY)
    assert invoke(ready, "quote", "revise", "D-00001", str(EXAMPLES / "mx.json"),
                  "--revision", "1", *TODAY).exit_code == 0

    stale = invoke(ready, "quote", "send", "D-00001", "--revision", "1", *TODAY)

    assert stale.exit_code == 2
    assert "changed since you opened it" in stale.stderr
    assert json.loads(invoke(ready, "quote", "show", "D-00001", "--format", "json").stdout
                      )["status"] == "draft"


def test_a_draft_never_sent_is_deleted_from_the_cli_and_a_sent_one_is_not(
        ready: CliRunner) -> None:
    invoke(ready, "quote", "create", str(EXAMPLES / "mx.json"), *TODAY)
    invoke(ready, "quote", "create", str(EXAMPLES / "mx.json"), *TODAY)
    invoke(ready, "quote", "send", "D-00002", *TODAY)

    assert invoke(ready, "quote", "delete", "D-00001").stdout == "D-00001  deleted\n"
    refused = invoke(ready, "quote", "delete", "MX-2026-0001")
    assert refused.exit_code == 2
    assert "only a draft that was never sent can be deleted" in refused.stderr
    assert invoke(ready, "quote", "list").stdout.splitlines()[0].startswith("MX-2026-0001")


def test_an_unknown_acting_user_is_refused_with_a_hint(ready: CliRunner) -> None:
    result = invoke(ready, "quote", "create", str(EXAMPLES / "ar.json"), "--as",
                    "ghost@example.com")

    assert result.exit_code == 2
    assert "no active user ghost@example.com" in result.stderr


def test_rates_are_imported_and_sent_quotes_expire_from_the_cli(
        ready: CliRunner, tmp_path: Path) -> None:
    rates = tmp_path / "rates.csv"
    rates.write_text("pair,date,rate,source\nUSD/ARS,2026-11-24,1052.25,BNA vendedor\n")
    assert "1 rate(s) added" in invoke(ready, "rates", "import", str(rates)).stdout
    invoke(ready, "quote", "create", str(EXAMPLES / "ar.json"), *TODAY)
    invoke(ready, "quote", "send", "D-00001", *TODAY)
    assert "rate USD/ARS = 1052.25 (BNA vendedor, 2026-11-24)" in invoke(
        ready, "quote", "show", "AR-2026-0001").stdout

    assert invoke(ready, "expire", "--today", "2026-12-25").stdout == "expired 0 quote(s)\n"
    expired = invoke(ready, "expire", "--today", "2026-12-26")

    assert expired.stdout == "expired 1 quote(s): AR-2026-0001\n"


def test_commands_refuse_a_database_that_is_not_migrated(run: CliRunner) -> None:
    result = invoke(run, "quote", "list")

    assert result.exit_code == 2
    assert "run `quoting db upgrade`" in result.stderr


def test_the_demo_stores_the_examples_once_and_creates_the_demo_users(run: CliRunner) -> None:
    first = invoke(run, "demo")
    second = invoke(run, "demo")

    assert first.exit_code == 0, first.output
    listed = invoke(run, "quote", "list", "--format", "json")
    assert len(json.loads(listed.stdout)["items"]) == len(list(EXAMPLES.glob("*.json")))
    assert "demo password" in second.stdout
    assert invoke(run, "quote", "list", "--as", "finance@example.com").exit_code == 0
