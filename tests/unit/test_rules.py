"""Rules files: one schema for every market, validated on load, versioned by date."""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from quoting.errors import RulesError
from quoting.rules import DEFAULT_RULES_DIR, Market, NoRulesInForce, load_rulebook


def test_every_market_has_rules_that_load(rulebook):
    assert set(rulebook.markets) == set(Market)


def test_the_version_in_force_is_the_latest_that_started_on_or_before_the_date(rulebook):
    assert rulebook.in_force(Market.AR, date(2026, 6, 30)).version == "AR-2025-01"
    assert rulebook.in_force(Market.AR, date(2026, 7, 1)).version == "AR-2026-07"


def test_ecuador_vat_rose_from_12_to_15_percent_in_april_2024(rulebook):
    march = rulebook.in_force(Market.EC, date(2024, 3, 31))
    april = rulebook.in_force(Market.EC, date(2024, 4, 1))
    assert march.tax["training"].rate == Decimal("0.12")
    assert april.tax["training"].rate == Decimal("0.15")


def test_a_date_before_every_version_has_no_rules(rulebook):
    with pytest.raises(NoRulesInForce, match="earliest starts"):
        rulebook.in_force(Market.MX, date(2019, 1, 1))


def test_chile_exempts_courses_but_taxes_advisory_work(rulebook):
    rules = rulebook.in_force(Market.CL, date(2026, 11, 25))
    assert rules.tax["training"].rate == 0
    assert rules.tax["training"].exempt_reason is not None
    assert rules.tax["consulting"].rate == Decimal("0.19")


@pytest.mark.parametrize(("market", "rate"), [
    ("AR", "0.21"), ("MX", "0.16"), ("EC", "0.15"), ("CO", "0.19"), ("PE", "0.18"), ("ES", "0.21"),
    ("UY", "0.22"),
])
def test_each_market_taxes_consulting_at_its_general_rate(rulebook, market, rate):
    rules = rulebook.in_force(Market(market), date(2026, 11, 25))
    assert rules.tax["consulting"].rate == Decimal(rate)


def test_every_version_lists_license_products_in_one_currency(rulebook):
    for market in rulebook.markets:
        for version in rulebook.versions(market):
            assert version.licenses.products
            assert version.licenses.currency in {"USD", "EUR"}


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(DEFAULT_RULES_DIR, target)
    return target


def spoil(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_float_figure_fails_loudly_with_file_and_field(rules_copy):
    path = rules_copy / "CL" / "CL-2025-01.toml"
    spoil(path, 'per_case = "1425000"', "per_case = 1425000.5")
    with pytest.raises(RulesError) as caught:
        load_rulebook(rules_copy)
    assert str(path) in str(caught.value)
    assert "prices.CLP.per_case" in str(caught.value)
    assert "quoted decimal strings" in str(caught.value)


def test_a_price_finer_than_the_currency_allows_is_refused(rules_copy):
    spoil(rules_copy / "CL" / "CL-2025-01.toml", 'per_case = "1425000"', 'per_case = "1425000.5"')
    with pytest.raises(RulesError, match=r"prices\.CLP\.per_case .* more decimals than CLP"):
        load_rulebook(rules_copy)


def test_a_missing_tax_category_is_named(rules_copy):
    spoil(rules_copy / "MX" / "MX-2025-01.toml", "[tax.travel]", "[tax.travelling]")
    with pytest.raises(RulesError, match=r"MX-2025-01\.toml.*tax"):
        load_rulebook(rules_copy)


def test_participant_bands_must_rise_and_end_open(rules_copy):
    spoil(rules_copy / "PE" / "PE-2025-01.toml", "{ up_to = 25,", "{ up_to = 5,")
    with pytest.raises(RulesError, match="participant_bands"):
        load_rulebook(rules_copy)


def test_a_rules_file_filed_under_another_market_is_refused(rules_copy):
    (rules_copy / "MX" / "MX-2025-01.toml").rename(rules_copy / "CO" / "MX-2025-01.toml")
    with pytest.raises(RulesError, match="filed under CO"):
        load_rulebook(rules_copy)


def test_broken_toml_names_the_file(rules_copy):
    path = rules_copy / "ES" / "ES-2025-01.toml"
    path.write_text("market = ", encoding="utf-8")
    with pytest.raises(RulesError, match="not valid TOML"):
        load_rulebook(rules_copy)


def test_an_empty_rules_folder_is_an_error(tmp_path):
    with pytest.raises(RulesError, match=r"no rules files"):
        load_rulebook(tmp_path)


def test_brazil_adds_no_tax_and_lists_iss_pis_and_cofins_inside_each_price(rulebook):
    rules = rulebook.in_force(Market.BR, date(2026, 11, 25))
    assert rules.default_currency == "BRL"
    assert rules.default_language == "pt"
    for category in ("training", "consulting", "travel", "license"):
        treatment = rules.tax[category]
        assert treatment.rate == 0
        names = [tax.label.pt.split()[0] for tax in treatment.included]
        assert names == ["ISS", "PIS", "COFINS"]
        assert all(tax.source for tax in treatment.included)
    assert rules.tax["consulting"].included[1].rate == Decimal("0.0065")  # cumulative regime
    assert rules.tax["consulting"].included[2].rate == Decimal("0.03")


def test_included_taxes_are_optional_so_every_other_market_keeps_its_file(rulebook):
    for market in rulebook.markets:
        if market is Market.BR:
            continue
        for version in rulebook.versions(market):
            assert all(not treatment.included for treatment in version.tax.values())


def test_included_taxes_that_would_make_up_the_whole_price_are_refused(rules_copy):
    spoil(rules_copy / "BR" / "BR-2026-01.toml", 'rate = "0.03", source = "Lei 9.718',
          'rate = "0.95", source = "Lei 9.718')
    with pytest.raises(RulesError, match=r"BR-2026-01\.toml.*tax\.training.*100%"):
        load_rulebook(rules_copy)


def test_uruguay_adds_iva_at_the_basic_rate_in_pesos_or_dollars(rulebook):
    rules = rulebook.in_force(Market.UY, date(2026, 11, 25))
    assert rules.allowed_currencies == ("UYU", "USD")
    assert {treatment.rate for treatment in rules.tax.values()} == {Decimal("0.22")}
    assert all("Título 10" in treatment.source for treatment in rules.tax.values())
