"""Serving in production: health and readiness, Prometheus metrics, request ids in the
response, the logs and the audit trail, gunicorn's settings, and a real gunicorn (and
the Procfile under honcho) that stops gracefully."""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import queue as queue_module
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest
from flask.testing import FlaskClient
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from redis import Redis, RedisError
from rq import Queue
from sqlalchemy import Engine, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from quoting import jobs, logs, metrics
from quoting.documents import cache as pdf_cache
from quoting.request_context import current_request_id, reset_request_id, set_request_id
from quoting.store.db import make_engine
from quoting.store.models import AuditEvent, Quote
from quoting.web import SETTINGS, create_app
from tests.web.conftest import app_config

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ELSEWHERE = "203.0.113.7"  # an address outside METRICS_ALLOW_FROM's default
REQUEST_HISTOGRAM = "quoting_http_request_duration_seconds"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on: connecting is refused at once."""
    return free_port()


def metric(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample in Prometheus text, or None if it is not there."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return float(sample.value)
    return None


# --- health and readiness -----------------------------------------------------------

def test_healthz_answers_200_ok_without_signing_in(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers


def test_readyz_answers_200_when_the_database_answers(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "checks": {"database": "ok"},
                                   "failed": []}


def test_readyz_answers_503_naming_the_database_when_its_server_is_out_of_reach(
        closed_port: int) -> None:
    engine = make_engine(f"postgresql+psycopg://quoting@127.0.0.1:{closed_port}/quoting")
    try:
        response = create_app(app_config(engine)).test_client().get("/readyz")
    finally:
        engine.dispose()
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["failed"] == ["database"]
    assert body["checks"]["database"].startswith("failed: ")
    assert "Traceback" not in response.get_data(as_text=True)


def test_a_connection_lost_while_the_request_ends_still_answers_and_is_replaced(
        signed_in: FlaskClient, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    # A database restart between the response and the session's close: the rollback
    # inside close() fails. The page already made is answered; the connection is dropped.
    original_close = Session.close
    failures: list[Session] = []

    def close_on_a_dead_connection(session: Session) -> None:
        if not failures:
            failures.append(session)
            raise OperationalError("ROLLBACK", {}, Exception("terminating connection"))
        original_close(session)

    monkeypatch.setattr(Session, "close", close_on_a_dead_connection)
    invalidated: list[Session] = []
    original_invalidate = Session.invalidate

    def invalidate(session: Session) -> None:
        invalidated.append(session)
        original_invalidate(session)

    monkeypatch.setattr(Session, "invalidate", invalidate)
    with caplog.at_level(logging.WARNING, logger="quoting.web"):
        response = signed_in.get("/")
    assert response.status_code == 200
    assert invalidated == failures
    assert "database connection lost while ending the request" in caplog.text
    assert signed_in.get("/").status_code == 200  # the next request gets a fresh one


def test_readyz_answers_503_naming_the_queue_when_redis_is_out_of_reach(
        engine: Engine, closed_port: int) -> None:
    app = create_app(app_config(engine, QUEUE_URL=f"redis://127.0.0.1:{closed_port}/0"))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["queue"] == "failed: ConnectionError"
    assert body["failed"] == ["queue"]


@pytest.fixture
def redis_queue_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The test Redis (TEST_QUEUE_URL), with the app's queue under a name of this
    test's own, removed after; skipped without Redis unless REQUIRE_REDIS=1 or CI."""
    url = os.environ.get("TEST_QUEUE_URL") or "redis://127.0.0.1:6379/13"
    connection = Redis.from_url(url, socket_connect_timeout=1)
    try:
        connection.ping()
    except RedisError as exc:
        connection.close()
        if os.environ.get("REQUIRE_REDIS") == "1" or os.environ.get("CI"):
            pytest.fail(f"no Redis at {url} ({exc})")
        pytest.skip(f"no Redis at {url} ({exc})")
    name = f"quoting-test-{uuid.uuid4().hex}"
    monkeypatch.setattr(jobs, "QUEUE_NAME", name)
    try:
        yield url
    finally:
        for key in connection.scan_iter(match=f"*{name}*"):
            connection.delete(key)
        connection.close()


