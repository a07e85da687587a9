"""Desk list benchmark: the sales desk's list of quotes at 100,000 quotes, in SQLite
and in PostgreSQL.

    .venv/bin/python benchmarks/bench_desk_list.py                  # 100,000 quotes per database
    .venv/bin/python benchmarks/bench_desk_list.py --quotes 10000   # a quick look

Quotes are loaded as benchmarks/bench_api.py loads them (priced for real,
bulk-inserted, seven markets, every status, 300 clients per market with names
such as "Peña Logística S.A."). Then, for each kind of list, it times the list
as the desk asks the database for it (quoting.services.search_quotes: the count
of matches and one page of 20) and the whole desk page through Flask (signed in,
HTML rendered):

- first page: every quote, newest first;
- filtered page: one market and one status, picked at random each time;
- an owner's quotes (the "Mine" tab), one of ten owners at random;
- client-name search: a client's name as a user types it ("Peña Logística"),
  a different client each time; and a one-word search matching many quotes.

Prints the median and p95 of each, the median number of matches, how long the
load took and the machine's load average (figures taken while other work runs
are noisy). Target: <= 30 ms median on PostgreSQL for the first page, the
filtered page and the client-name search.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_api import (  # noqa: E402
    LEGAL_FORMS,
    MARKETS,
    STATUSES,
    SURNAMES,
    database_arguments,
    load,
    machine_load,
    on_each_database,
    percentile,
    print_loads,
)

from quoting import services  # noqa: E402
from quoting.services.history import QuoteQuery  # noqa: E402
from quoting.store import migrate  # noqa: E402
from quoting.store.db import make_engine  # noqa: E402
from quoting.store.models import Client, User  # noqa: E402
from quoting.web import create_app  # noqa: E402
from quoting.web.quotes import PER_PAGE  # noqa: E402

PASSWORD = "bench desk password"
KINDS = ("first page", "filtered page", "owner's quotes", "client-name search",
         "one-word search")


def typed_names(engine: Engine) -> list[str]:
    """Client names as a user would type them: without the legal form."""
    with Session(engine) as session:
        names = session.scalars(select(Client.legal_name)).all()
    typed = []
    for name in names:
        for form in LEGAL_FORMS.values():
            if name.endswith(" " + form):
                name = name[: -len(form) - 1]
                break
        typed.append(name)
    return typed


def arguments(rng: random.Random, names: list[str], owners: list[str]
              ) -> dict[str, Callable[[], dict[str, str]]]:
    """Per kind, a maker of the desk's query-string arguments (fresh at each call)."""
    return {
        "first page": lambda: {},
        "filtered page": lambda: {"market": rng.choice(MARKETS),
                                  "status": rng.choice(STATUSES)},
        "owner's quotes": lambda: {"owner": rng.choice(owners)},
        "client-name search": lambda: {"q": rng.choice(names)},
        "one-word search": lambda: {"q": rng.choice(SURNAMES)},
    }


def listed(session: Session, args: dict[str, str]) -> services.QuoteSearchPage:
    """What the desk's list view asks for (quoting.web.quotes.index)."""
    query = QuoteQuery(market=args.get("market"), status=args.get("status"),
                       owner_email=args.get("owner"))
    return services.search_quotes(session, query, args.get("q", ""), per_page=PER_PAGE)


def timed(call: Callable[[], Any], samples: int) -> tuple[float, float, list[Any]]:
    call()  # warm up
    times, results = [], []
    for _ in range(samples):
        started = time.perf_counter()
        results.append(call())
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000, percentile(times, 0.95) * 1000, results


def measure(engine: Engine, rng: random.Random, samples: int) -> dict[str, Any]:
    with Session(engine) as session:
        owners = list(session.scalars(select(User).where(User.role == "sales")
                                      .order_by(User.id)))
        owners[0].password_hash = services.users.password_hasher().hash(PASSWORD)
        owner_emails = [o.email for o in owners]
        session.commit()
    makers = arguments(rng, typed_names(engine), owner_emails)
    app = create_app({"ENGINE": engine, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    response = client.post("/login", data={"email": owner_emails[0], "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    result: dict[str, Any] = {}
    for kind in KINDS:
        make = makers[kind]

        def service(make: Callable[[], dict[str, str]] = make) -> int:
            with Session(engine) as session:
                return listed(session, make()).total

        def page(make: Callable[[], dict[str, str]] = make) -> int:
            response = client.get("/?" + urlencode(make()))
            assert response.status_code == 200, response.status_code
            return len(response.data)

        median, p95, totals = timed(service, samples)
        page_median, page_p95, _ = timed(page, samples)
        result[kind] = {"service": (median, p95), "page": (page_median, page_p95),
                        "matches": statistics.median(totals)}
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
        before = machine_load()
        result = measure(engine, rng, args.samples)
        after = machine_load()
    finally:
        engine.dispose()
    return {"database": name, "load_seconds": load_seconds, "machine_load": (before, after),
            **result}


def report(results: list[dict[str, Any]], args: argparse.Namespace) -> None:
    print(f"\ndesk list benchmark: {args.quotes} quotes per database; {args.samples} samples "
          f"per kind; pages of {PER_PAGE} with the count of matches")
    width = 34
    print(f"{'ms, median / p95':<22}" + "".join(
        f"{r['database'] + ' ' + part:>{width}}" for r in results
        for part in ("list call", "desk page")))
    for kind in KINDS:
        cells = "".join(
            f"{r[kind][part][0]:>{width - 10}.1f} / {r[kind][part][1]:>7.1f}"
            for r in results for part in ("service", "page"))
        print(f"{kind:<22}{cells}")
    print("matches (median): " + "; ".join(
        f"{r['database']}: " + ", ".join(f"{kind} {r[kind]['matches']:.0f}" for kind in KINDS)
        for r in results))
    print("list call: quoting.services.search_quotes (count + one page), as the desk asks the "
          "database; desk page: GET / through Flask, signed in, HTML rendered")
    print("target: first page, filtered page and client-name search <= 30 ms median on "
          "PostgreSQL")
    print_loads(results, args.quotes)


def main() -> int:
    parser = database_arguments(__doc__, samples=100, what="timed calls per kind")
    args = parser.parse_args()
    report(on_each_database(parser, args, run_one, "bench_desk"), args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
