"""Finance API benchmark: 100,000 quotes in SQLite and in PostgreSQL, timed
through the whole Flask stack (bearer token check, audit record, JSON).

    .venv/bin/python benchmarks/bench_api.py                   # 100,000 quotes per database
    .venv/bin/python benchmarks/bench_api.py --quotes 10000    # a quick look

Quotes are priced for real (a pool of requests per market through the pricing
core) and bulk-inserted, spread over 2025-2026, seven markets and every status.
Prints median and p95 for a first page, a deep page reached by cursor, a
filtered page and the summary; then the time and peak Python memory to export
every quote as CSV (and a tenth of them, to show memory stays flat), beside the
database's own raw export of the same rows as the floor: PostgreSQL's
`COPY (...) TO STDOUT` and, for SQLite, the bare sqlite3 cursor into csv.writer.

Targets: pages <= 30 ms median, the summary <= 100 ms median, full export within
10x of the floor, memory flat. The machine's load average is printed beside the
figures (taken while other work runs, they are noisy).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_store import summary_totals  # noqa: E402

from quoting import api_tokens  # noqa: E402
from quoting.rules import load_rulebook  # noqa: E402
from quoting.scope import parse_request  # noqa: E402
from quoting.service_pricing import price_request  # noqa: E402
from quoting.services import history as quote_history  # noqa: E402
from quoting.services.history import QuoteQuery, SortKey  # noqa: E402
from quoting.store import migrate, pgadmin  # noqa: E402
from quoting.store.db import make_engine  # noqa: E402
from quoting.store.models import (  # noqa: E402
    Client,
    ExchangeRate,
    Quote,
    QuoteRevision,
    User,
    fold_for_search,
    month_number,
)
from quoting.web import create_app  # noqa: E402

MARKETS = ("AR", "MX", "EC", "CO", "CL", "PE", "ES")
FIRST_DAY, LAST_DAY = date(2025, 1, 2), date(2026, 12, 20)
STATUSES = (["draft"] * 3 + ["sent"] * 3 + ["accepted"] * 2
            + ["declined", "expired", "withdrawn", "pending_approval"])
SENT = {"sent", "accepted", "declined", "expired"}
INSERT_BATCH = 5000


# ---------------------------------------------------------------- loading


def priced_pool(rng: random.Random, per_market: int) -> dict[str, list[dict[str, Any]]]:
    rulebook = load_rulebook()
    pool: dict[str, list[dict[str, Any]]] = {}
    span = (LAST_DAY - FIRST_DAY).days
    for market in MARKETS:
        base = json.loads((ROOT / "examples" / f"{market.lower()}.json").read_text())
        pool[market] = []
        for _ in range(per_market):
            request = dict(base, date=(FIRST_DAY + timedelta(days=rng.randrange(span)))
                           .isoformat())
            request["participants"] = {"technical": rng.randint(0, 30),
                                       "business": rng.randint(1, 60),
                                       "leadership": rng.randint(0, 10)}
            request["duration_weeks"] = rng.randint(4, 16)
            request["cases"] = rng.randint(2, 4)
            request["discount_percent"] = str(rng.choice([0, 0, 5, 8]))
            parsed = parse_request(request)
            priced = price_request(parsed, rulebook, parsed.date or FIRST_DAY)
            pool[market].append({"request": parsed.model_dump(mode="json"), "priced": priced})
    return pool


def load(engine: Engine, count: int, rng: random.Random) -> float:
    started = time.perf_counter()
    pool = priced_pool(rng, 40)
    now = datetime(2026, 11, 25, tzinfo=UTC)
    with Session(engine) as session:
        owners = [User(email=f"owner{i}@example.com", name=f"Owner {i}", role="sales",
                       password_hash="!") for i in range(10)]
        admin = User(email="admin@example.com", name="Admin", role="admin", password_hash="!")
        finance = User(email="finance@example.com", name="Finance", role="finance",
                       password_hash="!")
        session.add_all([*owners, admin, finance])
        session.flush()
        owner_ids = [o.id for o in owners]
        clients: dict[str, list[tuple[int, str]]] = {}
        for market in MARKETS:
            rows = [Client(country=market, tax_id=f"BENCH{market}{n:05d}", legal_name=name,
                           name_folded=fold_for_search(name), created_at=now)
                    for n, name in enumerate(client_names(rng, market, CLIENTS_PER_MARKET))]
            session.add_all(rows)
            session.flush()
            clients[market] = [(c.id, c.legal_name) for c in rows]
        for currency in ("ARS", "MXN", "COP", "CLP", "PEN", "EUR"):
            day = FIRST_DAY
            while day <= LAST_DAY:
                session.add(ExchangeRate(base_currency="USD", quote_currency=currency,
                                         rate_date=day, rate=str(rng.randint(1, 4000)),
                                         source="bench"))
                day += timedelta(days=30)
        session.commit()
    sequences: dict[tuple[str, int], int] = {}
    span = (LAST_DAY - FIRST_DAY).days
    quotes: list[dict[str, Any]] = []
    revisions: list[dict[str, Any]] = []

    def flush() -> None:
        with engine.begin() as connection:
            connection.execute(insert(Quote), quotes)
            connection.execute(insert(QuoteRevision), revisions)
        quotes.clear()
        revisions.clear()

    for ident in range(1, count + 1):
        market = MARKETS[ident % len(MARKETS)]
        template = rng.choice(pool[market])
        priced = template["priced"]
        day = FIRST_DAY + timedelta(days=rng.randrange(span))
        created = datetime(day.year, day.month, day.day, 12, tzinfo=UTC) + timedelta(
            seconds=rng.randrange(36000))
        status = rng.choice(STATUSES)
        sent_at = created + timedelta(hours=rng.randint(1, 48)) if status in SENT else None
        key = (market, day.year)
        sequences[key] = sequences.get(key, 0) + 1
        valid_until = day + timedelta(days=30)
        client_id, client_name = rng.choice(clients[market])
        totals = summary_totals(priced)
        quotes.append({
            "id": ident, "number": f"{market}-{day.year}-{sequences[key]:05d}",
            "market": market, "year": day.year, "sequence": sequences[key],
            "client_id": client_id, "owner_id": rng.choice(owner_ids),
            "status": status, "current_revision": 1, "quote_date": day,
            "quote_month": month_number(day), "valid_until": valid_until,
            "client_name": client_name, "client_name_folded": fold_for_search(client_name),
            "created_at": created, "updated_at": sent_at or created, **totals,
            "discount_percent": str(template["request"].get("discount_percent", "0")),
        })
        request = dict(template["request"], date=day.isoformat())
        revisions.append({
            "quote_id": ident, "revision": 1, "request": request,
            "priced": priced.to_dict(), "rules_version": priced.rules_version,
            "exchange_rates": [], "language": priced.language, "quote_date": day,
            "valid_until": valid_until, "requires_approval": priced.requires_approval,
            "author_id": owner_ids[0], "created_at": created, "sent_at": sent_at, **totals,
        })
        if len(quotes) == INSERT_BATCH:
            flush()
    if quotes:
        flush()
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text(
                "SELECT setval('quotes_id_seq', (SELECT max(id) FROM quotes))"))
    settle(engine)
    return time.perf_counter() - started


def settle(engine: Engine) -> None:
    """What the database does on its own soon after a bulk load: statistics for the
    planner and, on PostgreSQL, the vacuum that marks the new rows all-visible
    (autovacuum runs it after that many inserts), which index-only scans rely on."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM (ANALYZE)"))
    else:
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))


