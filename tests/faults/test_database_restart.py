"""The database restarted under load: while it is down the desk and the API answer
503 (JSON under /api/), never 500; once it is back every request succeeds again
on fresh connections (the pool pings before use). A PostgreSQL cluster of the
test's own (initdb on a free loopback port), so the machine's server is never
touched."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from quoting import api_tokens, services
from quoting.store import migrate
from quoting.store.db import make_engine
from quoting.web import create_app

PASSWORD = "correct horse battery"
PG_BIN = sorted(Path("/usr/lib/postgresql").glob("*/bin"))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Cluster:
    """A throwaway PostgreSQL cluster run by the `postgres` system user."""

    def __init__(self, folder: Path) -> None:
        self.bin = PG_BIN[-1]
        self.data = folder / "data"
        self.port = _free_port()
        self.log = folder / "postgres.log"
        folder.mkdir(parents=True, exist_ok=True)
        shutil.chown(folder, "postgres")
        self._as_postgres(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust",
                          "-U", "postgres", "--no-sync")

    def _as_postgres(self, *command: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *command], check=True,
                       capture_output=True, timeout=120)

    def start(self) -> None:
        self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                          "-o", f"-p {self.port} -k /tmp -c listen_addresses=127.0.0.1",
                          "-w", "start")

    def stop(self) -> None:
        self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast",
                          "-w", "stop")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    if not PG_BIN or shutil.which("runuser") is None:
        # The CI machine runs PostgreSQL, so has them: there a missing one is a failure.
        missing = "PostgreSQL's server programs (initdb, pg_ctl) are not installed"
        (pytest.fail if os.environ.get("CI") else pytest.skip)(missing)
    folder = Path("/tmp") / f"quoting-fault-{tmp_path.name}"
    made = Cluster(folder)
    made.start()
    try:
        yield made
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            made.stop()
        shutil.rmtree(folder, ignore_errors=True)


def test_a_database_restart_gives_503_while_down_and_full_service_once_back(
        cluster: Cluster) -> None:
    engine = make_engine(cluster.url, pool_size=4)
    migrate.upgrade(engine)
    with Session(engine, expire_on_commit=False) as session:
        admin = services.create_user(session, "admin@example.com", "Admin", "admin", PASSWORD)
        services.create_user(session, "finance@example.com", "Finance", "finance", PASSWORD)
        session.commit()
        secret = api_tokens.create_token(session, admin, "finance@example.com", name="faults",
                                         scopes=list(api_tokens.SCOPES), days=1).secret
        session.commit()
    app = create_app({"ENGINE": engine, "SECRET_KEY": "fault-test", "TESTING": True,
                      "WTF_CSRF_ENABLED": False, "API_RATE_LIMIT": 1_000_000})
    headers = {"Authorization": f"Bearer {secret}"}
    statuses: list[tuple[float, str, int]] = []
    stop = threading.Event()

    def hammer(kind: str) -> None:
        client = app.test_client()
        if kind == "desk":
            client.post("/login", data={"email": "admin@example.com", "password": PASSWORD})
        while not stop.is_set():
            if kind == "desk":
                response = client.get("/", headers={"Accept-Language": "en"})
                if response.status_code == 503:
                    assert "Back in a moment" in response.get_data(as_text=True)
                    assert response.headers["Retry-After"] == "5"
            else:
                response = client.get("/api/v1/quotes?limit=5", headers=headers)
                if response.status_code == 503:
                    assert response.is_json, response.get_data(as_text=True)[:200]
                    assert json.loads(response.data)["error"]
            statuses.append((time.monotonic(), kind, response.status_code))
            time.sleep(0.02)

    threads = [threading.Thread(target=hammer, args=(kind,)) for kind in ("desk", "api") * 2]
    for thread in threads:
        thread.start()
    try:
        time.sleep(0.5)
        cluster.stop()
        down_from = time.monotonic()
        time.sleep(1.5)
        cluster.start()
        back_at = time.monotonic()
        time.sleep(2.0)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        engine.dispose()

    seen = {code for _at, _kind, code in statuses}
    assert seen <= {200, 503}, sorted(seen)
    while_down = [code for at, _kind, code in statuses if down_from + 0.2 < at < back_at]
    assert 503 in while_down
    settled = [code for at, _kind, code in statuses if at > back_at + 0.5]
    assert settled
    assert set(settled) == {200}
    assert {kind for at, kind, _code in statuses if at > back_at + 0.5} == {"desk", "api"}
