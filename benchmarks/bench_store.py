"""Store benchmark: load quotes into SQLite and PostgreSQL side by side, then
time the reads the web and the finance API make.

    .venv/bin/python benchmarks/bench_store.py                  # 100,000 quotes per database
    .venv/bin/python benchmarks/bench_store.py --quotes 10000   # a quick look

Each database is created fresh (a temporary SQLite file; a throwaway database on
PG_SERVER_URL, dropped afterwards) and migrated with Alembic. Quotes are spread
over the seven markets and the years 2025 and 2026, each one priced for real;
every tenth is sent and revised, so some quotes have two revisions.

Loading happens in two parts, each with its own rate:
- the first --service-quotes go through quoting.services one by one (numbering,
  client lookup, rate lookup, audit event: what a salesperson's click costs);
- the rest are priced the same way and written with batched INSERTs (what a
  migration or an import of history costs), so 100,000 rows load in minutes.
Then it prints the median time to fetch one quote with its revisions and to
list a page of 50 by market and a 90-day date range.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select, text
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from quoting import services  # noqa: E402
from quoting.priced import PricedQuote  # noqa: E402
from quoting.scope import QuoteRequest, parse_request  # noqa: E402
from quoting.service_pricing import price_request  # noqa: E402
from quoting.store import migrate, pgadmin  # noqa: E402
from quoting.store.db import make_engine  # noqa: E402
from quoting.store.models import (  # noqa: E402
    AuditEvent,
    Client,
    Quote,
    QuoteCounter,
    QuoteRevision,
    User,
    fold_for_search,
    month_number,
    to_minor,
)

MARKETS = ("ar", "mx", "ec", "co", "cl", "pe", "es")
FIRST_DAY, LAST_DAY = date(2025, 1, 2), date(2026, 12, 20)
REVISE_EVERY = 10


@dataclass
class Result:
    database: str
    quotes: int
    revisions: int
    service_quotes: int
    service_seconds: float
    bulk_quotes: int
    bulk_seconds: float
    fetch_ms: float
    list_ms: float

    @property
    def service_rate(self) -> float:
        return self.service_quotes / self.service_seconds if self.service_seconds else 0.0

    @property
    def bulk_rate(self) -> float:
        return self.bulk_quotes / self.bulk_seconds if self.bulk_seconds else 0.0

    @property
    def load_seconds(self) -> float:
        return self.service_seconds + self.bulk_seconds

    @property
    def rate(self) -> float:
        return self.quotes / self.load_seconds


def requests(rng: random.Random) -> list[dict[str, Any]]:
    base = {m: json.loads((ROOT / "examples" / f"{m}.json").read_text()) for m in MARKETS}
    span = (LAST_DAY - FIRST_DAY).days
    made = []
    for market in MARKETS:
        for _ in range(60):
            request = dict(base[market])
            day = FIRST_DAY + timedelta(days=rng.randrange(span))
            request["date"] = day.isoformat()
            request["participants"] = {"technical": rng.randint(0, 30),
                                       "business": rng.randint(1, 60),
                                       "leadership": rng.randint(0, 10)}
            request["duration_weeks"] = rng.randint(4, 16)
            request["cases"] = rng.randint(2, 4)
            request["discount_percent"] = str(rng.choice([0, 0, 5, 8, 10]))
            made.append(request)
    return made


def load_through_services(engine: Engine, count: int, batch: int, rng: random.Random,
                          pool: list[dict[str, Any]]) -> tuple[float, int, int]:
    """Create quotes one by one with quoting.services; returns seconds, revisions, author id."""
    with Session(engine) as session:
        author = services.create_user(session, "bench@example.com", "Bench", "sales",
                                      "benchmark-password")
        session.commit()
        author_id = author.id
    revisions = 0
    started = time.perf_counter()
    done = 0
    while done < count:
        with Session(engine) as session:
            author = session.get_one(User, author_id)
            for _ in range(min(batch, count - done)):
                request = rng.choice(pool)
                day = date.fromisoformat(request["date"])
                now = datetime.combine(day, day_time(12), tzinfo=UTC)
                quote = services.create_quote(session, request, author, day, now=now)
                revisions += 1
                done += 1
                if done % REVISE_EVERY == 0:
                    services.send_quote(session, quote.ref, author, day, now=now)
                    changed = dict(request, duration_weeks=request["duration_weeks"] + 1)
                    services.revise_quote(session, quote.ref, changed, author, day,
                                          now=now + timedelta(hours=1))
                    revisions += 1
            session.commit()
    return time.perf_counter() - started, revisions, author_id


def _rates_entry(priced: PricedQuote) -> list[dict[str, Any]]:
    base, target = priced.licenses.currency, priced.program.currency
    if base == target or not priced.licenses.lines:
        return []
    # The benchmark imports no rates, so every conversion is recorded as missing.
    return [{"pair": f"{base}/{target}", "base": base, "quote": target, "rate": None,
             "source": None, "date": None, "missing": True}]


def _revision_row(quote_id: int, number: int, request: QuoteRequest, priced: PricedQuote,
                  author_id: int, now: datetime, sent_at: datetime | None) -> dict[str, Any]:
    return {
        "quote_id": quote_id, "revision": number, "request": request.model_dump(mode="json"),
        "priced": priced.to_dict(), "rules_version": priced.rules_version,
        "exchange_rates": _rates_entry(priced), "language": priced.language,
        "quote_date": priced.quote_date, "valid_until": priced.valid_until,
        "requires_approval": priced.requires_approval, **summary_totals(priced),
        "author_id": author_id, "created_at": now, "sent_at": sent_at, "pdf_sha256": None,
    }


def summary_totals(priced: PricedQuote) -> dict[str, Any]:
    """Currencies and totals in minor units: a revision's, and its quote's while current."""
    return {
        "program_currency": priced.program.currency,
        "program_total_minor": to_minor(priced.program.total.amount, priced.program.currency),
        "license_currency": priced.licenses.currency,
        "license_total_minor": to_minor(priced.licenses.total.amount, priced.licenses.currency),
    }


def load_in_batches(engine: Engine, count: int, batch: int, rng: random.Random,
                    pool: list[dict[str, Any]], author_id: int) -> tuple[float, int]:
    """Price each quote for real and write quotes, revisions and audit events with
    batched INSERTs, numbering from the same per-market counters."""
    rulebook = services.default_rulebook()
    parsed = [parse_request(request) for request in pool]
    with Session(engine) as session:
        clients = {(c.country, c.tax_id): c.id for c in session.scalars(select(Client))}
        for request in parsed:
            key = (request.market.value, request.client.tax_id)
            if key not in clients:
                client = Client(country=key[0], tax_id=key[1], legal_name=request.client.name,
                                name_folded=fold_for_search(request.client.name))
                session.add(client)
                session.flush()
                clients[key] = client.id
        counters = {(c.market, c.year): c.last_sequence
                    for c in session.scalars(select(QuoteCounter))}
        session.commit()
    quotes_table = Quote.__table__
    revisions = 0
    started = time.perf_counter()
    done = 0
    while done < count:
        size = min(batch, count - done)
        picked = [rng.choice(parsed) for _ in range(size)]
        priced_list = [price_request(request, rulebook, request.date or FIRST_DAY)
                       for request in picked]
        quote_rows = []
        for request, priced in zip(picked, priced_list, strict=True):
            market, year = priced.market, priced.quote_date.year
            sequence = counters.get((market, year), 0) + 1
            counters[(market, year)] = sequence
            now = datetime.combine(priced.quote_date, day_time(12), tzinfo=UTC)
            quote_rows.append({
                "number": services.format_number(market, year, sequence), "market": market,
                "year": year, "sequence": sequence,
                "client_id": clients[(market, request.client.tax_id)], "owner_id": author_id,
                "status": "draft", "current_revision": 1, "quote_date": priced.quote_date,
                "valid_until": priced.valid_until, "created_at": now, "updated_at": now,
                "client_name": request.client.name,
                "client_name_folded": fold_for_search(request.client.name),
                # The current revision's (every revision of a quote here is priced alike).
                "quote_month": month_number(priced.quote_date), **summary_totals(priced),
                "discount_percent": str(request.discount_percent),
            })
        for index in range(size):
            if (done + index + 1) % REVISE_EVERY == 0:
                quote_rows[index]["current_revision"] = 2
        with engine.begin() as connection:
            ids = connection.execute(
                insert(quotes_table).returning(quotes_table.c.id, sort_by_parameter_order=True),
                quote_rows,
            ).scalars().all()
            revision_rows, event_rows = [], []
            for quote_id, row, request, priced in zip(ids, quote_rows, picked, priced_list,
                                                      strict=True):
                now = row["created_at"]
                if row["current_revision"] == 1:
                    revision_rows.append(_revision_row(quote_id, 1, request, priced,
                                                       author_id, now, None))
                else:
                    revision_rows.append(_revision_row(quote_id, 1, request, priced,
                                                       author_id, now, now))
                    revision_rows.append(_revision_row(quote_id, 2, request, priced,
                                                       author_id, now, None))
                event_rows.append({"at": now, "actor_id": author_id, "actor": "bench",
                                   "action": "quote.create", "quote_id": quote_id,
                                   "revision": 1, "from_status": None, "to_status": "draft",
                                   "detail": {}})
            connection.execute(insert(QuoteRevision.__table__), revision_rows)
            connection.execute(insert(AuditEvent.__table__), event_rows)
            for (market, year), last in counters.items():
                connection.execute(
                    services.insert_for(connection.dialect.name)(QuoteCounter.__table__)
                    .values(market=market, year=year, last_sequence=last)
                    .on_conflict_do_update(index_elements=["market", "year"],
                                           set_={"last_sequence": last}))
        revisions += len(revision_rows)
        done += size
        if done % (batch * 20) == 0 or done == count:
            elapsed = time.perf_counter() - started
            print(f"  {engine.dialect.name}: {done:>7} quotes in batches, {done / elapsed:6.0f}/s",
                  file=sys.stderr, flush=True)
    return time.perf_counter() - started, revisions


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def measure_reads(engine: Engine, rng: random.Random, samples: int) -> tuple[float, float]:
    with Session(engine) as session:
        numbers = [row[0] for row in session.execute(
            text("SELECT number FROM quotes WHERE number IS NOT NULL"))]
    fetch_times = []
    for number in rng.sample(numbers, min(samples, len(numbers))):
        with Session(engine) as session:
            started = time.perf_counter()
            quote = services.get_quote(session, number)
            assert quote.revisions
            assert quote.revisions[-1].priced
            fetch_times.append(time.perf_counter() - started)
    list_times = []
    span = (LAST_DAY - FIRST_DAY).days - 90
    for _ in range(samples):
        start = FIRST_DAY + timedelta(days=rng.randrange(span))
        query = services.QuoteQuery(market=rng.choice(MARKETS).upper(), quote_date_from=start,
                                    quote_date_to=start + timedelta(days=90))
        with Session(engine) as session:
            started = time.perf_counter()
            page = services.list_history(session, query, limit=50)
            list_times.append(time.perf_counter() - started)
        assert len(page.items) <= 50
    return median_ms(fetch_times), median_ms(list_times)


def run_one(name: str, url: str, args: argparse.Namespace) -> Result:
    through_services = min(args.service_quotes, args.quotes)
    print(f"{name}: {through_services} quotes through the services, "
          f"{args.quotes - through_services} in batches ...", file=sys.stderr, flush=True)
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        rng = random.Random(args.seed)
        pool = requests(rng)
        service_seconds, service_revisions, author_id = load_through_services(
            engine, through_services, min(args.batch, 100), rng, pool)
        print(f"  {name}: {through_services} through the services, "
              f"{through_services / service_seconds:.0f}/s", file=sys.stderr, flush=True)
        bulk_seconds, bulk_revisions = load_in_batches(
            engine, args.quotes - through_services, args.batch, rng, pool, author_id)
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
        fetch_ms, list_ms = measure_reads(engine, rng, args.samples)
    finally:
        engine.dispose()
    return Result(name, args.quotes, service_revisions + bulk_revisions, through_services,
                  service_seconds, args.quotes - through_services, bulk_seconds, fetch_ms,
                  list_ms)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quotes", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=500, help="quotes per transaction")
    parser.add_argument("--service-quotes", type=int, default=2000,
                        help="how many of the quotes go through quoting.services one by one")
    parser.add_argument("--samples", type=int, default=300, help="reads timed per kind")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    results = []
    with tempfile.TemporaryDirectory(prefix="bench-store-") as folder:
        for name in args.databases.split(","):
            if name == "sqlite":
                results.append(run_one(name, f"sqlite:///{Path(folder) / 'bench.db'}", args))
            elif name == "postgresql":
                url = pgadmin.create_database(prefix="quoting_bench")
                try:
                    results.append(run_one(name, url, args))
                finally:
                    pgadmin.drop_database(url)
            else:
                parser.error(f"unknown database {name!r}; use sqlite and/or postgresql")

    print(f"\nstore benchmark: {args.quotes} quotes per database (7 markets, 2025-2026, "
          f"every {REVISE_EVERY}th sent and revised); medians of {args.samples} reads")
    print(f"{'database':<11} {'quotes':>7} {'revisions':>9} {'services/s':>10} "
          f"{'batched/s':>9} {'overall/s':>9} {'fetch 1 quote ms':>16} {'list 50 ms':>10}")
    for r in results:
        print(f"{r.database:<11} {r.quotes:>7} {r.revisions:>9} {r.service_rate:>10.0f} "
              f"{r.bulk_rate:>9.0f} {r.rate:>9.0f} {r.fetch_ms:>16.2f} {r.list_ms:>10.2f}")
    print("services/s: quote creation through quoting.services, one by one "
          f"(first {results[0].service_quotes if results else 0}); batched/s: priced the same "
          "way, written with batched INSERTs")
    if len(results) == 2:
        a, b = results
        print(f"ratio {b.database}/{a.database}: services rate "
              f"{b.service_rate / a.service_rate:.2f}x, batched rate "
              f"{b.bulk_rate / a.bulk_rate if a.bulk_rate else 0:.2f}x, fetch "
              f"{b.fetch_ms / a.fetch_ms:.2f}x, list {b.list_ms / a.list_ms:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