SURNAMES = ("Peña", "Muñoz", "González", "Álvarez", "Ñandú", "Rodríguez", "Hernández",
            "López", "Díaz", "Pérez", "Sánchez", "Romero", "Suárez", "Castro", "Ortega",
            "Rubio", "Molina", "Delgado", "Morales", "Ortiz", "Gutiérrez", "Navarro", "Ramos",
            "Serrano", "Blanco", "Iglesias", "Medina", "Garrido", "Cortés", "Santos",
            "Lozano", "Guerrero", "Cano", "Prieto", "Méndez", "Cruz", "Calvo", "Vidal",
            "León", "Márquez", "Herrera", "Aguilar", "Figueroa", "Valdés", "Carrasco")
TRADES = ("Logística", "Minería", "Agroindustrias", "Consultores", "Construcciones",
          "Textiles", "Farmacéutica", "Energía", "Alimentos", "Transportes", "Seguros",
          "Inmobiliaria", "Tecnología", "Servicios Financieros", "Comercial", "Ingeniería",
          "Distribuidora", "Laboratorios", "Pesquera", "Automotriz")
LEGAL_FORMS = {"AR": "S.A.", "MX": "S.A. de C.V.", "EC": "Cía. Ltda.", "CO": "S.A.S.",
               "CL": "SpA", "PE": "S.A.C.", "ES": "S.L."}
CLIENTS_PER_MARKET = 300