def test_readyz_and_metrics_with_a_queue_that_answers(
        engine: Engine, redis_queue_url: str) -> None:
    Queue(jobs.QUEUE_NAME, connection=Redis.from_url(redis_queue_url)).enqueue(
        "quoting.jobs.deliver_outbox")
    client = create_app(app_config(engine, QUEUE_URL=redis_queue_url)).test_client()
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["checks"] == {"database": "ok", "queue": "ok"}
    text = client.get("/metrics").get_data(as_text=True)
    assert metric(text, "quoting_queue_jobs") == 1
    assert metric(text, "quoting_queue_failed_jobs") == 0
    assert metric(text, "quoting_dependency_up", dependency="queue") == 1


# --- metrics ---------------------------------------------------------------------------

def test_metrics_answer_404_to_an_address_not_allowed(client: FlaskClient) -> None:
    response = client.get("/metrics", environ_base={"REMOTE_ADDR": ELSEWHERE})
    assert response.status_code == 404
    assert REQUEST_HISTOGRAM not in response.get_data(as_text=True)


def test_metrics_answer_200_to_the_bearer_token_from_any_address(engine: Engine) -> None:
    client = create_app(app_config(engine, METRICS_TOKEN="scrape-secret")).test_client()
    elsewhere = {"REMOTE_ADDR": ELSEWHERE}
    allowed = client.get("/metrics", environ_base=elsewhere,
                         headers={"Authorization": "Bearer scrape-secret"})
    assert allowed.status_code == 200
    assert allowed.mimetype == "text/plain"
    wrong = client.get("/metrics", environ_base=elsewhere,
                       headers={"Authorization": "Bearer not-the-secret"})
    assert wrong.status_code == 404


def test_metrics_count_the_requests_of_an_endpoint_hit_before(client: FlaskClient) -> None:
    before = REGISTRY.get_sample_value(f"{REQUEST_HISTOGRAM}_count", {
        "endpoint": "ops.healthz", "method": "GET", "status": "2xx"}) or 0
    client.get("/healthz")
    client.get("/healthz")
    text = client.get("/metrics").get_data(as_text=True)
    labels = {"endpoint": "ops.healthz", "method": "GET", "status": "2xx"}
    assert metric(text, f"{REQUEST_HISTOGRAM}_count", **labels) == before + 2
    assert metric(text, f"{REQUEST_HISTOGRAM}_bucket", **labels, le="+Inf") == before + 2
    assert metric(text, "quoting_outbox_queued_messages") == 0
    assert metric(text, "quoting_outbox_failed_messages") == 0
    assert metric(text, "quoting_dependency_up", dependency="database") == 1
    assert "quoting_pdf_render_duration_seconds_bucket" in text


def test_an_unknown_url_is_counted_under_one_label_not_its_own(client: FlaskClient) -> None:
    client.get(f"/no-such-page-{uuid.uuid4().hex}")
    text = client.get("/metrics").get_data(as_text=True)
    assert metric(text, f"{REQUEST_HISTOGRAM}_count", endpoint="unmatched", method="GET",
                  status="4xx")
    assert "no-such-page" not in text


def test_metrics_through_a_proxy_are_not_let_in_by_the_proxys_address(
        client: FlaskClient) -> None:
    for header in ("X-Forwarded-For", "Forwarded", "X-Real-IP"):
        response = client.get("/metrics", headers={header: ELSEWHERE})
        assert response.status_code == 404, header


@pytest.mark.parametrize(("allow_from", "address", "status"), [
    ("10.0.0.0/8", "10.1.2.3", 200),
    ("10.0.0.0/8", "127.0.0.1", 404),
    ("none", "127.0.0.1", 404),
    ("127.0.0.1", "::ffff:127.0.0.1", 200),
])
def test_metrics_are_read_from_the_addresses_and_networks_allowed(
        engine: Engine, allow_from: str, address: str, status: int) -> None:
    client = create_app(app_config(engine, METRICS_ALLOW_FROM=allow_from)).test_client()
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": address}
                      ).status_code == status


