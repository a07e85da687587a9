"""Quotes carry their current revision's currencies, totals and month (migration 0010):
finance's summary reads them there. Over random quotes taken through their lifecycle,
the columns stay equal to the current revision's, and the summary under random
filters equals a naive recomputation from each quote's current revision."""

from __future__ import annotations

import contextlib
import json
import random
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, selectinload

from quoting import services
from quoting.errors import QuoteInputError
from quoting.money import minor_units
from quoting.services.errors import ServiceError
from quoting.services.history import QuoteQuery
from quoting.store import migrate
from quoting.store.db import make_engine
from quoting.store.models import Quote, QuoteRevision, User, month_number
from tests.integration.conftest import example

MARKETS = ("ar", "mx", "ec", "co", "cl", "pe", "es")
FIRST_DAY = date(2025, 11, 3)
SPAN_DAYS = 420


# ---------------------------------------------------------------- random quotes


def _request(rng: random.Random, market: str, day: date) -> dict[str, Any]:
    return example(market, date=day.isoformat(),
                   participants={"technical": rng.randint(0, 20),
                                 "business": rng.randint(1, 40),
                                 "leadership": rng.randint(0, 6)},
                   duration_weeks=rng.randint(4, 12),
                   discount_percent=rng.choice(["0", "0", "5", "8", "30"]))


def _random_quotes(session: Session, rng: random.Random, owners: list[User],
                   approver: User, count: int) -> None:
    for _ in range(count):
        market = rng.choice(MARKETS)
        day = FIRST_DAY + timedelta(days=rng.randrange(SPAN_DAYS))
        now = datetime(day.year, day.month, day.day, 9, tzinfo=UTC) + timedelta(
            minutes=rng.randrange(600))
        owner = rng.choice(owners)
        quote = services.create_quote(session, _request(rng, market, day), owner, day, now=now)
        for _ in range(rng.randint(0, 4)):
            action = rng.choice(["send", "send", "revise", "revise", "approve", "accept",
                                 "accept", "decline", "withdraw", "delete"])
            later = now + timedelta(hours=rng.randint(1, 200))
            # A revision may move the quote to another day (and month).
            moved = day + timedelta(days=rng.randint(-40, 40))
            # A refused step (pending approval, wrong status) changes nothing.
            with contextlib.suppress(ServiceError, QuoteInputError):
                _step(session, action, quote.ref, owner, approver, day, later,
                      _request(rng, market, moved), moved)
    session.flush()


def _step(session: Session, action: str, ref: str, owner: User, approver: User, day: date,
          now: datetime, revised: dict[str, Any], revised_day: date) -> None:
    if action == "send":
        services.send_quote(session, ref, owner, day, now=now)
    elif action == "revise":
        services.revise_quote(session, ref, revised, owner, revised_day, now=now)
    elif action == "approve":
        services.approve_discount(session, ref, approver, "ok", now=now)
    elif action == "accept":
        services.accept_quote(session, ref, owner, day, now=now)
    elif action == "decline":
        services.decline_quote(session, ref, owner, now=now)
    elif action == "withdraw":
        services.withdraw_quote(session, ref, owner, now=now)
    else:
        services.delete_draft(session, ref, owner, now=now)


def _random_filters(rng: random.Random, quotes: list[Quote]) -> list[QuoteQuery]:
    def some_day() -> date:
        return FIRST_DAY + timedelta(days=rng.randrange(SPAN_DAYS))

    def some_moment() -> datetime:
        day = some_day()
        return datetime(day.year, day.month, day.day, rng.randrange(24), tzinfo=UTC)

    picked = rng.choice(quotes)
    revision = _current(picked)
    start, end = sorted([some_day(), some_day()])
    low, high = sorted([some_moment(), some_moment()])
    amount = revision.program_total
    return [
        QuoteQuery(),
        QuoteQuery(market=picked.market),
        QuoteQuery(status=picked.status),
        QuoteQuery(status="deleted"),
        QuoteQuery(currency=revision.program_currency),
        QuoteQuery(owner_email=picked.owner.email.upper()),
        QuoteQuery(client_tax_id=picked.client.tax_id),
        QuoteQuery(market=picked.market, status=picked.status, owner_email=picked.owner.email),
        QuoteQuery(quote_date_from=start, quote_date_to=end),
        QuoteQuery(quote_date_from=start),
        QuoteQuery(created_from=low, created_to=high),
        QuoteQuery(sent_from=low),
        QuoteQuery(sent_to=high, market=picked.market),
        QuoteQuery(currency=revision.program_currency, amount_min=amount / 2,
                   amount_max=amount * Decimal("1.5")),
        QuoteQuery(currency=revision.program_currency, amount_min=amount),
    ]


