"""The pipeline for sales leads and finance: quotes and amounts by status, market,
owner and month (per currency, optionally converted with the stored rate in force on
each quote's date), win rate, days from sending to acceptance, discounts, quotes
and expiring soon (the exchange-rate drift of open quotes is quoting.services.exchange_drift).

Every figure is an SQL aggregate over the quotes table's summary columns (migration
0010), grouped by a handful of keys; Python only adds up the grouped rows. Money is
Decimal, per currency: amounts in different currencies are never added together
unless converted, and what cannot be converted is listed, never guessed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import ColumnElement, Date, Integer, cast, func, select
from sqlalchemy.orm import Session

from quoting.errors import QuoteInputError
from quoting.money import is_known_currency, minor_units
from quoting.services.history import QuoteQuery, quotes_select
from quoting.services.rate_book import FoundRate, RateBook
from quoting.store.models import (
    AuditEvent,
    Quote,
    QuoteRevision,
    QuoteStatus,
    User,
    draft_reference,
    from_minor,
)

S = QuoteStatus
# Win rate: of the quotes whose outcome is known. Withdrawn quotes (we pulled them) and
# quotes still open are not outcomes of the client's decision.
WON = (S.ACCEPTED,)
LOST = (S.DECLINED, S.EXPIRED)
WIN_RATE_DEFINITION = "accepted / (accepted + declined + expired)"
DAYS_TO_ACCEPT_DEFINITION = ("calendar days (UTC) from the quote's first sending to its "
                             "acceptance")
# Open for the drift check: the rate still matters, the client has not answered.
OPEN_STATUSES = (S.DRAFT, S.PENDING_APPROVAL, S.SENT)
DEFAULT_EXPIRING_DAYS = 14
MAX_EXPIRING_DAYS = 365
DEFAULT_LIST_LIMIT = 50
MAX_LIST_LIMIT = 500
# Upper bounds of the discount buckets, in percent (the last bucket is above the last).
DISCOUNT_BOUNDS = (Decimal(0), Decimal(5), Decimal(10), Decimal(15), Decimal(20))
DIMENSIONS = ("status", "market", "owner", "month")


@dataclass(frozen=True, slots=True)
class PipelineFilters:
    """Every bound is inclusive. `owner_id` is the viewer's own-quotes-only restriction
    (services.owner_restriction); `owner_email` the filter they chose."""

    date_from: date | None = None
    date_to: date | None = None
    market: str | None = None
    owner_email: str | None = None
    owner_id: int | None = None

    def query(self, *, with_period: bool = True, status: str | None = None) -> QuoteQuery:
        return QuoteQuery(market=self.market, owner_email=self.owner_email, status=status,
                          quote_date_from=self.date_from if with_period else None,
                          quote_date_to=self.date_to if with_period else None)


def check_filters(session: Session, filters: PipelineFilters,
                  convert_to: str | None = None) -> None:
    """Refuse what no answer could honour, naming the field: a reversed period, an
    unknown owner or currency."""
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        raise QuoteInputError.single("to", f"the period ends ({filters.date_to}) before it "
                                     f"starts ({filters.date_from})")
    if filters.owner_email is not None:
        found = session.scalar(select(User.id).where(
            User.email == filters.owner_email.strip().lower()))
        if found is None:
            raise QuoteInputError.single("owner", f"no user with the email "
                                         f"{filters.owner_email!r}")
    if convert_to is not None and not is_known_currency(convert_to):
        raise QuoteInputError.single("in", f"unknown currency {convert_to!r} (ISO 4217, "
                                     f"e.g. USD)")


def _select(columns: list[Any], filters: PipelineFilters, *, with_period: bool = True,
            status: str | None = None) -> Any:
    statement = quotes_select(columns, filters.query(with_period=with_period, status=status))
    if filters.owner_id is not None:
        statement = statement.where(Quote.owner_id == filters.owner_id)
    return statement


def _rounded(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-minor_units(currency)), rounding=ROUND_HALF_UP)


def _money_list(amounts: dict[str, Decimal]) -> list[dict[str, str]]:
    return [{"currency": code, "amount": str(_rounded(amounts[code], code))}
            for code in sorted(amounts) if amounts[code] != 0 or len(amounts) == 1]


def _month_key(month: int) -> str:
    return f"{month // 100:04d}-{month % 100:02d}"


# --- Exchange rates ------------------------------------------------------------------

# --- The pipeline ---------------------------------------------------------------------

def _dimension_column(dimension: str) -> Any:
    return {"status": Quote.status, "market": Quote.market, "owner": Quote.owner_id,
            "month": Quote.quote_month}[dimension]


@dataclass(slots=True)
class _Totals:
    count: int = 0
    program: dict[str, Decimal] | None = None
    licenses: dict[str, Decimal] | None = None
    converted: Decimal | None = None
    # Currencies of this bucket with an amount no stored rate could convert.
    not_converted: set[str] = field(default_factory=set)

    def add(self, count: int, program_currency: str, program: Decimal,
            license_currency: str, licenses: Decimal) -> None:
        if self.program is None or self.licenses is None:
            self.program, self.licenses = defaultdict(Decimal), defaultdict(Decimal)
        self.count += count
        self.program[program_currency] += program
        self.licenses[license_currency] += licenses

    def to_dict(self, key: str, converted_currency: str | None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "key": key, "count": self.count,
            "program_totals": _money_list(self.program or {}),
            "license_totals": _money_list(self.licenses or {}),
        }
        if converted_currency is not None:
            body["converted_total"] = str(_rounded(self.converted or Decimal(0),
                                                   converted_currency))
            body["not_converted"] = sorted(self.not_converted)
        return body


class _Conversion:
    """Converts each (currency, quote date) amount with the rate in force that day and
    remembers which rates it used and what it could not convert."""

    def __init__(self, book: RateBook, target: str) -> None:
        self.book, self.target = book, target
        self.used: dict[tuple[str, date], FoundRate] = {}
        self.unconverted: dict[tuple[str, str], list[Any]] = {}
        self._cache: dict[tuple[str, date], FoundRate | None] = {}

    def convert(self, amount: Decimal, currency: str, day: date, section: str,
                count: int) -> Decimal | None:
        if amount == 0:
            return Decimal(0)
        if currency == self.target:
            return amount
        key = (currency, day)
        if key not in self._cache:
            self._cache[key] = self.book.find(currency, self.target, day)
        rate = self._cache[key]
        if rate is None:
            # [amount, quotes, first date, last date]
            entry = self.unconverted.setdefault((currency, section),
                                                [Decimal(0), 0, day, day])
            entry[0] += amount
            entry[1] += count
            entry[2], entry[3] = min(entry[2], day), max(entry[3], day)
            return None
        self.used[(rate.pair, rate.rate_date)] = rate
        return amount * rate.factor


def _grouped(session: Session, filters: PipelineFilters, *, by_day: bool
             ) -> list[tuple[Any, ...]]:
    """(market, status, month, program currency, license currency, owner id, [quote
    date,] count, program minor, license minor) per group, in one read of the quotes
    table's summary columns (ix_quotes_summary holds them all)."""
    keys: list[Any] = [Quote.market, Quote.status, Quote.quote_month, Quote.program_currency,
                       Quote.license_currency, Quote.owner_id]
    if by_day:
        keys.append(Quote.quote_date)
    columns = [*keys, func.count(), func.sum(Quote.program_total_minor),
               func.sum(Quote.license_total_minor)]
    return [tuple(row) for row in session.execute(_select(columns, filters).group_by(*keys))]


