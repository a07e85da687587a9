"""Redis stopped while the app runs (it holds the queue and the rate limits): the desk
keeps working and a proposal sent meanwhile waits, recorded, for a worker; the API answers 503
in JSON rather than skip its limits; once Redis is back, the API answers again and
`quoting worker --burst` delivers what waited. A redis-server of the test's own on a
free loopback port."""

from __future__ import annotations

import email
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from email import policy
from pathlib import Path

import pytest
from click.testing import CliRunner
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.orm import Session

from quoting import api_tokens, services
from quoting.cli import main
from quoting.services.sending import pending_send
from quoting.store import migrate
from quoting.store.db import make_engine
from quoting.store.outbox import OutboxMessage
from quoting.web import create_app
from tests.smtp_server import SmtpServer, smtp_server  # noqa: F401  (fixture)

PASSWORD = "correct horse battery"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisProcess:
    def __init__(self) -> None:
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if Redis.from_url(self.url, socket_connect_timeout=0.2).ping():
                    return
            except RedisError:  # not listening yet
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def redis_process() -> Iterator[RedisProcess]:
    if shutil.which("redis-server") is None:
        # CI installs them (.ci/run): there a missing one is a failure, not a skip.
        (pytest.fail if os.environ.get("CI") else pytest.skip)("redis-server is not installed")
    made = RedisProcess()
    made.start()
    try:
        yield made
    finally:
        made.stop()


@pytest.fixture
def _restored_signals() -> Iterator[None]:
    """An RQ worker takes SIGINT and SIGTERM for its warm shutdown: give them back."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


@pytest.mark.usefixtures("_restored_signals")
def test_with_redis_stopped_the_desk_works_the_api_says_503_and_nothing_queued_is_lost(
        redis_process: RedisProcess, smtp_server: SmtpServer,  # noqa: F811
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'q.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    with Session(engine, expire_on_commit=False) as session:
        admin = services.create_user(session, "admin@example.com", "Admin", "admin", PASSWORD)
        seller = services.create_user(session, "ana@example.com", "Ana", "sales", PASSWORD)
        services.create_user(session, "finance@example.com", "Finance", "finance", PASSWORD)
        session.commit()
        secret = api_tokens.create_token(session, admin, "finance@example.com", name="faults",
                                         scopes=list(api_tokens.SCOPES), days=1).secret
        loaded = json.loads((EXAMPLES / "mx.json").read_text())
        loaded.pop("date", None)
        quote = services.create_quote(session, loaded, seller)
        session.commit()
        ref = quote.ref
    settings = {"QUEUE_URL": redis_process.url, "RATELIMIT_STORAGE_URI": redis_process.url,
                "MAIL_URL": smtp_server.url, "OUTBOX_DIR": str(tmp_path / "outbox"),
                "PUBLIC_URL": "https://quotes.example.com"}
    app = create_app({"ENGINE": engine, "SECRET_KEY": "fault-test", "TESTING": True,
                      "WTF_CSRF_ENABLED": False, **settings})
    desk = app.test_client()
    assert desk.post("/login", data={"email": "ana@example.com",
                                     "password": PASSWORD}).status_code == 302
    api = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    assert api.get("/api/v1/quotes", headers=headers).status_code == 200

    redis_process.stop()

    assert desk.get("/").status_code == 200
    assert desk.get(f"/quotes/{ref}").status_code == 200
    sent = desk.post(f"/quotes/{ref}/send", data={
        "recipients": "cfo@client.example", "subject": "", "body": "", "seen_revision": "1"})
    assert sent.status_code == 302
    refused = api.get("/api/v1/quotes", headers=headers)
    assert refused.status_code == 503
    assert refused.is_json
    assert refused.headers["Retry-After"]
    with Session(engine) as session:  # the send waits, recorded, for a worker
        quote = services.get_quote(session, ref)
        assert pending_send(session, quote) is not None
        assert quote.status == "draft"
    assert smtp_server.handler.envelopes == []

    redis_process.start()
    for name, value in {**settings, "DATABASE_URL": url}.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(main, ["worker", "--burst"])

    assert result.exit_code == 0, result.output
    assert api.get("/api/v1/quotes", headers=headers).status_code == 200
    [envelope] = smtp_server.handler.envelopes
    received = email.message_from_bytes(envelope.content, policy=policy.default)
    assert received["To"] == "cfo@client.example"
    with Session(engine) as session:
        assert session.scalars(select(OutboxMessage.state)).all() == ["sent"]
        assert services.get_quote(session, ref).status == "sent"
    engine.dispose()