def client_names(rng: random.Random, market: str, count: int) -> list[str]:
    """Distinct, plausible legal names (accented, as typed), e.g. "Peña Logística S.A."."""
    names = [f"{surname} {trade} {LEGAL_FORMS[market]}"
             for surname in SURNAMES for trade in TRADES]
    return rng.sample(names, count)


# ---------------------------------------------------------------- measuring


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def timed(call: Callable[[], Any], samples: int) -> tuple[float, float]:
    call()  # warm up
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000, percentile(times, 0.95) * 1000


def export_all(client: Any, headers: dict[str, str], query: str = "") -> tuple[int, int]:
    response = client.get(f"/api/v1/exports/quotes.csv{query}", headers=headers,
                          buffered=False)
    assert response.status_code == 200, response.status_code
    size = lines = 0
    for chunk in response.response:
        data = chunk if isinstance(chunk, bytes) else chunk.encode()
        size += len(data)
        lines += data.count(b"\n")
    response.close()
    return size, lines - 1


def floor_export(engine: Engine) -> tuple[float, int]:
    """The same rows and columns, exported by the database itself."""
    statement = quote_history._ordered(
        quote_history.apply_query(quote_history._rows(engine.dialect.name),
                             QuoteQuery()), SortKey.QUOTE_DATE_DESC, None)
    raw = engine.raw_connection()
    try:
        started = time.perf_counter()
        if engine.dialect.name == "postgresql":
            sql = str(statement.compile(dialect=postgresql.dialect(),
                                        compile_kwargs={"literal_binds": True}))
            size = 0
            cursor = raw.cursor()
            with cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER)") as copy:
                for block in copy:
                    size += len(block)
        else:
            sql = str(statement.compile(dialect=engine.dialect,
                                        compile_kwargs={"literal_binds": True}))
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            size = 0
            cursor = raw.cursor()
            cursor.execute(sql)
            while rows := cursor.fetchmany(5000):
                writer.writerows(rows)
                size += buffer.tell()
                buffer.seek(0)
                buffer.truncate()
        return time.perf_counter() - started, size
    finally:
        raw.close()


