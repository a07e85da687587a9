"""Pipeline dashboard benchmark: the figures of /dashboard and /api/v1/reports/pipeline
(quoting.services.pipeline) over N stored quotes, on SQLite and PostgreSQL.

    .venv/bin/python benchmarks/bench_pipeline.py                  # 100,000 quotes per database
    .venv/bin/python benchmarks/bench_pipeline.py --quotes 2000 --databases sqlite  # a quick look

The quotes are bench_simulate's (priced for real, every status, a tenth revised, a
tenth more of other markets). Prints the median of --samples runs of the whole
report, and, side by side in the same run, its discount distribution read two ways:
from the quotes table's `discount_percent` (what the report does) and from each
current revision's request JSON (what it did before migration 0012).
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
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
from bench_simulate import load  # noqa: E402

from quoting.services.pipeline import PipelineFilters, pipeline  # noqa: E402
from quoting.store import migrate  # noqa: E402
from quoting.store.db import make_engine  # noqa: E402
from quoting.store.models import Quote, QuoteRevision  # noqa: E402


def discounts_from_the_column(session: Session) -> dict[str, int]:
    statement = (select(Quote.discount_percent, func.count())
                 .where(Quote.status != "deleted").group_by(Quote.discount_percent))
    return {str(value): int(many) for value, many in session.execute(statement)}


def discounts_from_the_json(session: Session) -> dict[str, int]:
    written = QuoteRevision.request["discount_percent"].as_string()
    statement = (select(written, func.count()).select_from(Quote)
                 .join(QuoteRevision, (QuoteRevision.quote_id == Quote.id)
                       & (QuoteRevision.revision == Quote.current_revision))
                 .where(Quote.status != "deleted").group_by(written))
    return {str(value): int(many) for value, many in session.execute(statement)}


def _median_seconds(engine: Any, samples: int, work: Callable[[Session], Any]) -> float:
    seconds = []
    for _ in range(samples):
        with Session(engine) as session:
            started = time.perf_counter()
            work(session)
            seconds.append(time.perf_counter() - started)
    return statistics.median(seconds)


def run_one(name: str, url: str, args: Any) -> dict[str, Any]:
    print(f"{name}: loading {args.quotes} quotes ...", file=sys.stderr, flush=True)
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        load_seconds = load(engine, args.quotes, random.Random(args.seed))
        settle(engine)
        with Session(engine) as session:
            assert discounts_from_the_column(session) == discounts_from_the_json(session)
        before = machine_load()
        report = _median_seconds(engine, args.samples,
                                 lambda session: pipeline(session, PipelineFilters()))
        column = _median_seconds(engine, args.samples, discounts_from_the_column)
        json = _median_seconds(engine, args.samples, discounts_from_the_json)
        after = machine_load()
    finally:
        engine.dispose()
    return {"database": name, "load_seconds": load_seconds, "machine_load": (before, after),
            "report": report, "column": column, "json": json}


def main() -> int:
    parser = database_arguments(__doc__, samples=5, what="reports timed")
    args = parser.parse_args()
    results = on_each_database(parser, args, run_one, "bench_pipeline")
    print(f"\npipeline report over {args.quotes} quotes (+ {max(1, args.quotes // 10)} of "
          f"other markets); median of {args.samples} runs, ms")
    print(f"{'':<12}{'whole report':>14}{'discounts: column':>20}{'from JSON':>12}{'ratio':>8}")
    for r in results:
        print(f"{r['database']:<12}{r['report'] * 1000:14.0f}{r['column'] * 1000:20.1f}"
              f"{r['json'] * 1000:12.1f}{r['json'] / r['column']:7.1f}x")
    print_loads(results, args.quotes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
