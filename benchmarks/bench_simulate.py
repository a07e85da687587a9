"""Repricing simulation benchmark: N stored quotes of one market and quarter re-priced
under a candidate price list (quoting.services.simulation), on SQLite and PostgreSQL.

    .venv/bin/python benchmarks/bench_simulate.py                  # 100,000 quotes per database
    .venv/bin/python benchmarks/bench_simulate.py --quotes 2000 --databases sqlite  # a quick look

Quotes are priced for real (a pool of varied Mexican requests through the pricing
core) and bulk-inserted with their revision: every quote in the simulated quarter
(2026-07-01 to 2026-09-30), every status, a tenth with a second revision (the
current one is simulated), and a tenth as many quotes of other markets and dates
that the query must skip. The candidate is the shipped MX price list with every
figure raised 7% (a file that is not in force, written to a temporary folder).

Prints the median of --samples runs of the whole simulation (read, parse, price,
summarise), quotes per second, and the machine load around the measurement.
Target: 100,000 quotes in under 10 seconds on one core.
"""

from __future__ import annotations

import random
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, text
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_api import (  # noqa: E402
    database_arguments,
    machine_load,
    on_each_database,
    print_loads,
    settle,
)
from bench_store import summary_totals  # noqa: E402

from quoting.rules import Market, load_rulebook  # noqa: E402
from quoting.scope import parse_request  # noqa: E402
from quoting.service_pricing import price_request  # noqa: E402
from quoting.services import simulation  # noqa: E402
from quoting.store import migrate  # noqa: E402
from quoting.store.db import make_engine  # noqa: E402
from quoting.store.models import (  # noqa: E402
    Client,
    Quote,
    QuoteRevision,
    User,
    fold_for_search,
    month_number,
)

FIRST_DAY, LAST_DAY = date(2026, 7, 1), date(2026, 9, 30)
STATUSES = ("draft", "sent", "sent", "accepted", "accepted", "declined", "expired",
            "withdrawn", "pending_approval")
SENT = {"sent", "accepted", "declined", "expired"}
INSERT_BATCH = 5000
POOL = 200


def pool(rng: random.Random, market: str, day: date) -> list[dict[str, Any]]:
    """Varied requests of `market`, priced with the rules in force on `day`."""
    import json

    rulebook = load_rulebook()
    base = json.loads((ROOT / "examples" / f"{market.lower()}.json").read_text())
    found = []
    for _ in range(POOL):
        request = dict(base, date=day.isoformat())
        request["participants"] = {"technical": rng.randint(0, 30),
                                   "business": rng.randint(1, 60),
                                   "leadership": rng.randint(0, 10)}
        request["duration_weeks"] = rng.randint(4, 16)
        request["discovery_areas"] = rng.randint(1, 8)
        request["cases"] = rng.randint(2, 4)
        request["discount_percent"] = str(rng.choice([0, 0, 5, 8, 10, 12]))
        parsed = parse_request(request)
        priced = price_request(parsed, rulebook, day)
        found.append({"request": parsed.model_dump(mode="json"), "priced": priced})
    return found