# ---------------------------------------------------------------- the naive summary


def _current(quote: Quote) -> QuoteRevision:
    return next(r for r in quote.revisions if r.revision == quote.current_revision)


def _matches(quote: Quote, query: QuoteQuery) -> bool:
    revision = _current(quote)
    checks = [
        quote.status == "deleted" if query.status == "deleted" else quote.status != "deleted",
        not query.market or quote.market == query.market,
        not query.status or quote.status == query.status,
        not query.currency or revision.program_currency == query.currency,
        not query.client_tax_id or quote.client.tax_id == query.client_tax_id,
        not query.owner_email or quote.owner.email == query.owner_email.strip().lower(),
        not query.created_from or quote.created_at >= query.created_from,
        not query.created_to or quote.created_at <= query.created_to,
        not query.sent_from or (revision.sent_at is not None
                                and revision.sent_at >= query.sent_from),
        not query.sent_to or (revision.sent_at is not None
                              and revision.sent_at <= query.sent_to),
        not query.quote_date_from or revision.quote_date >= query.quote_date_from,
        not query.quote_date_to or revision.quote_date <= query.quote_date_to,
        query.amount_min is None or revision.program_total >= query.amount_min,
        query.amount_max is None or revision.program_total <= query.amount_max,
    ]
    return all(checks)


def _money(amounts: dict[str, Decimal], *, drop_zeros: bool) -> list[dict[str, str]]:
    rounded = {code: amount.quantize(Decimal(1).scaleb(-minor_units(code)),
                                     rounding=ROUND_HALF_UP)
               for code, amount in amounts.items()}
    return [{"currency": code, "amount": str(rounded[code])} for code in sorted(rounded)
            if not (drop_zeros and amounts[code] == 0)]


def _naive_summary(quotes: list[Quote], query: QuoteQuery) -> dict[str, Any]:
    """Every matching quote, one by one, from its current revision."""
    def bucket() -> dict[str, Any]:
        return {"count": 0, "program": defaultdict(Decimal), "licenses": defaultdict(Decimal)}

    overall = bucket()
    dimensions: dict[str, dict[str, dict[str, Any]]] = {
        name: defaultdict(bucket) for name in ("by_market", "by_currency", "by_status",
                                               "by_month")}
    for quote in quotes:
        if not _matches(quote, query):
            continue
        revision = _current(quote)
        month = f"{revision.quote_date.year:04d}-{revision.quote_date.month:02d}"
        program = (revision.program_currency, revision.program_total)
        licenses = (revision.license_currency, revision.license_total)
        for place in (overall, dimensions["by_market"][quote.market],
                      dimensions["by_status"][quote.status], dimensions["by_month"][month]):
            place["count"] += 1
            place["program"][program[0]] += program[1]
            place["licenses"][licenses[0]] += licenses[1]
        # By currency: counted once under the program's currency; the licenses' total
        # goes under theirs.
        dimensions["by_currency"][program[0]]["count"] += 1
        dimensions["by_currency"][program[0]]["program"][program[0]] += program[1]
        dimensions["by_currency"][licenses[0]]["licenses"][licenses[0]] += licenses[1]
    result: dict[str, Any] = {
        "count": overall["count"],
        "program_totals": _money(overall["program"], drop_zeros=False),
        "license_totals": _money(overall["licenses"], drop_zeros=False),
    }
    for name, buckets in dimensions.items():
        result[name] = [{"key": key, "count": buckets[key]["count"],
                         "program_totals": _money(buckets[key]["program"], drop_zeros=True),
                         "license_totals": _money(buckets[key]["licenses"], drop_zeros=True)}
                        for key in sorted(buckets)]
    result["converted"] = None
    return result


