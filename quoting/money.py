"""Money: a Decimal amount with its ISO 4217 currency.

Floats are refused everywhere and amounts of different currencies never mix.
Rounding to a currency's minor unit, half-up, happens only in `round_half_up`.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Final, NamedTuple

# Minor units used in proposals. ISO 4217 gives COP two decimals, but whole
# pesos are the norm in Colombian quotes (cash use), as they are for CLP.
MINOR_UNITS: Final[dict[str, int]] = {
    "ARS": 2,
    "BRL": 2,
    "CLP": 0,
    "COP": 0,
    "EUR": 2,
    "MXN": 2,
    "PEN": 2,
    "USD": 2,
    "UYU": 2,
}

_QUANTUMS: Final[dict[str, Decimal]] = {
    code: Decimal(1).scaleb(-digits) for code, digits in MINOR_UNITS.items()
}


class MoneyError(ValueError):
    """Raised for a float amount, an unknown currency or mixed currencies."""


def is_known_currency(code: str) -> bool:
    return code in MINOR_UNITS


def minor_units(currency: str) -> int:
    try:
        return MINOR_UNITS[currency]
    except KeyError:
        raise MoneyError(
            f"unknown currency {currency!r}; known: {', '.join(sorted(MINOR_UNITS))}"
        ) from None


def to_decimal(value: object) -> Decimal:
    """Turn an int, a Decimal or a decimal string into a Decimal; refuse floats."""
    if isinstance(value, bool | float):
        raise MoneyError(
            f"{value!r} is a {type(value).__name__}; "
            "give amounts as decimal strings like \"1500.00\""
        )
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise MoneyError(f"{value!r} is not a decimal number") from None
    else:
        raise MoneyError(f"{value!r} is not an amount")
    if not result.is_finite():
        raise MoneyError(f"{value!r} is not a finite amount")
    return result


class _MoneyFields(NamedTuple):
    amount: Decimal
    currency: str


class Money(_MoneyFields):
    """An immutable amount in one currency.

    A tuple underneath because pricing builds dozens per quote and a tuple is
    the cheapest immutable object CPython makes; arithmetic and ordering are
    redefined so that currencies never mix.
    """

    __slots__ = ()

    def __new__(cls, amount: Decimal, currency: str) -> Money:
        if type(amount) is not Decimal:
            raise MoneyError(f"Money needs a Decimal amount, got {type(amount).__name__}")
        if currency not in MINOR_UNITS:
            minor_units(currency)  # raises with the list of known currencies
        return _new_money(cls, (amount, currency))

    @classmethod
    def of(cls, value: object, currency: str) -> Money:
        return cls(to_decimal(value), currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    def _same_currency(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise MoneyError(f"cannot combine Money with {other!r}")
        if self.currency != other.currency:
            raise MoneyError(f"cannot combine {self.currency} with {other.currency}")

    # The tuple operators these replace would concatenate or compare
    # lexicographically; Money's versions check the currency.
    def __add__(self, other: Money) -> Money:  # type: ignore[override]
        self._same_currency(other)
        return _new_money(Money, (self.amount + other.amount, self.currency))

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return _new_money(Money, (self.amount - other.amount, self.currency))

    def __mul__(self, factor: int | Decimal) -> Money:  # type: ignore[override]
        if isinstance(factor, bool) or not isinstance(factor, int | Decimal):
            raise MoneyError(f"Money can only be multiplied by int or Decimal, not {factor!r}")
        return _new_money(Money, (self.amount * factor, self.currency))

    __rmul__ = __mul__  # type: ignore[assignment]

    def __neg__(self) -> Money:
        return _new_money(Money, (-self.amount, self.currency))

    def __lt__(self, other: Money) -> bool:  # type: ignore[override]
        self._same_currency(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:  # type: ignore[override]
        self._same_currency(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:  # type: ignore[override]
        self._same_currency(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:  # type: ignore[override]
        self._same_currency(other)
        return self.amount >= other.amount

    def rounded(self) -> Money:
        return _new_money(Money, (round_half_up(self.amount, self.currency), self.currency))

    def is_rounded(self) -> bool:
        return self.amount == self.amount.quantize(_QUANTUMS[self.currency])

    def as_str(self) -> str:
        """The amount as a plain decimal string at the currency's precision."""
        return str(round_half_up(self.amount, self.currency))

    def __str__(self) -> str:
        return f"{self.as_str()} {self.currency}"

    def __repr__(self) -> str:
        return f"Money({self.amount!r}, {self.currency!r})"


_new_money = tuple.__new__


def round_half_up(amount: Decimal, currency: str) -> Decimal:
    """Half-up to the currency's minor unit: the one place money is rounded."""
    return amount.quantize(_QUANTUMS[currency], rounding=ROUND_HALF_UP)


def sum_money(items: list[Money], currency: str) -> Money:
    total = Money.zero(currency)
    for item in items:
        total = total + item
    return total
