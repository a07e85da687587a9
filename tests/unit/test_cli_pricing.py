"""The `quoting` command as a salesperson or a script uses it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from quoting.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def run():
    runner = CliRunner()

    def invoke(*args: str, stdin: str | None = None):
        return runner.invoke(main, list(args), input=stdin, catch_exceptions=False)

    return invoke


@pytest.mark.parametrize("market", ["ar", "mx", "ec", "co", "cl", "pe", "es"])
def test_price_prints_a_json_quote_for_every_market(run, market):
    result = run("price", str(EXAMPLES / f"{market}.json"), "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["market"] == market.upper()
    assert data["rules_version"].startswith(market.upper())
    for section in ("program", "licenses"):
        assert {"lines", "subtotal", "discount", "tax", "total", "currency"} <= set(data[section])


def test_the_text_breakdown_shows_lines_rules_and_both_sections(run):
    result = run("price", str(EXAMPLES / "cl.json"))
    assert result.exit_code == 0
    assert "PROGRAM" in result.output
    assert "LICENSES" in result.output
    assert "[CL-2025-01 prices.CLP.per_case]" in result.output
    assert "US$" in result.output  # the dollar licenses never print a bare "$"
    assert "TOTAL: $" in result.output


def test_an_invalid_request_exits_2_with_every_problem_on_stderr(run, tmp_path):
    request = json.loads((EXAMPLES / "mx.json").read_text(encoding="utf-8"))
    request["cases"] = 7
    request["client"]["tax_id"] = "GODE561231GR9"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(request), encoding="utf-8")
    result = run("price", str(path))
    assert result.exit_code == 2
    assert "cases: Input should be less than or equal to 4" in result.stderr
    assert "client.tax_id:" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_request_can_come_from_standard_input(run):
    result = run("price", "-", "--format", "json",
                 stdin=(EXAMPLES / "ec.json").read_text(encoding="utf-8"))
    assert result.exit_code == 0
    assert json.loads(result.output)["currency"] == "USD"


def test_a_missing_file_is_a_clear_error(run, tmp_path):
    result = run("price", str(tmp_path / "nope.json"))
    assert result.exit_code == 2
    assert "cannot read the request" in result.stderr


def test_rules_check_lists_every_market_and_succeeds(run):
    result = run("rules", "check")
    assert result.exit_code == 0
    assert "EC: EC-2024-01 (from 2024-01-01), EC-2024-04 (from 2024-04-01)" in result.output


def test_rules_show_lists_the_license_product_codes(run):
    result = run("rules", "show", "CL", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["license_products"] == ["chat-team", "chat-enterprise", "coding-assistant",
                                        "api-credit"]
    assert data["tax"]["training"]["rate"] == "0"


def test_rules_show_picks_the_version_in_force_on_a_date(run):
    result = run("rules", "show", "AR", "--date", "2026-01-15", "--format", "json")
    assert json.loads(result.output)["version"] == "AR-2025-01"


def test_rules_show_refuses_an_unknown_market(run):
    result = run("rules", "show", "BO")
    assert result.exit_code == 2
    assert "allowed: AR, MX, EC, CO, CL, PE, ES, UY, BR" in result.stderr