def _by_dimension(session: Session, filters: PipelineFilters,
                  conversion: _Conversion | None) -> dict[str, dict[str, _Totals]]:
    """Every dimension's totals from the same groups: each group is added to its
    status, market, owner and month (and converted once, with its day's rate)."""
    dimensions: dict[str, dict[str, _Totals]] = {name: defaultdict(_Totals)
                                                 for name in DIMENSIONS}
    for row in _grouped(session, filters, by_day=conversion is not None):
        market, status, month, program_currency, license_currency, owner_id = row[:6]
        day: date | None = row[6] if conversion is not None else None
        count, program, licenses = row[-3:]
        program_amount = from_minor(int(program or 0), program_currency)
        license_amount = from_minor(int(licenses or 0), license_currency)
        converted: Decimal | None = None
        missing: set[str] = set()
        if conversion is not None and day is not None:
            converted = Decimal(0)
            for section, currency, amount in (("program", program_currency, program_amount),
                                              ("licenses", license_currency,
                                               license_amount)):
                value = conversion.convert(amount, currency, day, section, int(count))
                if value is None:
                    missing.add(currency)
                else:
                    converted += value
        for name, key in (("status", str(status)), ("market", str(market)),
                          ("owner", str(owner_id)), ("month", _month_key(int(month)))):
            bucket = dimensions[name][key]
            bucket.add(int(count), program_currency, program_amount, license_currency,
                       license_amount)
            if converted is not None:
                bucket.converted = (bucket.converted or Decimal(0)) + converted
                bucket.not_converted |= missing
    return dimensions


def _owner_names(session: Session, ids: Iterable[str]) -> dict[str, tuple[str, str]]:
    wanted = [int(i) for i in ids]
    if not wanted:
        return {}
    return {str(user_id): (email, name) for user_id, email, name in session.execute(
        select(User.id, User.email, User.name).where(User.id.in_(wanted)))}