def measure(engine: Engine, rng: random.Random, samples: int, count: int) -> dict[str, Any]:
    app = create_app({"ENGINE": engine, "SECRET_KEY": "bench", "API_RATE_LIMIT": 10**9})
    with Session(engine) as session:
        admin = session.query(User).filter_by(email="admin@example.com").one()
        token = api_tokens.create_token(session, admin, "finance@example.com", name="bench",
                                        scopes="quotes:read,reports:read", days=1).secret
        session.commit()
        deep_row = session.execute(text(
            "SELECT quote_date, id FROM quotes ORDER BY quote_date DESC, id DESC "
            f"LIMIT 1 OFFSET {int(count * 0.9)}")).one()
    deep_day = deep_row[0] if isinstance(deep_row[0], date) else date.fromisoformat(
        deep_row[0])
    deep_cursor = quote_history.encode_cursor(SortKey.QUOTE_DATE_DESC, deep_day, deep_row[1])
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}

    def get(path: str) -> Callable[[], Any]:
        def call() -> Any:
            response = client.get(path, headers=headers)
            assert response.status_code == 200, (path, response.get_json())
            return response
        return call

    filtered = [f"/api/v1/quotes?market={rng.choice(MARKETS)}&status={rng.choice(STATUSES)}"
                f"&created_from={FIRST_DAY + timedelta(days=rng.randrange(400))}"
                for _ in range(samples + 1)]
    cycle = iter(filtered)
    assert get(f"/api/v1/quotes?cursor={deep_cursor}")().get_json()["items"]
    result: dict[str, Any] = {
        "first page": timed(get("/api/v1/quotes"), samples),
        "deep page (cursor, 90%)": timed(get(f"/api/v1/quotes?cursor={deep_cursor}"), samples),
        "filtered page": timed(lambda: get(next(cycle))(), samples),
        "summary": timed(get("/api/v1/reports/summary"), max(5, samples // 10)),
        "summary in USD": timed(get("/api/v1/reports/summary?convert_to=USD"),
                                max(5, samples // 10)),
    }
    started = time.perf_counter()
    size, rows = export_all(client, headers)
    export_seconds = time.perf_counter() - started
    assert rows == count, (rows, count)
    tracemalloc.start()
    export_all(client, headers)
    _, peak_all = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    tenth = FIRST_DAY + timedelta(days=(LAST_DAY - FIRST_DAY).days * 9 // 10)
    _, tenth_rows = export_all(client, headers, f"?quote_date_from={tenth}")
    _, peak_tenth = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    floor_seconds, floor_size = floor_export(engine)
    result["export"] = {
        "rows": rows, "bytes": size, "seconds": export_seconds,
        "peak_mib_all": peak_all / 2**20, "peak_mib_tenth": peak_tenth / 2**20,
        "tenth_rows": tenth_rows, "floor_seconds": floor_seconds, "floor_bytes": floor_size,
    }
    return result


def run_one(name: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    print(f"{name}: loading {args.quotes} quotes ...", file=sys.stderr, flush=True)
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        rng = random.Random(args.seed)
        load_seconds = load(engine, args.quotes, rng)
        print(f"{name}: loaded in {load_seconds:.0f} s; measuring ...", file=sys.stderr,
              flush=True)
        load_before = machine_load()
        result = measure(engine, rng, args.samples, args.quotes)
        load_after = machine_load()
    finally:
        engine.dispose()
    return {"database": name, "load_seconds": load_seconds, "machine_load": (
        load_before, load_after), **result}


def machine_load() -> str:
    """The load averages (1, 5 and 15 minutes) beside the CPU count: figures taken
    while other work runs are noisy, and this says how noisy."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f} on {os.cpu_count()} CPUs"


def report(results: list[dict[str, Any]], args: argparse.Namespace) -> None:
    print(f"\nfinance API benchmark: {args.quotes} quotes per database, through the Flask "
          f"app (token check + audit record per call); {args.samples} samples per page kind")
    print(f"{'':<26}" + "".join(f"{r['database']:>24}" for r in results))
    print(f"{'ms, median / p95':<26}" + "".join(f"{'':>24}" for _ in results))
    for kind in ("first page", "deep page (cursor, 90%)", "filtered page", "summary",
                 "summary in USD"):
        cells = "".join(f"{r[kind][0]:>14.1f} / {r[kind][1]:>6.1f}" for r in results)
        print(f"{kind:<26}{cells}")
    print("\nCSV export of every quote")
    for r in results:
        e = r["export"]
        floor = "COPY TO STDOUT" if r["database"] == "postgresql" else "sqlite3 + csv"
        print(f"  {r['database']}: {e['rows']} rows, {e['bytes'] / 2**20:.1f} MiB in "
              f"{e['seconds']:.2f} s; floor ({floor}) {e['floor_seconds']:.2f} s "
              f"-> {e['seconds'] / e['floor_seconds']:.1f}x the floor; peak Python memory "
              f"{e['peak_mib_all']:.1f} MiB for all rows, {e['peak_mib_tenth']:.1f} MiB for "
              f"{e['tenth_rows']} rows")
    print("targets: pages <= 30 ms median; summary <= 100 ms median; export <= 10x the "
          "floor; memory flat")
    print_loads(results, args.quotes)


def print_loads(results: list[dict[str, Any]], quotes: int) -> None:
    """Each database's load time and the machine load around its measurement."""
    for r in results:
        before, after = r["machine_load"]
        print(f"{r['database']}: {quotes} quotes loaded in {r['load_seconds']:.0f} s; "
              f"machine load average (1/5/15 min) {before} before measuring, {after} after")


def main() -> int:
    parser = database_arguments(__doc__, samples=200, what="requests timed per kind")
    args = parser.parse_args()
    report(on_each_database(parser, args, run_one, "bench_api"), args)
    return 0


def database_arguments(doc: str | None, *, samples: int,
                       what: str) -> argparse.ArgumentParser:
    """The options every store benchmark takes: --quotes, --samples, --databases, --seed."""
    parser = argparse.ArgumentParser(description=(doc or "").split("\n\n")[0])
    parser.add_argument("--quotes", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=samples, help=what)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--seed", type=int, default=2026)
    return parser


def on_each_database(parser: argparse.ArgumentParser, args: argparse.Namespace,
                     run: Callable[[str, str, argparse.Namespace], dict[str, Any]],
                     name: str) -> list[dict[str, Any]]:
    """`run` on a fresh database of each kind in --databases (a temporary SQLite file; a
    throwaway PostgreSQL database, dropped afterwards)."""
    results = []
    with tempfile.TemporaryDirectory(prefix=f"{name}-") as folder:
        for kind in args.databases.split(","):
            if kind == "sqlite":
                results.append(run(kind, f"sqlite:///{Path(folder) / 'bench.db'}", args))
            elif kind == "postgresql":
                url = pgadmin.create_database(prefix=f"quoting_{name}")
                try:
                    results.append(run(kind, url, args))
                finally:
                    pgadmin.drop_database(url)
            else:
                parser.error(f"unknown database {kind!r}; use sqlite and/or postgresql")
    return results


if __name__ == "__main__":
    sys.exit(main())