def test_a_queue_out_of_reach_leaves_its_gauges_out_of_the_scrape(
        engine: Engine, closed_port: int) -> None:
    app = create_app(app_config(engine, QUEUE_URL=f"redis://127.0.0.1:{closed_port}/0"))
    response = app.test_client().get("/metrics")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert metric(text, "quoting_dependency_up", dependency="queue") == 0
    assert metric(text, "quoting_queue_jobs") is None


@pytest.mark.parametrize(("name", "value"), [("METRICS_ALLOW_FROM", "10.0.0.0/33"),
                                             ("METRICS_ALLOW_FROM", "localhost"),
                                             ("LOG_FORMAT", "xml")])
def test_a_malformed_operations_setting_stops_the_start_naming_it(
        engine: Engine, monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=f"environment variable {name} must be"):
        create_app(app_config(engine))


def test_a_proposal_render_is_timed_but_a_cached_one_is_not(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    metrics.enable()  # as create_app does
    monkeypatch.setattr(pdf_cache, "render_proposal", lambda snapshot: b"%PDF-1.7 rendered")
    count = "quoting_pdf_render_duration_seconds_count"
    before = REGISTRY.get_sample_value(count) or 0
    store = pdf_cache.PdfCache(tmp_path)
    snapshot = {"number": f"MX-{uuid.uuid4().hex}", "revision": 1}
    assert pdf_cache.cached_proposal(snapshot, store) == b"%PDF-1.7 rendered"
    assert pdf_cache.cached_proposal(snapshot, store) == b"%PDF-1.7 rendered"
    assert REGISTRY.get_sample_value(count) == before + 1


# --- request ids ---------------------------------------------------------------------------

def test_a_sane_request_id_is_echoed(client: FlaskClient) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.9_B-2"})
    assert response.headers["X-Request-ID"] == "lb-7f3a.9_B-2"


@pytest.mark.parametrize("sent", [None, "", "x" * 65, "has space", "semi;colon", "ñandú"])
def test_a_missing_or_odd_request_id_is_replaced_by_a_new_one(
        client: FlaskClient, sent: str | None) -> None:
    headers = {"X-Request-ID": sent} if sent is not None else {}
    first = client.get("/healthz", headers=headers).headers["X-Request-ID"]
    second = client.get("/healthz", headers=headers).headers["X-Request-ID"]
    assert len(first) == 32
    assert int(first, 16) >= 0
    assert first != second


def test_every_page_answers_with_a_request_id_even_an_error(client: FlaskClient) -> None:
    assert client.get("/quotes").headers["X-Request-ID"]  # a redirect to sign in
    assert client.get("/no-such-page").headers["X-Request-ID"]
    assert client.get("/api/v1/quotes").headers["X-Request-ID"]  # 401 from the API


def test_an_audit_event_recorded_during_a_desk_request_carries_its_id(
        signed_in: FlaskClient, make_quote: Callable[..., Quote], engine: Engine) -> None:
    quote = make_quote("MX")
    response = signed_in.post(f"/quotes/{quote.ref}/do/send", data={"seen_revision": "1"},
                              headers={"X-Request-ID": "desk-send-42"})
    assert response.status_code == 302
    assert response.headers["X-Request-ID"] == "desk-send-42"
    with Session(engine) as session:
        event = session.scalars(select(AuditEvent).where(
            AuditEvent.quote_id == quote.id, AuditEvent.action == "quote.send")).one()
    assert event.detail["request_id"] == "desk-send-42"


def test_no_request_id_is_left_behind_once_the_request_ends(client: FlaskClient) -> None:
    client.get("/healthz", headers={"X-Request-ID": "gone-after"})
    assert current_request_id() is None


def test_every_log_line_written_during_a_request_carries_its_id(
        engine: Engine, closed_port: int, caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(app_config(engine, QUEUE_URL=f"redis://127.0.0.1:{closed_port}/0"))
    with caplog.at_level(logging.WARNING, logger="quoting.web.ops"):
        app.test_client().get("/readyz", headers={"X-Request-ID": "probe-1"})
    [line] = [r for r in caplog.records if r.getMessage().startswith("readiness: the queue")]
    assert line.request_id == "probe-1"  # type: ignore[attr-defined]
    assert "probe-1" in logging.Formatter(logs.TEXT_FORMAT).format(line)
    outside = logging.getLogger("quoting.test").makeRecord(
        "quoting.test", logging.INFO, __file__, 1, "no request", (), None)
    assert outside.request_id == "-"  # type: ignore[attr-defined]


def test_json_log_lines_carry_the_request_id_and_the_traceback() -> None:
    logs.install_request_id()
    token = set_request_id("json-req-1")
    try:
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            record = logging.getLogger("quoting.test").makeRecord(
                "quoting.test", logging.ERROR, __file__, 1, "failed %s", ("here",),
                sys.exc_info(), extra={"quote": "MX-2026-0001"})
    finally:
        reset_request_id(token)
    line = json.loads(logs.JsonFormatter().format(record))
    assert line["request_id"] == "json-req-1"
    assert (line["level"], line["logger"], line["message"]) == ("ERROR", "quoting.test",
                                                                 "failed here")
    assert line["quote"] == "MX-2026-0001"
    assert "RuntimeError: boom" in line["exception"]


@pytest.mark.parametrize(("log_format", "env", "json_lines"), [
    (None, "production", True), (None, "development", False), ("json", "development", True),
    ("TEXT", "production", False)])
def test_logs_are_json_lines_in_production_or_when_asked(
        log_format: str | None, env: str, json_lines: bool) -> None:
    assert logs.json_wanted(log_format, env) is json_lines


# --- gunicorn.conf.py ---------------------------------------------------------------------

GUNICORN_ENV = ("PORT", "GUNICORN_BIND", "GUNICORN_WORKERS", "WEB_CONCURRENCY",
                "GUNICORN_THREADS", "GUNICORN_TIMEOUT", "GUNICORN_GRACEFUL_TIMEOUT",
                "GUNICORN_MAX_REQUESTS", "GUNICORN_MAX_REQUESTS_JITTER", "GUNICORN_KEEPALIVE",
                "LOG_FORMAT", "QUOTING_ENV")


def load_gunicorn_conf(monkeypatch: pytest.MonkeyPatch, **environ: str) -> ModuleType:
    for name in GUNICORN_ENV:
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("gunicorn_conf_under_test",
                                                  REPO / "gunicorn.conf.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gunicorn_conf_listens_on_localhost_port_8000_by_default(
        monkeypatch: pytest.MonkeyPatch) -> None:
    conf = load_gunicorn_conf(monkeypatch)
    assert conf.bind == ["127.0.0.1:8000"]
    assert conf.workers >= 2
    assert conf.threads == 4
    assert 0 < conf.max_requests_jitter < conf.max_requests
    assert conf.graceful_timeout <= conf.timeout
    assert conf.keepalive >= 2
    assert conf.preload_app is False


def test_gunicorn_conf_takes_its_values_from_the_environment(
        monkeypatch: pytest.MonkeyPatch) -> None:
    conf = load_gunicorn_conf(monkeypatch, PORT="9123", WEB_CONCURRENCY="5",
                              GUNICORN_THREADS="2", GUNICORN_MAX_REQUESTS="0",
                              GUNICORN_GRACEFUL_TIMEOUT="7")
    assert conf.bind == ["127.0.0.1:9123"]
    assert (conf.workers, conf.threads, conf.max_requests, conf.graceful_timeout) == (
        5, 2, 0, 7)
    conf = load_gunicorn_conf(monkeypatch, GUNICORN_BIND="0.0.0.0:8080, unix:/run/q.sock",
                              GUNICORN_WORKERS="3", WEB_CONCURRENCY="5")
    assert conf.bind == ["0.0.0.0:8080", "unix:/run/q.sock"]
    assert conf.workers == 3


def test_gunicorn_accepts_every_value_the_conf_sets(monkeypatch: pytest.MonkeyPatch) -> None:
    from gunicorn.config import Config

    conf = load_gunicorn_conf(monkeypatch)
    config = Config()
    names = [name for name in vars(conf) if name in config.settings]
    for name in names:
        config.set(name, getattr(conf, name))
    assert {"bind", "workers", "threads", "max_requests", "max_requests_jitter", "timeout",
            "graceful_timeout", "keepalive", "preload_app", "accesslog", "logger_class",
            "on_starting", "post_fork", "child_exit", "on_exit"} <= set(names)
    assert config.worker_class_str == "gthread"


@pytest.mark.parametrize("value", ["0", "two", "-1", "1.5"])
def test_gunicorn_conf_refuses_a_malformed_number_naming_the_variable(
        monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    with pytest.raises(ValueError, match="GUNICORN_THREADS must be a whole number"):
        load_gunicorn_conf(monkeypatch, GUNICORN_THREADS=value)


def test_the_access_log_is_one_json_line_a_request_with_its_id(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from gunicorn.config import Config

    conf = load_gunicorn_conf(monkeypatch)
    config = Config()
    config.set("accesslog", "-")
    logger = conf.JsonLinesLogger(config)
    response = SimpleNamespace(status="200 OK", sent=512, headers=[
        ("Content-Type", "text/html"), ("X-Request-ID", "abc123")])
    request = SimpleNamespace(headers=[("USER-AGENT", 'Evil "agent"\\')])
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": "/quotes?q=a%22b", "PATH_INFO": "/quotes",
               "QUERY_STRING": 'q=a"b', "SERVER_PROTOCOL": "HTTP/1.1",
               "REMOTE_ADDR": "127.0.0.1", "HTTP_USER_AGENT": 'Evil "agent"\\'}
    logger.access(response, request, environ, __import__("datetime").timedelta(
        milliseconds=12, microseconds=345))
    [line] = capsys.readouterr().out.splitlines()
    entry = json.loads(line)
    assert entry["request_id"] == "abc123"
    assert (entry["method"], entry["path"], entry["query"], entry["status"]) == (
        "GET", "/quotes", 'q=a"b', 200)
    assert entry["user_agent"] == 'Evil "agent"\\'
    assert entry["duration_ms"] == 12.345
    assert entry["bytes"] == 512


# --- a real gunicorn, and the Procfile ------------------------------------------------------

def _server_environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    names = {setting.name for setting in SETTINGS} | set(GUNICORN_ENV) | {
        "PROMETHEUS_MULTIPROC_DIR", "GUNICORN_CMD_ARGS"}
    environ = {k: v for k, v in os.environ.items() if k not in names}
    environ.update(DATABASE_URL=f"sqlite:///{tmp_path / 'quoting.db'}",
                   SECRET_KEY="test-secret", QUOTING_INSTANCE=str(tmp_path / "instance"),
                   OUTBOX_DIR=str(tmp_path / "outbox"),
                   PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", **extra)
    subprocess.run([str(BIN / "quoting"), "db", "upgrade"], env=environ, cwd=REPO,
                   check=True, capture_output=True, timeout=60)
    return environ


def _get(url: str, timeout: float = 5, headers: dict[str, str] | None = None
         ) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def _wait_until_up(process: subprocess.Popen[bytes], url: str, output: Path,
                   seconds: float = 45) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server stopped ({process.returncode}):\n{output.read_text()}")
        try:
            if _get(url, timeout=1)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    process.kill()
    pytest.fail(f"the server did not answer {url} within {seconds} s:\n{output.read_text()}")


@pytest.fixture
def silent_redis() -> Iterator[tuple[int, queue_module.Queue[socket.socket]]]:
    """A port that takes connections and never answers (a Redis that hangs), and the
    connections it took, as they come."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    taken: queue_module.Queue[socket.socket] = queue_module.Queue()
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                taken.put(listener.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], taken
    finally:
        stop.set()
        thread.join(timeout=2)
        listener.close()
        while not taken.empty():
            taken.get().close()


def test_gunicorn_serves_the_app_and_stops_gracefully_on_sigterm(
        tmp_path: Path, silent_redis: tuple[int, queue_module.Queue[socket.socket]]) -> None:
    redis_port, redis_connections = silent_redis
    port = free_port()
    environ = _server_environment(
        tmp_path, GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_WORKERS="2",
        GUNICORN_THREADS="2", GUNICORN_GRACEFUL_TIMEOUT="15",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
        QUEUE_URL=f"redis://127.0.0.1:{redis_port}/0")
    base = f"http://127.0.0.1:{port}"
    output = tmp_path / "gunicorn.log"
    with output.open("wb") as sink:
        server = subprocess.Popen([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
                                  cwd=REPO, env=environ, stdout=sink, stderr=subprocess.STDOUT)
    try:
        _wait_until_up(server, f"{base}/healthz", output)
        for _ in range(4):
            status, headers, body = _get(f"{base}/healthz",
                                         headers={"X-Request-ID": "gunicorn-test-1"})
            assert (status, json.loads(body)) == (200, {"status": "ok"})
            assert headers["X-Request-ID"] == "gunicorn-test-1"
        # Both workers' counts, added up from PROMETHEUS_MULTIPROC_DIR.
        status, _, body = _get(f"{base}/metrics", timeout=15)
        assert status == 200
        assert (metric(body.decode(), f"{REQUEST_HISTOGRAM}_count", endpoint="ops.healthz",
                       method="GET", status="2xx") or 0) >= 4
        while not redis_connections.empty():  # the scrape's
            redis_connections.get().close()

        # A readiness check stuck on the silent Redis (2 s) is in flight at SIGTERM.
        answers: list[tuple[int, dict[str, str], bytes]] = []
        in_flight = threading.Thread(target=lambda: answers.append(
            _get(f"{base}/readyz", timeout=20)))
        in_flight.start()
        held = redis_connections.get(timeout=10)  # the worker now waits on Redis
        stopped_at = time.monotonic()
        server.send_signal(signal.SIGTERM)
        in_flight.join(timeout=20)
        held.close()
        returncode = server.wait(timeout=20)
        took = time.monotonic() - stopped_at
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=10)
    log = output.read_text()
    assert returncode == 0, log
    assert took < 15, log
    [(status, _, body)] = answers
    assert status == 503
    assert json.loads(body)["failed"] == ["queue"]
    access = [json.loads(line) for line in log.splitlines() if '"gunicorn.access"' in line]
    ours = [entry for entry in access if entry["request_id"] == "gunicorn-test-1"]
    assert [(entry["method"], entry["path"], entry["status"]) for entry in ours] == [
        ("GET", "/healthz", 200)] * 4
    assert any(entry["path"] == "/readyz" and entry["status"] == 503 for entry in access)


def test_the_procfile_runs_the_desk_and_the_worker_under_honcho(tmp_path: Path) -> None:
    check = subprocess.run([str(BIN / "honcho"), "check"], cwd=REPO, capture_output=True,
                           text=True, timeout=30)
    assert check.returncode == 0, check.stderr
    assert "web, worker" in check.stderr + check.stdout
    port = free_port()
    environ = _server_environment(tmp_path, GUNICORN_WORKERS="1")
    output = tmp_path / "honcho.log"
    with output.open("wb") as sink:
        honcho = subprocess.Popen([str(BIN / "honcho"), "start", "--port", str(port)],
                                  cwd=REPO, env=environ, stdout=sink,
                                  stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_until_up(honcho, f"http://127.0.0.1:{port}/readyz", output)
        honcho.send_signal(signal.SIGTERM)
        honcho.wait(timeout=30)
    finally:
        if honcho.poll() is None:
            os.killpg(honcho.pid, signal.SIGKILL)
            honcho.wait(timeout=10)
    log = output.read_text()
    assert "web.1" in log, log
    assert "worker.1" in log, log
    assert "Listening at: http://127.0.0.1:" in log, log