def load(engine: Engine, count: int, rng: random.Random) -> float:
    started = time.perf_counter()
    in_period = pool(rng, "MX", FIRST_DAY)
    others = {m.value: pool(rng, m.value, FIRST_DAY) for m in (Market.AR, Market.ES)}
    now = datetime(2026, 10, 1, tzinfo=UTC)
    with Session(engine) as session:
        owner = User(email="owner@example.com", name="Owner", role="sales", password_hash="!")
        session.add(owner)
        clients = {market: Client(country=market, tax_id=f"BENCH{market}", legal_name=market,
                                  name_folded=fold_for_search(market), created_at=now)
                   for market in ("MX", "AR", "ES")}
        session.add_all(clients.values())
        session.commit()
        owner_id = owner.id
        client_ids = {market: client.id for market, client in clients.items()}
    span = (LAST_DAY - FIRST_DAY).days + 1
    quotes: list[dict[str, Any]] = []
    revisions: list[dict[str, Any]] = []

    def flush() -> None:
        with engine.begin() as connection:
            connection.execute(insert(Quote), quotes)
            connection.execute(insert(QuoteRevision), revisions)
        quotes.clear()
        revisions.clear()

    sequences: dict[tuple[str, int], int] = {}
    extra = max(1, count // 10)
    for ident in range(1, count + extra + 1):
        if ident <= count:
            market, template = "MX", rng.choice(in_period)
            day = FIRST_DAY + timedelta(days=rng.randrange(span))
        else:  # noise the query must skip: other markets, and MX outside the quarter
            market = rng.choice(["AR", "ES", "MX"])
            template = rng.choice(in_period if market == "MX" else others[market])
            day = (LAST_DAY + timedelta(days=rng.randint(1, 60)) if market == "MX"
                   else FIRST_DAY + timedelta(days=rng.randrange(span)))
        priced = template["priced"]
        status = rng.choice(STATUSES)
        created = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
        sent_at = created + timedelta(hours=2) if status in SENT else None
        key = (market, day.year)
        sequences[key] = sequences.get(key, 0) + 1
        valid_until = day + timedelta(days=30)
        revisions_here = 2 if ident % 10 == 0 else 1
        totals = summary_totals(priced)
        number = f"{market}-{day.year}-{sequences[key]:05d}" if status != "draft" else None
        quotes.append({
            "id": ident, "number": number, "market": market,
            "year": day.year if number else None,
            "sequence": sequences[key] if number else None,
            "client_id": client_ids[market], "owner_id": owner_id, "status": status,
            "current_revision": revisions_here, "quote_date": day,
            "quote_month": month_number(day), "valid_until": valid_until,
            "client_name": market, "client_name_folded": market.lower(),
            "created_at": created, "updated_at": sent_at or created, **totals,
            "discount_percent": str(template["request"].get("discount_percent", "0")),
        })
        request = dict(template["request"], date=day.isoformat())
        for revision in range(1, revisions_here + 1):
            revisions.append({
                "quote_id": ident, "revision": revision, "request": request,
                "priced": priced.to_dict(), "rules_version": priced.rules_version,
                "exchange_rates": [], "language": priced.language, "quote_date": day,
                "valid_until": valid_until, "requires_approval": priced.requires_approval,
                "author_id": owner_id, "created_at": created,
                "sent_at": sent_at if revision == revisions_here else created, **totals,
            })
        if len(quotes) >= INSERT_BATCH:
            flush()
    if quotes:
        flush()
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text(
                "SELECT setval('quotes_id_seq', (SELECT max(id) FROM quotes))"))
    settle(engine)
    return time.perf_counter() - started


def candidate_text() -> str:
    """The shipped MX price list with every quoted figure raised 7%, as a new version."""
    source = (ROOT / "pricing_rules" / "MX" / "MX-2025-01.toml").read_text(encoding="utf-8")
    raised = re.sub(
        r'^(\s*[a-z_]+\s*=\s*")([0-9]+\.[0-9]{2})(")',
        lambda m: m.group(1) + str((Decimal(m.group(2)) * Decimal("1.07")).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP)) + m.group(3),
        source, flags=re.MULTILINE)
    return re.sub(r'^version = "MX-2025-01"', 'version = "MX-2027-01"', raised,
                  flags=re.MULTILINE)


def run_one(name: str, url: str, args: Any) -> dict[str, Any]:
    print(f"{name}: loading {args.quotes} quotes ...", file=sys.stderr, flush=True)
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        rng = random.Random(args.seed)
        load_seconds = load(engine, args.quotes, rng)
        print(f"{name}: loaded in {load_seconds:.0f} s; measuring ...", file=sys.stderr,
              flush=True)
        with tempfile.TemporaryDirectory(prefix="bench_simulate-") as folder:
            path = Path(folder) / "MX-2027-01.toml"
            path.write_text(candidate_text(), encoding="utf-8")
            candidate = simulation.candidate_from_file(path)
        query = simulation.SimulationQuery(FIRST_DAY, LAST_DAY)
        before = machine_load()
        seconds = []
        report = None
        for _ in range(args.samples):
            started = time.perf_counter()
            with simulation.read_only_session(engine) as session:
                report = simulation.simulate(session, candidate, query)
                report.summary()
            seconds.append(time.perf_counter() - started)
        after = machine_load()
    finally:
        engine.dispose()
    assert report is not None
    return {"database": name, "load_seconds": load_seconds, "machine_load": (before, after),
            "median": statistics.median(seconds), "simulated": report.count,
            "priced": report.priced_count}


def main() -> int:
    parser = database_arguments(__doc__, samples=5, what="simulations timed")
    args = parser.parse_args()
    results = on_each_database(parser, args, run_one, "bench_simulate")
    print(f"\nrepricing simulation: {args.quotes} MX quotes in {FIRST_DAY}..{LAST_DAY} "
          f"(+ {max(1, args.quotes // 10)} outside the query), candidate MX-2027-01 "
          f"(+7%); median of {args.samples} runs")
    for r in results:
        rate = r["simulated"] / r["median"] if r["median"] else 0.0
        print(f"  {r['database']:<11} {r['median']:7.2f} s median  {rate:10,.0f} quotes/s  "
              f"({r['simulated']} simulated, {r['priced']} priced)")
    print("target: 100,000 quotes in under 10 s on one core")
    print_loads(results, args.quotes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
