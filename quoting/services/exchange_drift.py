"""Open quotes whose license-to-program exchange rate has drifted since their quote
date, for the pipeline dashboard and the finance API: the rate stored with each
current revision against the latest stored rate of the same pair, decided in Decimal;
quotes whose revision found no rate are listed apart, never priced with a guess."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Numeric, cast, func, or_, select
from sqlalchemy.orm import Session

from quoting.errors import QuoteInputError
from quoting.services.history import quotes_select
from quoting.services.pipeline import (
    DEFAULT_LIST_LIMIT,
    OPEN_STATUSES,
    PipelineFilters,
    check_filters,
)
from quoting.store.models import (
    ExchangeRate,
    Quote,
    QuoteRevision,
    User,
    draft_reference,
    from_minor,
)

DEFAULT_DRIFT_PERCENT = Decimal("5")
MAX_DRIFT_PERCENT = Decimal("99")


def exchange_drift(session: Session, filters: PipelineFilters, *,
                   threshold_percent: Decimal = DEFAULT_DRIFT_PERCENT,
                   limit: int = DEFAULT_LIST_LIMIT, today: date | None = None
                   ) -> dict[str, Any]:
    """Open quotes (draft, awaiting approval or sent, still valid) whose license-to-
    program rate, stored with the current revision at its date, differs from the latest
    stored rate of the same pair by more than `threshold_percent` (either way).

    Drift = (latest - stored) / stored x 100. Quotes whose revision found no rate are
    listed apart ("no rate stored"), never priced with a guess. The period filter does
    not apply: this is about quotes open today, whatever their date."""
    check_filters(session, filters)
    if not Decimal(0) <= threshold_percent <= MAX_DRIFT_PERCENT:
        raise QuoteInputError.single("threshold", f"a percentage from 0 to "
                                     f"{MAX_DRIFT_PERCENT}")
    today = today or datetime.now(UTC).date()
    rates = QuoteRevision.exchange_rates
    pair = rates[(0, "pair")].as_string()
    stored_rate = rates[(0, "rate")].as_string()
    stored_date = rates[(0, "date")].as_string()
    statement = (
        quotes_select([Quote.number, Quote.id, Quote.market, Quote.status, Quote.client_name,
                       Quote.quote_date, Quote.valid_until, Quote.license_currency,
                       Quote.license_total_minor, User.email, pair, stored_rate,
                       stored_date], filters.query(with_period=False), owner=True)
        .join(QuoteRevision, (QuoteRevision.quote_id == Quote.id)
              & (QuoteRevision.revision == Quote.current_revision))
        .where(Quote.status.in_(OPEN_STATUSES), Quote.valid_until >= today,
               Quote.license_currency != Quote.program_currency, pair.is_not(None))
    )
    if filters.owner_id is not None:
        statement = statement.where(Quote.owner_id == filters.owner_id)
    latest = _latest_rates(session)
    threshold = threshold_percent / 100
    # The database keeps only quotes near or past the threshold (a float comparison,
    # widened a little); Decimal decides exactly below.
    narrowing = []
    for (base, quote_currency), found in latest.items():
        value = Decimal(found.rate)
        low = value / (1 + threshold) * Decimal("1.0001")
        high = value / (1 - threshold) * Decimal("0.9999") if threshold < 1 else None
        number = cast(stored_rate, Numeric(30, 10))
        outside = number >= low if high is None else (number >= low) & (number <= high)
        narrowing.append((pair == f"{base}/{quote_currency}") & ~outside)
    checked = int(session.scalar(select(func.count()).select_from(
        statement.with_only_columns(Quote.id).subquery())) or 0)
    flagged: list[dict[str, Any]] = []
    no_rate: list[dict[str, Any]] = []
    missing = stored_rate.is_(None)
    candidates = statement.where(or_(missing, *narrowing) if narrowing else missing)
    for (number, quote_id, market, status, client, quote_date, valid_until, license_currency,
         license_minor, email, pair_text, rate_text, rate_date) in session.execute(
            candidates):  # no ORDER BY: it would scan by date instead of the open ones
        item = {"reference": number or draft_reference(quote_id), "market": market,
                "status": status, "client_name": client, "quote_date": quote_date.isoformat(),
                "valid_until": valid_until.isoformat(), "owner": email, "pair": pair_text,
                "license_total": {"currency": license_currency, "amount": str(
                    from_minor(int(license_minor), license_currency))}}
        if rate_text is None:
            no_rate.append(item)
            continue
        base, _, quote_currency = str(pair_text).partition("/")
        current = latest.get((base, quote_currency))
        drift = _drift(rate_text, current.rate if current else None)
        if current is None or drift is None or abs(drift) <= threshold_percent:
            continue
        flagged.append({**item, "stored_rate": rate_text, "stored_rate_date": rate_date,
                        "latest_rate": current.rate,
                        "latest_rate_date": current.rate_date.isoformat(),
                        "latest_rate_source": current.source,
                        "drift_percent": str(drift)})
    flagged.sort(key=lambda f: (-abs(Decimal(f["drift_percent"])), f["reference"]))
    no_rate.sort(key=lambda item: (item["quote_date"], item["reference"]))
    return {
        "threshold_percent": str(threshold_percent),
        "today": today.isoformat(),
        "definition": "(latest stored rate - rate stored with the quote) / rate stored "
                      "with the quote x 100",
        "checked": checked,
        "flagged_count": len(flagged),
        "flagged": flagged[:limit],
        "no_rate_count": len(no_rate),
        "no_rate": no_rate[:limit],
    }


def _drift(stored: str, latest: str | None) -> Decimal | None:
    try:
        before = Decimal(stored)
        if latest is None or before <= 0:
            return None
        return ((Decimal(latest) - before) / before * 100).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return None


def _latest_rates(session: Session) -> dict[tuple[str, str], ExchangeRate]:
    """The latest stored rate of every pair (one row per pair)."""
    newest = (select(ExchangeRate.base_currency, ExchangeRate.quote_currency,
                     func.max(ExchangeRate.rate_date).label("rate_date"))
              .group_by(ExchangeRate.base_currency, ExchangeRate.quote_currency).subquery())
    rows = session.scalars(select(ExchangeRate).join(
        newest, (newest.c.base_currency == ExchangeRate.base_currency)
        & (newest.c.quote_currency == ExchangeRate.quote_currency)
        & (newest.c.rate_date == ExchangeRate.rate_date)))
    return {(r.base_currency, r.quote_currency): r for r in rows}
