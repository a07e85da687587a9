"""Finance's summary: quotes counted and totalled per currency by market, status and
month, optionally converted with the stored exchange rates (never guessed, never
chained), on the same QuoteQuery as every list."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func
from sqlalchemy.orm import Session

from quoting.money import minor_units
from quoting.services.history import QuoteQuery, quotes_select
from quoting.services.rate_book import FoundRate, RateBook
from quoting.store.models import Quote, from_minor


@dataclass(slots=True)
class _Bucket:
    count: int = 0
    program: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    licenses: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))

    def add(self, count: int, program_currency: str, program: Decimal,
            license_currency: str, licenses: Decimal) -> None:
        self.count += count
        self.program[program_currency] += program
        self.licenses[license_currency] += licenses

    def to_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "program_totals": _money_list(self.program),
            "license_totals": _money_list(self.licenses),
        }


def _money_list(amounts: dict[str, Decimal]) -> list[dict[str, str]]:
    return [{"currency": code, "amount": str(_rounded(amounts[code], code))}
            for code in sorted(amounts)]


def _rounded(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-minor_units(currency)), rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class _Group:
    market: str
    status: str
    month: str
    program_currency: str
    license_currency: str
    count: int
    program: Decimal
    licenses: Decimal


def _groups(session: Session, filters: QuoteQuery) -> list[_Group]:
    """Counts and sums per market, status, month and currencies, from the quotes table
    alone: it carries its current revision's currencies and totals. ix_quotes_summary
    holds every column read here (and those of the filters on the quote), in the
    order grouped on, so the database may read that index alone and group as it goes."""
    keys = [Quote.market, Quote.status, Quote.quote_month, Quote.program_currency,
            Quote.license_currency]
    columns = [*keys, func.count(), func.sum(Quote.program_total_minor),
               func.sum(Quote.license_total_minor)]
    statement = quotes_select(columns, filters).group_by(*keys)
    groups = []
    for (market, status, month, program_currency, license_currency, count, program,
         licenses) in session.execute(statement):
        groups.append(_Group(market, status, f"{month // 100:04d}-{month % 100:02d}",
                             program_currency, license_currency, int(count),
                             from_minor(int(program), program_currency),
                             from_minor(int(licenses), license_currency)))
    return sorted(groups, key=lambda g: (g.month, g.market, g.status, g.program_currency,
                                         g.license_currency))


def summary(session: Session, filters: QuoteQuery, *, convert_to: str | None = None,
            today: date | None = None) -> dict[str, Any]:
    """Counts and totals (program and licenses apart, per currency) by market,
    currency, status and month (of the quote date).

    With `convert_to`, every amount of a month is converted with the stored rate in
    force on that month's last day (today for the current month): a direct pair
    (1 amount-currency = rate target) multiplies, the reverse pair divides. Nothing
    is chained through a third currency or guessed: amounts with no such rate are
    listed under `unconverted` and left out of the converted totals.
    """
    groups = _groups(session, filters)
    dimensions: dict[str, dict[str, _Bucket]] = {
        "by_market": defaultdict(_Bucket), "by_currency": defaultdict(_Bucket),
        "by_status": defaultdict(_Bucket), "by_month": defaultdict(_Bucket),
    }
    overall = _Bucket()
    for g in groups:
        args = (g.count, g.program_currency, g.program, g.license_currency, g.licenses)
        overall.add(*args)
        dimensions["by_market"][g.market].add(*args)
        dimensions["by_status"][g.status].add(*args)
        dimensions["by_month"][g.month].add(*args)
        # A quote counts once under its program currency; its license total is
        # counted under the license currency.
        dimensions["by_currency"][g.program_currency].add(
            g.count, g.program_currency, g.program, g.license_currency, Decimal(0))
        if g.license_currency != g.program_currency:
            dimensions["by_currency"][g.license_currency].add(
                0, g.program_currency, Decimal(0), g.license_currency, g.licenses)
        else:
            dimensions["by_currency"][g.program_currency].licenses[g.license_currency] += (
                g.licenses)
    result: dict[str, Any] = {
        "count": overall.count,
        "program_totals": _money_list(overall.program),
        "license_totals": _money_list(overall.licenses),
    }
    for name, buckets in dimensions.items():
        result[name] = [{"key": key, **_clean(buckets[key].to_dict())}
                        for key in sorted(buckets)]
    today = today or datetime.now(UTC).date()
    result["converted"] = (_converted(session, groups, convert_to, today)
                           if convert_to else None)
    return result


def _clean(bucket: dict[str, Any]) -> dict[str, Any]:
    # By currency, a quote adds a zero to the section whose currency is another one.
    for key in ("program_totals", "license_totals"):
        bucket[key] = [m for m in bucket[key] if Decimal(m["amount"]) != 0]
    return bucket


def _month_end(month: str, today: date) -> date:
    year, number = (int(part) for part in month.split("-"))
    first_next = date(year + (number == 12), number % 12 + 1, 1)
    return min(first_next - timedelta(days=1), today)


def _converted(session: Session, groups: list[_Group], target: str, today: date
               ) -> dict[str, Any]:
    rates: dict[tuple[str, str], FoundRate | None] = {}
    book = RateBook(session, {g.program_currency for g in groups}
                     | {g.license_currency for g in groups}, target)
    totals: dict[str, dict[str, Decimal]] = {
        "by_market": defaultdict(Decimal), "by_status": defaultdict(Decimal),
        "by_month": defaultdict(Decimal),
    }
    program_total = license_total = Decimal(0)
    unconverted: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for g in groups:
        for section, currency, amount in (("program", g.program_currency, g.program),
                                          ("licenses", g.license_currency, g.licenses)):
            if amount == 0:
                continue
            if currency == target:
                value = amount
            else:
                key = (currency, g.month)
                if key not in rates:
                    rates[key] = book.find(currency, target, _month_end(g.month, today))
                rate = rates[key]
                if rate is None:
                    unconverted[(currency, g.month, section)] += amount
                    continue
                value = amount * rate.factor
            if section == "program":
                program_total += value
            else:
                license_total += value
            totals["by_market"][g.market] += value
            totals["by_status"][g.status] += value
            totals["by_month"][g.month] += value
    used = [
        {"from_currency": currency, "month": month, "pair": rate.pair, "rate": rate.rate,
         "inverted": rate.inverted, "source": rate.source,
         "date": rate.rate_date.isoformat()}
        for (currency, month), rate in sorted(rates.items()) if rate is not None
    ]
    return {
        "currency": target,
        "program_total": str(_rounded(program_total, target)),
        "license_total": str(_rounded(license_total, target)),
        "total": str(_rounded(program_total + license_total, target)),
        **{name: [{"key": key, "amount": str(_rounded(values[key], target))}
                  for key in sorted(values)] for name, values in totals.items()},
        "rates_used": used,
        "unconverted": [
            {"currency": currency, "month": month, "section": section,
             "amount": str(_rounded(amount, currency)),
             "reason": f"no stored {currency}/{target} or {target}/{currency} rate on or "
                       f"before {_month_end(month, today).isoformat()}"}
            for (currency, month, section), amount in sorted(unconverted.items())
        ],
    }


