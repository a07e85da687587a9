"""Load, measured: the locust scenario (benchmarks/load/locustfile.py) against
gunicorn + an RQ worker + PostgreSQL + Redis on this machine, first with one
gunicorn worker, then with two, in the same run.

    .venv/bin/python benchmarks/bench_load.py                       # 10,000 quotes, 60 s each
    .venv/bin/python benchmarks/bench_load.py --quotes 2000 --seconds 20   # a quick look

Everything listens on 127.0.0.1 only: a throwaway PostgreSQL database on
PG_SERVER_URL (dropped afterwards), a redis-server of its own on a free port, the
app on a free port. Prints, per request type and per gunicorn size, throughput,
p50/p95/p99 and errors, the desk list's p99 against its 150 ms target, and the
machine load. Run it alone: locust itself shares the two cores.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_store import load_in_batches, requests  # noqa: E402

from quoting import api_tokens, services  # noqa: E402
from quoting.store import migrate, pgadmin  # noqa: E402
from quoting.store.db import make_engine  # noqa: E402
from quoting.store.models import Quote, QuoteStatus  # noqa: E402
from tests.web.conftest import form_data  # noqa: E402

BIN = Path(sys.executable).parent
PG_SERVER_URL = os.environ.get("PG_SERVER_URL",
                               "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PASSWORD = "load-test-password"
SALESPEOPLE = 4
LINKS = 20
DESK_LIST_P99_TARGET_MS = 150


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status < 500:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {seconds:.0f} s")


def prepare(url: str, quotes: int, folder: Path) -> Path:
    """Migrate, load the quotes, make users, a finance token and client links; write
    what the locust users need to a JSON file."""
    engine = make_engine(url)
    migrate.upgrade(engine)
    rng = random.Random(7)
    with Session(engine, expire_on_commit=False) as session:
        sales = [services.create_user(session, f"sales{n}@example.com", f"Sales {n}", "sales",
                                      PASSWORD) for n in range(SALESPEOPLE)]
        admin = services.create_user(session, "admin@example.com", "Admin", "admin", PASSWORD)
        services.create_user(session, "finance@example.com", "Finance", "finance", PASSWORD)
        session.commit()
        issued = api_tokens.create_token(session, admin, "finance@example.com", name="load",
                                         scopes=list(api_tokens.SCOPES), days=1)
        session.commit()
        author_id = sales[0].id
    started = time.perf_counter()
    load_in_batches(engine, quotes, 1000, rng, requests(rng), author_id)
    print(f"  loaded {quotes:,} quotes in {time.perf_counter() - started:.0f} s")
    links: list[str] = []
    with Session(engine, expire_on_commit=False) as session:
        owner = services.get_user(session, sales[0].email)
        for n in range(LINKS):  # fresh quotes, sent (real render) and linked
            request = json.loads((ROOT / "examples" / "mx.json").read_text())
            request.pop("date", None)
            request["participants"]["business"] = 10 + n
            draft = services.create_quote(session, request, owner)
            session.commit()
            sent = services.send_quote(session, draft.ref, owner)
            session.commit()
            _link, token = services.create_client_link(session, str(sent.number), owner)
            session.commit()
            links.append(token)
        numbers = list(session.scalars(select(Quote.number).where(
            Quote.status == QuoteStatus.SENT).limit(500)))
        refs = [str(q.ref) for q in session.scalars(select(Quote).limit(500))]
    engine.dispose()
    form = form_data("MX")
    data = {"sales": [[s.email, PASSWORD] for s in sales], "token": issued.secret,
            "refs": refs, "numbers": numbers, "links": links, "form": form}
    path = folder / "load-data.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def environment(url: str, queue_url: str, folder: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": url, "QUEUE_URL": queue_url, "SECRET_KEY": "load-test-secret",
        "QUOTING_ENV": "development", "PUBLIC_URL": "http://127.0.0.1",
        "OUTBOX_DIR": str(folder / "outbox"), "QUOTING_PDF_CACHE": str(folder / "pdf-cache"),
        # The scenario's finance user and salespeople are many requests from one
        # address: rate limits are not what is measured here.
        "API_RATE_LIMIT": "1000000", "LOGIN_FAILURES_PER_ADDRESS": "1000000",
    })
    return env


def run_locust(port: int, users: int, seconds: int, data: Path, folder: Path,
               label: str, wait: str) -> list[dict[str, str]]:
    prefix = folder / f"locust-{label}"
    env = dict(os.environ, LOAD_DATA=str(data), LOAD_WAIT=wait)
    subprocess.run(
        [str(BIN / "locust"), "-f", str(ROOT / "benchmarks" / "load" / "locustfile.py"),
         # Stats restart once every user has signed in: the sign-ins' Argon2 hashing at
         # the start is not what a desk page costs.
         "--headless", "--reset-stats", "-u", str(users), "-r", str(max(1, users // 2)),
         "--run-time", f"{seconds}s", "--host", f"http://127.0.0.1:{port}",
         "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING", "--stop-timeout", "5"],
        env=env, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        timeout=seconds + 120)
    with open(f"{prefix}_stats.csv", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def serve(workers: int, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [str(BIN / "gunicorn"), "wsgi:app", "-b", f"127.0.0.1:{port}",
               "-w", str(workers)]
    if (ROOT / "gunicorn.conf.py").exists():
        command += ["-c", str(ROOT / "gunicorn.conf.py")]
    process = subprocess.Popen(command, cwd=ROOT, env={**env, "GUNICORN_WORKERS": str(workers)},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(f"http://127.0.0.1:{port}/login")
    return process


def warm_up(port: int) -> None:
    """A few requests before measuring, so each worker has imported what pages need."""
    for _ in range(8):
        for path in ("/login", "/healthz", "/readyz"):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}",
                                        timeout=30):
                pass


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def report(results: dict[int, list[dict[str, str]]], seconds: int, users: int) -> None:
    print(f"\n  {users} simulated users for {seconds} s per size (after all signed in); "
          f"p50 / p95 / p99 in ms, requests/s, failures")
    names = [row["Name"] for row in results[1] if row["Name"] != "Aggregated"]
    header = f"  {'request':44s}" + "".join(f"{f'{w} gunicorn worker(s)':>34s}"
                                             for w in results)
    print(header)
    for name in [*names, "Aggregated"]:
        cells = []
        for rows in results.values():
            row = next((r for r in rows if r["Name"] == name), None)
            if row is None:
                cells.append(f"{'-':>34s}")
                continue
            cells.append(f"{row['50%']:>6s} {row['95%']:>6s} {row['99%']:>6s} "
                         f"{float(row['Requests/s']):7.1f}/s {row['Failure Count']:>4s} err")
        print(f"  {name[:44]:44s}" + "".join(f"{c:>34s}" for c in cells))
    totals = {w: float(next(r for r in rows if r["Name"] == "Aggregated")["Requests/s"])
              for w, rows in results.items()}
    if 1 in totals and 2 in totals and totals[1]:
        print(f"\n  throughput, 2 workers vs 1: {totals[2] / totals[1]:.2f}x "
              f"({totals[1]:.1f} -> {totals[2]:.1f} requests/s)")
    for workers, rows in results.items():
        desk = next((r for r in rows if r["Name"] == "desk list"), None)
        if desk:
            verdict = "meets" if float(desk["99%"]) < DESK_LIST_P99_TARGET_MS else "misses"
            print(f"  desk list p99 with {workers} worker(s): {desk['99%']} ms "
                  f"({verdict} the {DESK_LIST_P99_TARGET_MS} ms target)")
        errors = sum(int(r["Failure Count"]) for r in rows if r["Name"] != "Aggregated")
        print(f"  errors with {workers} worker(s): {errors}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quotes", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--users", type=int, default=24)
    parser.add_argument("--wait", default="0.2,1",
                        help="each simulated person's pause between requests, seconds "
                             "(low,high); 0,0.1 saturates the app to compare 1 and 2 workers")
    args = parser.parse_args()
    redis_server = shutil.which("redis-server")
    if redis_server is None:
        raise SystemExit("redis-server is needed (apt-get install redis-server)")
    folder = Path(tempfile.mkdtemp(prefix="bench-load-"))
    url = pgadmin.create_database(PG_SERVER_URL, prefix="quoting_load")
    redis_port = free_port()
    redis = subprocess.Popen([redis_server, "--port", str(redis_port), "--bind", "127.0.0.1",
                              "--save", "", "--appendonly", "no"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    queue_url = f"redis://127.0.0.1:{redis_port}/0"
    worker: subprocess.Popen[bytes] | None = None
    print(f"load benchmark: {args.quotes:,} quotes on PostgreSQL, Redis + `quoting worker`, "
          f"gunicorn; {os.cpu_count()} cores shared with locust")
    try:
        data = prepare(url, args.quotes, folder)
        env = environment(url, queue_url, folder)
        worker = subprocess.Popen([str(BIN / "quoting"), "worker"], cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        load_before = os.getloadavg()[0]
        results: dict[int, list[dict[str, str]]] = {}
        for workers in (1, 2):
            port = free_port()
            app = serve(workers, port, env)
            try:
                warm_up(port)
                results[workers] = run_locust(port, args.users, args.seconds, data, folder,
                                              f"w{workers}", args.wait)
            finally:
                stop(app)
        print(f"  machine load {load_before:.2f} before the runs, {os.getloadavg()[0]:.2f} "
              f"after (1-minute average)")
        print(f"  think time between requests: {args.wait.replace(',', ' to ')} s")
        report(results, args.seconds, args.users)
    finally:
        if worker is not None:
            stop(worker)
        redis.terminate()
        redis.wait(timeout=10)
        pgadmin.drop_database(url)
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
