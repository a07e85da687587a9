from decimal import Decimal

import pytest

from quoting.money import Money, MoneyError, sum_money, to_decimal


def test_rounding_is_half_up_to_the_minor_unit():
    assert Money(Decimal("2.345"), "USD").rounded().amount == Decimal("2.35")
    assert Money(Decimal("2.335"), "USD").rounded().amount == Decimal("2.34")
    assert Money(Decimal("-2.345"), "USD").rounded().amount == Decimal("-2.35")


def test_chilean_and_colombian_pesos_round_to_whole_units():
    assert Money(Decimal("1234.5"), "CLP").rounded().amount == Decimal("1235")
    assert Money(Decimal("1234.49"), "COP").rounded().amount == Decimal("1234")


def test_floats_are_refused_with_a_hint_to_use_decimal_strings():
    with pytest.raises(MoneyError, match="decimal strings"):
        Money.of(0.1, "USD")
    with pytest.raises(MoneyError):
        Money(0.1, "USD")  # type: ignore[arg-type]
    with pytest.raises(MoneyError):
        Money.of("1", "USD") * 1.5  # type: ignore[operator]


def test_money_in_different_currencies_never_mixes():
    with pytest.raises(MoneyError, match="cannot combine USD with MXN"):
        Money.of("1", "USD") + Money.of("1", "MXN")


def test_unknown_currency_is_refused_naming_the_known_ones():
    with pytest.raises(MoneyError, match="known: ARS"):
        Money.of("1", "XYZ")


def test_non_numeric_and_infinite_strings_are_not_amounts():
    for bad in ["abc", "NaN", "Infinity", ""]:
        with pytest.raises(MoneyError):
            to_decimal(bad)


def test_sum_money_adds_in_one_currency():
    items = [Money.of("1.10", "EUR"), Money.of("2.20", "EUR")]
    assert sum_money(items, "EUR") == Money.of("3.30", "EUR")
    assert sum_money([], "EUR") == Money.zero("EUR")


def test_as_str_prints_the_currency_precision():
    assert Money.of("5", "USD").as_str() == "5.00"
    assert Money.of("5.4", "CLP").as_str() == "5"


def test_ordering_refuses_mixed_currencies_in_every_direction():
    usd, mxn = Money.of("1", "USD"), Money.of("2", "MXN")
    for compare in (lambda: usd < mxn, lambda: usd <= mxn, lambda: usd > mxn,
                    lambda: usd >= mxn):
        with pytest.raises(MoneyError, match="cannot combine USD with MXN"):
            compare()


def test_money_does_not_behave_like_a_plain_tuple():
    with pytest.raises(MoneyError, match="cannot combine"):
        Money.of("1", "USD") + (Decimal(1), "USD")  # type: ignore[operator]  # noqa: RUF005
    assert Money.of("3", "USD") * 2 == Money.of("6", "USD")
    assert Money.of("1.50", "USD") > Money.of("1.49", "USD")
    assert repr(Money.of("1.5", "EUR")) == "Money(Decimal('1.5'), 'EUR')"