def _win_rate(by_status: dict[str, _Totals]) -> dict[str, Any]:
    won = sum(by_status[s].count for s in WON if s in by_status)
    lost = {s.value: by_status[s].count if s in by_status else 0 for s in LOST}
    decided = won + sum(lost.values())
    rate = (Decimal(won) / Decimal(decided)).quantize(Decimal("0.0001"),
                                                        rounding=ROUND_HALF_UP) \
        if decided else None
    return {"definition": WIN_RATE_DEFINITION, "accepted": won, **lost, "decided": decided,
            "rate": str(rate) if rate is not None else None}


def _day_difference(session: Session, later: Any, earlier: Any) -> ColumnElement[int]:
    """Whole calendar days between two UTC timestamps, in SQL."""
    if session.get_bind().dialect.name == "postgresql":
        return (cast(func.timezone("UTC", later), type_=Date)
                - cast(func.timezone("UTC", earlier), type_=Date))  # type: ignore[return-value]
    return cast(func.julianday(func.date(later)) - func.julianday(func.date(earlier)),
                Integer)


def _days_to_accept(session: Session, filters: PipelineFilters) -> dict[str, Any]:
    """The median of the days from first sending to acceptance, over the accepted
    quotes of the filters: the database counts quotes per number of days, and the
    median is read from those counts."""
    # Looked up per accepted quote, through the (quote_id, revision) and (quote_id, at)
    # indexes, rather than grouping every revision and event of the store.
    first_sent = (select(func.min(QuoteRevision.sent_at))
                  .where(QuoteRevision.quote_id == Quote.id)
                  .correlate(Quote).scalar_subquery())
    accepted_at = (select(func.max(AuditEvent.at))
                   .where(AuditEvent.quote_id == Quote.id,
                          AuditEvent.to_status == S.ACCEPTED)
                   .correlate(Quote).scalar_subquery())
    per_quote = (_select([_day_difference(session, accepted_at, first_sent).label("days")],
                         filters, status=S.ACCEPTED).subquery())
    statement = (select(per_quote.c.days, func.count()).where(per_quote.c.days.is_not(None))
                 .group_by(per_quote.c.days).order_by(per_quote.c.days))
    counts = [(int(d), int(n)) for d, n in session.execute(statement)]
    total = sum(n for _d, n in counts)
    return {"definition": DAYS_TO_ACCEPT_DEFINITION, "count": total,
            "median": str(_median(counts, total)) if total else None}


