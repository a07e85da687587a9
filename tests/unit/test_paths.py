"""Where the engine finds its files (quoting.paths): the checkout's folders here, a
company's own price lists through QUOTING_RULES_DIR, the instance folder outside the
installed package. tests/integration/test_wheel.py runs the same from a wheel."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from quoting import paths
from quoting.cli import main
from quoting.errors import RulesError
from quoting.rules import DEFAULT_RULES_DIR, Market, load_rulebook

CHECKOUT = Path(__file__).resolve().parents[2]


def test_a_checkout_reads_its_own_top_level_folders() -> None:
    assert paths.from_checkout()
    assert paths.TEMPLATES_DIR == CHECKOUT / "templates"
    assert paths.LOCALES_DIR == CHECKOUT / "locales"
    assert paths.EXAMPLES_DIR == CHECKOUT / "examples"
    assert DEFAULT_RULES_DIR == paths.SHIPPED_RULES_DIR == CHECKOUT / "pricing_rules"


def test_the_instance_folder_is_the_checkouts_else_the_current_directorys(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert paths.instance_dir({}) == CHECKOUT / "instance"
    assert paths.instance_dir({"QUOTING_INSTANCE": str(tmp_path)}) == tmp_path
    monkeypatch.setattr(paths, "from_checkout", lambda: False)  # as from a wheel
    monkeypatch.chdir(tmp_path)
    assert paths.instance_dir({}) == tmp_path / "instance"
    assert paths.resource_dir("templates") == paths.PACKAGED_DATA_DIR / "templates"


def test_quoting_rules_dir_names_the_price_lists(monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: Path) -> None:
    own = tmp_path / "acme"
    shutil.copytree(DEFAULT_RULES_DIR, own)
    rules = own / "MX" / "MX-2025-01.toml"
    text = rules.read_text("utf-8")
    rules.write_text(text.replace('per_discovery_area = "11700.00"',
                                  'per_discovery_area = "12345.00"'), "utf-8")
    monkeypatch.setenv("QUOTING_RULES_DIR", str(own))
    assert paths.rules_dir() == own
    prices = load_rulebook().in_force(Market.MX, date(2026, 1, 1)).prices["MXN"]
    assert str(prices.per_discovery_area) == "12345.00"

    monkeypatch.setenv("QUOTING_RULES_DIR", str(tmp_path / "none"))
    with pytest.raises(RulesError, match=r"none \(QUOTING_RULES_DIR\): no rules files"):
        load_rulebook()


def test_example_prints_a_markets_request_to_start_from() -> None:
    result = CliRunner().invoke(main, ["example", "MX"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == json.loads(
        (CHECKOUT / "examples" / "mx.json").read_text("utf-8"))

    unknown = CliRunner().invoke(main, ["example", "../mx"])
    assert unknown.exit_code == 2
    assert "no example for '../mx'; allowed: AR, MX" in unknown.output
