"""Store benchmark: load quotes through the service layer into SQLite and
PostgreSQL side by side, then time the reads the web and the finance API make.

    .venv/bin/python benchmarks/bench_store.py                  # 100,000 quotes per database
    .venv/bin/python benchmarks/bench_store.py --quotes 10000   # a quick look

Each database is created fresh (a temporary SQLite file; a throwaway database on
PG_SERVER_URL, dropped afterwards) and migrated with Alembic. Quotes are spread
over the seven markets and the years 2025 and 2026, priced for real; every
tenth is sent and revised, so some quotes have two revisions. Prints the load
rate, and the median time to fetch one quote with its revisions and to list a
page of 50 by market and a 90-day date range.
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

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from quoting import services  # noqa: E402
from quoting.store import migrate, pgadmin  # noqa: E402
from quoting.store.db import make_engine  # noqa: E402

MARKETS = ("ar", "mx", "ec", "co", "cl", "pe", "es")
FIRST_DAY, LAST_DAY = date(2025, 1, 2), date(2026, 12, 20)
REVISE_EVERY = 10


@dataclass
class Result:
    database: str
    quotes: int
    revisions: int
    load_seconds: float
    fetch_ms: float
    list_ms: float

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


def load(engine: Engine, count: int, batch: int, rng: random.Random) -> tuple[float, int]:
    pool = requests(rng)
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
            author = session.get_one(services.User, author_id)
            for _ in range(min(batch, count - done)):
                request = rng.choice(pool)
                day = date.fromisoformat(request["date"])
                now = datetime.combine(day, day_time(12), tzinfo=UTC)
                quote = services.create_quote(session, request, author, day, now=now)
                revisions += 1
                done += 1
                if done % REVISE_EVERY == 0:
                    services.send_quote(session, quote.number, author, day, now=now)
                    changed = dict(request, duration_weeks=request["duration_weeks"] + 1)
                    services.revise_quote(session, quote.number, changed, author, day,
                                          now=now + timedelta(hours=1))
                    revisions += 1
            session.commit()
        if done % (batch * 20) == 0 or done == count:
            elapsed = time.perf_counter() - started
            print(f"  {engine.dialect.name}: {done:>7} quotes, {done / elapsed:7.0f}/s",
                  file=sys.stderr, flush=True)
    seconds = time.perf_counter() - started
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    return seconds, revisions


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def measure_reads(engine: Engine, rng: random.Random, samples: int) -> tuple[float, float]:
    with Session(engine) as session:
        numbers = [row[0] for row in session.execute(text("SELECT number FROM quotes"))]
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
        filters = services.QuoteFilter(market=rng.choice(MARKETS).upper(), date_from=start,
                                       date_to=start + timedelta(days=90))
        with Session(engine) as session:
            started = time.perf_counter()
            page = services.list_quotes(session, filters, limit=50)
            list_times.append(time.perf_counter() - started)
        assert len(page.items) <= 50
    return median_ms(fetch_times), median_ms(list_times)


def run_one(name: str, url: str, args: argparse.Namespace) -> Result:
    print(f"{name}: loading {args.quotes} quotes ...", file=sys.stderr, flush=True)
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        rng = random.Random(args.seed)
        seconds, revisions = load(engine, args.quotes, args.batch, rng)
        fetch_ms, list_ms = measure_reads(engine, rng, args.samples)
    finally:
        engine.dispose()
    return Result(name, args.quotes, revisions, seconds, fetch_ms, list_ms)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quotes", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=500, help="quotes per transaction")
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
          f"every {REVISE_EVERY}th sent and revised), {args.batch} quotes per transaction, "
          f"medians of {args.samples} reads")
    print(f"{'database':<11} {'quotes':>8} {'revisions':>9} {'load s':>8} {'quotes/s':>9} "
          f"{'fetch 1 quote ms':>17} {'list 50 ms':>11}")
    for r in results:
        print(f"{r.database:<11} {r.quotes:>8} {r.revisions:>9} {r.load_seconds:>8.1f} "
              f"{r.rate:>9.0f} {r.fetch_ms:>17.2f} {r.list_ms:>11.2f}")
    if len(results) == 2:
        a, b = results
        print(f"ratio {b.database}/{a.database}: load rate {b.rate / a.rate:.2f}x, "
              f"fetch {b.fetch_ms / a.fetch_ms:.2f}x, list {b.list_ms / a.list_ms:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
