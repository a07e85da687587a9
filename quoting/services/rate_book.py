"""Stored exchange rates read once for a report: the rate in force on a day is the
latest published on or before it. A direct pair multiplies, the reverse pair divides;
nothing is chained or guessed. Shared by the finance reports and the pipeline."""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from quoting.store.models import ExchangeRate


@dataclass(frozen=True, slots=True)
class FoundRate:
    factor: Decimal
    pair: str
    rate: str
    source: str
    rate_date: date
    inverted: bool


class RateBook:
    """Every stored rate between the given currencies and the target, in one query."""

    def __init__(self, session: Session, currencies: Iterable[str], target: str) -> None:
        self._by_pair: dict[tuple[str, str], list[ExchangeRate]] = defaultdict(list)
        others = sorted(set(currencies) - {target})
        if others:
            for rate in session.scalars(select(ExchangeRate).where(
                    ((ExchangeRate.base_currency.in_(others))
                     & (ExchangeRate.quote_currency == target))
                    | ((ExchangeRate.base_currency == target)
                       & (ExchangeRate.quote_currency.in_(others))))
                    .order_by(ExchangeRate.rate_date)):
                self._by_pair[(rate.base_currency, rate.quote_currency)].append(rate)
        # The dates once, so each lookup is a bisect, not a rebuilt list.
        self._dates = {pair: [r.rate_date for r in rates]
                       for pair, rates in self._by_pair.items()}

    def find(self, currency: str, target: str, on: date) -> FoundRate | None:
        for base, quote_currency, inverted in ((currency, target, False),
                                               (target, currency, True)):
            rates = self._by_pair.get((base, quote_currency))
            if not rates:
                continue
            index = bisect_right(self._dates[(base, quote_currency)], on)
            if index:
                found = rates[index - 1]
                value = Decimal(found.rate)
                return FoundRate(Decimal(1) / value if inverted else value, found.pair,
                                 found.rate, found.source, found.rate_date, inverted)
        return None