def _median(counts: list[tuple[int, int]], total: int) -> Decimal:
    """The median of values given as sorted (value, how many) pairs."""
    def nth(position: int) -> int:
        seen = 0
        for value, many in counts:
            seen += many
            if position < seen:
                return value
        return counts[-1][0]

    if total % 2:
        return Decimal(nth(total // 2))
    return (Decimal(nth(total // 2 - 1)) + Decimal(nth(total // 2))) / 2


def _discounts(session: Session, filters: PipelineFilters) -> list[dict[str, Any]]:
    """Quotes per discount bucket, by the current revision's program discount (kept on
    the quote as written: a handful of distinct values, grouped by the database; the
    buckets are then decided here, in Decimal)."""
    statement = (_select([Quote.discount_percent, func.count()], filters)
                 .group_by(Quote.discount_percent))
    counts: dict[int, int] = defaultdict(int)
    for text, many in session.execute(statement):
        counts[_discount_bucket(text)] += int(many)
    buckets = []
    for index in range(len(DISCOUNT_BOUNDS) + 1):
        low = DISCOUNT_BOUNDS[index - 1] if index else None
        high = DISCOUNT_BOUNDS[index] if index < len(DISCOUNT_BOUNDS) else None
        key = ("0" if index == 0 else f"{low}-{high}" if high is not None else f">{low}")
        buckets.append({"key": key, "above": str(low) if low is not None else None,
                        "up_to": str(high) if high is not None else None,
                        "count": counts.get(index, 0)})
    return buckets


def _discount_bucket(text: Any) -> int:
    try:
        percent = Decimal(str(text)) if text is not None else Decimal(0)
    except InvalidOperation:
        percent = Decimal(0)
    return next((index for index, bound in enumerate(DISCOUNT_BOUNDS) if percent <= bound),
                len(DISCOUNT_BOUNDS))


def _expiring(session: Session, filters: PipelineFilters, today: date, days: int,
              limit: int) -> dict[str, Any]:
    until = today + timedelta(days=days)
    window = (Quote.valid_until >= today, Quote.valid_until <= until)
    total = int(session.scalar(
        _select([func.count()], filters, with_period=False, status=S.SENT).where(*window))
        or 0)
    rows = session.execute(_expiring_rows(filters).where(*window)
                           .order_by(Quote.valid_until, Quote.id).limit(limit))
    items = [{"reference": number or draft_reference(quote_id), "market": market,
              "client_name": client,
              "valid_until": valid_until.isoformat(), "days_left": (valid_until - today).days,
              "owner": email, "owner_name": name,
              "program_total": {"currency": currency,
                                "amount": str(from_minor(int(total_minor), currency))}}
             for (number, quote_id, market, client, valid_until, currency, total_minor, email,
                  name) in rows]
    return {"days": days, "until": until.isoformat(), "count": total, "items": items}


def _expiring_rows(filters: PipelineFilters) -> Any:
    statement = quotes_select(
        [Quote.number, Quote.id, Quote.market, Quote.client_name, Quote.valid_until,
         Quote.program_currency, Quote.program_total_minor, User.email, User.name],
        filters.query(with_period=False, status=S.SENT), owner=True)
    if filters.owner_id is not None:
        statement = statement.where(Quote.owner_id == filters.owner_id)
    return statement


def pipeline(session: Session, filters: PipelineFilters, *, convert_to: str | None = None,
             expiring_days: int = DEFAULT_EXPIRING_DAYS, expiring_limit: int = DEFAULT_LIST_LIMIT,
             today: date | None = None) -> dict[str, Any]:
    """Every figure of the dashboard and of /api/v1/reports/pipeline, JSON-ready."""
    check_filters(session, filters, convert_to)
    if not 1 <= expiring_days <= MAX_EXPIRING_DAYS:
        raise QuoteInputError.single("expiring_days", f"between 1 and {MAX_EXPIRING_DAYS}")
    today = today or datetime.now(UTC).date()
    conversion: _Conversion | None = None
    if convert_to is not None:
        currencies = {c for (c,) in session.execute(
            _select([Quote.program_currency], filters).distinct())}
        currencies |= {c for (c,) in session.execute(
            _select([Quote.license_currency], filters).distinct())}
        conversion = _Conversion(RateBook(session, currencies, convert_to), convert_to)
    dimensions = _by_dimension(session, filters, conversion)
    overall = _Totals()
    for status_totals in dimensions["status"].values():
        for currency, amount in (status_totals.program or {}).items():
            overall.add(0, currency, amount, currency, Decimal(0))
        for currency, amount in (status_totals.licenses or {}).items():
            overall.add(0, currency, Decimal(0), currency, amount)
        overall.count += status_totals.count
        if status_totals.converted is not None:
            overall.converted = (overall.converted or Decimal(0)) + status_totals.converted
    owners = _owner_names(session, dimensions["owner"])
    result: dict[str, Any] = {
        "filters": {"from": _iso(filters.date_from), "to": _iso(filters.date_to),
                    "market": filters.market, "owner": filters.owner_email,
                    "in": convert_to, "today": today.isoformat()},
        "count": overall.count,
        "program_totals": _money_list({k: v for k, v in (overall.program or {}).items()
                                       if v}),
        "license_totals": _money_list({k: v for k, v in (overall.licenses or {}).items()
                                       if v}),
    }
    status_order = {s.value: i for i, s in enumerate(QuoteStatus)}
    for name, totals in dimensions.items():
        order = sorted(totals, key=lambda k: (status_order.get(k, 99), k)) \
            if name == "status" else sorted(totals)
        rows = [totals[key].to_dict(key, convert_to) for key in order]
        if name == "owner":
            for row in rows:
                email, owner_name = owners.get(row["key"], ("", ""))
                row["key"], row["name"] = email, owner_name
            rows.sort(key=lambda r: (-r["count"], r["key"]))
        result[f"by_{name}"] = rows
    result["win_rate"] = _win_rate(dimensions["status"])
    result["days_to_accept"] = _days_to_accept(session, filters)
    result["discounts"] = _discounts(session, filters)
    result["expiring"] = _expiring(session, filters, today, expiring_days, expiring_limit)
    result["converted"] = _converted_summary(conversion, overall) if conversion else None
    return result


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _converted_summary(conversion: _Conversion, overall: _Totals) -> dict[str, Any]:
    target = conversion.target
    return {
        "currency": target,
        "total": str(_rounded(overall.converted or Decimal(0), target)),
        "rates_used": [
            {"pair": rate.pair, "date": rate.rate_date.isoformat(), "rate": rate.rate,
             "source": rate.source, "inverted": rate.inverted}
            for _key, rate in sorted(conversion.used.items())],
        "unconverted": [
            {"currency": currency, "section": section, "quotes": quotes,
             "amount": str(_rounded(amount, currency)),
             "reason": f"no stored {currency}/{target} or {target}/{currency} rate on or "
                       f"before {first.isoformat()}"
                       + (f" (quote dates {first.isoformat()} to {last.isoformat()})"
                          if last != first else "")}
            for (currency, section), (amount, quotes, first, last)
            in sorted(conversion.unconverted.items())],
    }
