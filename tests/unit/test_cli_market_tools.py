"""`quoting price --rules FILE` and `quoting compare`, as a price-setter runs them (no
database: comparing without --in needs none)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from quoting.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
MX_RULES = ROOT / "pricing_rules" / "MX" / "MX-2025-01.toml"


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def candidate(folder: Path, old: str, new: str, name: str = "MX-2027-01.toml") -> Path:
    text = MX_RULES.read_text(encoding="utf-8")
    assert old in text
    path = folder / name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_price_with_a_rules_file_outside_pricing_rules_uses_its_figures(
        tmp_path: Path) -> None:
    raised = candidate(tmp_path, 'per_case = "27000.00"', 'per_case = "30000.00"')
    shipped = json.loads(invoke("price", str(EXAMPLES / "mx.json"), "--format", "json").stdout)
    result = invoke("price", str(EXAMPLES / "mx.json"), "--rules", str(raised),
                    "--format", "json")
    assert result.exit_code == 0, result.output
    priced = json.loads(result.stdout)
    cases = {line["code"]: line for line in priced["program"]["lines"]}["cases"]
    assert cases["unit_price"] == "30000.00"
    assert priced["program"]["subtotal"] != shipped["program"]["subtotal"]


def test_a_rules_file_with_a_bad_field_fails_naming_its_path_and_field(tmp_path: Path) -> None:
    broken = candidate(tmp_path, 'per_case = "27000.00"', 'per_case = "lots"')
    result = invoke("price", str(EXAMPLES / "mx.json"), "--rules", str(broken))
    assert result.exit_code == 2
    assert str(broken) in result.stderr
    assert "prices.MXN.per_case" in result.stderr
    assert result.stdout == ""


def test_a_rules_file_that_cannot_be_read_or_parsed_is_refused(tmp_path: Path) -> None:
    missing = invoke("price", str(EXAMPLES / "mx.json"), "--rules", str(tmp_path / "no.toml"))
    assert missing.exit_code == 2
    assert "no.toml: cannot read the file" in missing.stderr
    garbage = tmp_path / "MX-2027-01.toml"
    garbage.write_text("version = [", encoding="utf-8")
    parsed = invoke("price", str(EXAMPLES / "mx.json"), "--rules", str(garbage))
    assert parsed.exit_code == 2
    assert "not valid TOML" in parsed.stderr


def test_a_request_of_another_market_than_the_rules_file_is_refused(tmp_path: Path) -> None:
    result = invoke("price", str(EXAMPLES / "ar.json"), "--rules", str(MX_RULES))
    assert result.exit_code == 2
    assert "market: the request is for AR" in result.stderr


def test_a_request_for_a_product_the_rules_file_removed_is_refused_naming_the_line(
        tmp_path: Path) -> None:
    text = MX_RULES.read_text(encoding="utf-8")
    start = text.index('[[licenses.products]]\ncode = "coding-assistant"')
    end = text.index("[[licenses.products]]", start + 10)
    path = tmp_path / "MX-2027-01.toml"
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    result = invoke("price", str(EXAMPLES / "mx.json"), "--rules", str(path))
    assert result.exit_code == 2
    assert "licenses.1.product: unknown license product 'coding-assistant'" in result.stderr


def test_compare_prints_an_aligned_table_of_every_market_asked_for() -> None:
    result = invoke("compare", str(EXAMPLES / "mx.json"), "--markets", "AR,MX,ES,CL")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["market", "rules", "date", "program", "program", "total",
                                "licenses", "licenses", "total"]
    assert [line.split()[0] for line in lines[1:5]] == ["AR", "MX", "ES", "CL"]
    assert "873,930.08" in lines[2]
    # Aligned: each amount column ends at the same place on every row.
    ends = {len(line) for line in lines[:5]}
    assert len(ends) == 1


def test_compare_json_is_the_documented_document() -> None:
    result = invoke("compare", str(EXAMPLES / "ar.json"), "--markets", "mx,es",
                    "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["in"] is None
    assert [m["market"] for m in data["markets"]] == ["MX", "ES"]
    assert data["markets"][1]["program"]["currency"] == "EUR"
    assert data["rates"] == []
    assert data["unconverted"] == []


@pytest.mark.parametrize(("option", "value", "field"), [("--markets", "AR,ZZ", "markets"),
                                                         ("--in", "XYZ", "in")])
def test_compare_refuses_unknown_markets_and_currencies(option: str, value: str,
                                                        field: str) -> None:
    result = invoke("compare", str(EXAMPLES / "mx.json"), option, value)
    assert result.exit_code == 2
    assert f"  - {field}: unknown" in result.stderr