# ---------------------------------------------------------------- the tests


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_summary_equals_a_naive_recomputation_over_random_quotes_and_filters(
        session: Session, make_user: Callable[..., User], seed: int) -> None:
    rng = random.Random(seed)
    owners = [make_user("sales") for _ in range(3)]
    _random_quotes(session, rng, owners, make_user("finance"), count=24)
    quotes = list(session.scalars(select(Quote).options(
        selectinload(Quote.revisions), selectinload(Quote.client),
        selectinload(Quote.owner))).all())
    assert len({q.status for q in quotes}) >= 3  # the lifecycle was walked

    for query in _random_filters(rng, quotes):
        assert services.reports.summary(session, query) == _naive_summary(quotes, query), query


@pytest.mark.parametrize("seed", [4, 5])
def test_a_quote_carries_its_current_revisions_currencies_totals_and_month(
        session: Session, make_user: Callable[..., User], seed: int) -> None:
    rng = random.Random(seed)
    _random_quotes(session, rng, [make_user("sales")], make_user("finance"), count=15)
    session.expire_all()
    quotes = session.scalars(select(Quote).options(selectinload(Quote.revisions))).all()
    assert any(q.current_revision > 1 for q in quotes)
    for quote in quotes:
        revision = _current(quote)
        assert (quote.program_currency, quote.program_total_minor, quote.license_currency,
                quote.license_total_minor, quote.quote_date, quote.quote_month) == (
            revision.program_currency, revision.program_total_minor,
            revision.license_currency, revision.license_total_minor, revision.quote_date,
            month_number(revision.quote_date)), quote.ref


def test_migration_0010_fills_the_columns_from_each_current_revision_and_goes_back(
        fresh_database_url: str) -> None:
    engine: Engine = make_engine(fresh_database_url)
    try:
        migrate.upgrade(engine, "0009")
        now = "2026-11-20 12:00:00"
        request = json.dumps({"client": {"name": "Peña Ñandú S.A."}})
        revision_columns = (
            "INSERT INTO quote_revisions (quote_id, revision, request, priced, rules_version, "
            "exchange_rates, language, quote_date, valid_until, requires_approval, "
            "program_currency, program_total_minor, license_currency, license_total_minor, "
            "author_id, created_at) VALUES ")
        statements = [
            "INSERT INTO users (id, email, name, role, password_hash, active, created_at, "
            f"language) VALUES (1, 'ana@example.com', 'Ana', 'sales', '!', true, '{now}', 'es')",
            "INSERT INTO clients (id, country, tax_id, legal_name, name_folded, created_at) "
            f"VALUES (1, 'AR', '20267565393', 'Peña Ñandú S.A.', 'pena nandu s.a.', '{now}')",
            # Revised once, into December: the second revision is the current one.
            "INSERT INTO quotes (id, number, market, year, sequence, client_id, owner_id, "
            "status, current_revision, quote_date, valid_until, created_at, updated_at, "
            "client_name, client_name_folded) VALUES (1, NULL, 'AR', NULL, NULL, 1, 1, "
            f"'draft', 2, '2026-12-02', '2027-01-01', '{now}', '{now}', 'Peña Ñandú S.A.', "
            "'pena nandu s.a.')",
            revision_columns + f"(1, 1, '{request}', '{{}}', 'AR-2025-01', '[]', 'es', "
            "'2026-11-20', '2026-12-20', false, 'ARS', 100, 'USD', 7, 1, "
            f"'{now}')",
            revision_columns + f"(1, 2, '{request}', '{{}}', 'AR-2025-01', '[]', 'es', "
            "'2026-12-02', '2027-01-01', false, 'ARS', 250, 'EUR', 0, 1, "
            f"'{now}')",
        ]
        with engine.begin() as connection:
            for statement in statements:
                connection.exec_driver_sql(statement)

        migrate.upgrade(engine)

        with engine.connect() as connection:
            row = connection.exec_driver_sql(
                "SELECT program_currency, program_total_minor, license_currency, "
                "license_total_minor, quote_month FROM quotes WHERE id = 1").one()
        assert tuple(row) == ("ARS", 250, "EUR", 0, 202612)
        with Session(engine) as session:
            summary = services.reports.summary(session, QuoteQuery())
        assert [b["key"] for b in summary["by_month"]] == ["2026-12"]
        assert summary["program_totals"] == [{"currency": "ARS", "amount": "2.50"}]

        migrate.downgrade(engine, "0009")
        with engine.connect() as connection:
            assert connection.exec_driver_sql(
                "SELECT current_revision, client_name FROM quotes").one() == (2, "Peña Ñandú S.A.")
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == migrate.head_revision()
    finally:
        engine.dispose()
