"""What operations need from the running app: request ids, health, readiness, metrics.

- Every request gets an id: the caller's X-Request-ID if it is sane (at most 64 of
  A-Z a-z 0-9 . _ -), else a new one (uuid4 hex). It is sent back in X-Request-ID,
  carried by every log line written during the request (quoting.logs) and by every
  audit event recorded in it (quoting.services.common.record).
- `/healthz`: the process answers (200 {"status": "ok"}), nothing else is checked.
- `/readyz`: the database answers `SELECT 1` and, with QUEUE_URL, Redis answers PING:
  200, else 503 naming what failed; never a 500, never a traceback.
- `/metrics`: Prometheus text, for an address in METRICS_ALLOW_FROM (default the
  loopback) or a request bearing `Authorization: Bearer <METRICS_TOKEN>`; anyone else
  gets 404. A request that came through a proxy (X-Forwarded-For, Forwarded or
  X-Real-IP) is never let in by its address: a proxy on the same host would make
  everything look like 127.0.0.1.

None of these is behind sign-in or CSRF (quoting.web.guards.PUBLIC_ENDPOINTS).
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import time
from collections.abc import Iterable, Iterator
from functools import cache
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, g, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from rq import Queue
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from quoting import jobs, logs
from quoting.metrics import enable as enable_metrics
from quoting.metrics import multiprocess_dir, observe_request
from quoting.request_context import request_id_from, reset_request_id, set_request_id
from quoting.store.outbox import OutboxMessage

log = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-ID"
DEFAULT_METRICS_ALLOW_FROM = "127.0.0.1,::1"
# How long a readiness check or a scrape waits for Redis (one attempt, no retry).
REDIS_TIMEOUT_SECONDS = 2.0
PROXY_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-IP")
# Label values for the request histogram: anything else would let a caller create
# series at will.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"

bp = Blueprint("ops", __name__)


def init_app(app: Flask) -> None:
    """Logging (LOG_FORMAT, QUOTING_ENV), the request-id and timing hooks (registered
    before every other hook, so they see each request first and its response last),
    and the three routes. ValueError naming the setting for a bad LOG_FORMAT or
    METRICS_ALLOW_FROM."""
    json_lines = logs.json_wanted(app.config.get("LOG_FORMAT"), app.config.get("QUOTING_ENV"))
    app.extensions["quoting.metrics_allow"] = parse_allow_from(
        app.config.get("METRICS_ALLOW_FROM") or DEFAULT_METRICS_ALLOW_FROM)
    if logs.configure(json_lines) and "logger" in app.__dict__:
        from flask.logging import default_handler

        app.logger.removeHandler(default_handler)  # the root handler writes its lines
    enable_metrics()
    app.before_request(_start_request)
    app.after_request(_finish_request)
    app.teardown_request(_end_request)
    app.register_blueprint(bp)


def parse_allow_from(value: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """The networks of a comma-separated list of addresses and CIDRs (`none`: none)."""
    items = [item.strip() for item in value.split(",") if item.strip()]
    if [item.lower() for item in items] == ["none"]:
        return ()
    networks = []
    for item in items:
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"environment variable METRICS_ALLOW_FROM must be addresses or "
                             f"networks separated by commas (e.g. 127.0.0.1,::1,10.0.0.0/8) "
                             f"or none; got {item!r}") from None
    return tuple(networks)


# --- every request -----------------------------------------------------------------

def _start_request() -> None:
    request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
    g.request_id = request_id
    g.ops_request_id_token = set_request_id(request_id)
    g.ops_request_started = time.perf_counter()


def _finish_request(response: Response) -> Response:
    request_id = g.get("request_id")
    if request_id:
        response.headers[REQUEST_ID_HEADER] = request_id
    started = g.get("ops_request_started")
    if started is not None:
        rule = request.url_rule
        observe_request(rule.endpoint if rule is not None else UNMATCHED,
                        request.method if request.method in KNOWN_METHODS else "OTHER",
                        response.status_code, time.perf_counter() - started)
    return response


def _end_request(_error: BaseException | None) -> None:
    token = g.pop("ops_request_id_token", None)
    if token is not None:
        reset_request_id(token)


# --- health and readiness ----------------------------------------------------------

@bp.get("/healthz")
def healthz() -> Response:
    return _no_store(jsonify(status="ok"))


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    checks = {"database": _check_database(current_app.extensions["quoting.sessions"])}
    queue_url = current_app.config.get("QUEUE_URL")
    if queue_url:
        checks["queue"] = _check_redis(str(queue_url))
    failed = sorted(name for name, outcome in checks.items() if outcome != "ok")
    if failed:
        log.warning("not ready: %s", ", ".join(f"{name} {checks[name]}" for name in failed))
    body = {"status": "unavailable" if failed else "ok", "checks": checks, "failed": failed}
    return _no_store(jsonify(body)), 503 if failed else 200


def _check_database(factory: sessionmaker[Session]) -> str:
    try:
        with factory() as session:
            session.execute(text("SELECT 1"))
    except Exception as exc:  # whatever the driver raises: the answer is 503, not 500
        log.warning("readiness: the database did not answer: %s", exc)
        return f"failed: {type(exc).__name__}"
    return "ok"


def _check_redis(url: str) -> str:
    try:
        redis_client(url).ping()
    except Exception as exc:  # unreachable, refused, timed out, bad password…
        log.warning("readiness: the queue at %s did not answer: %s", jobs.safe_url(url), exc)
        return f"failed: {type(exc).__name__}"
    return "ok"


@cache
def redis_client(url: str) -> Redis:
    """A client for checks and scrapes: one attempt, short timeouts (an unreachable
    Redis must not hold a probe or a scrape)."""
    return Redis.from_url(jobs.check_queue_url(url), socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                          socket_timeout=REDIS_TIMEOUT_SECONDS, retry=Retry(NoBackoff(), 0))


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


# --- metrics -----------------------------------------------------------------------

@bp.get("/metrics")
def metrics() -> Response:
    if not _may_read_metrics():
        abort(404)
    registry = CollectorRegistry(auto_describe=False)
    directory = multiprocess_dir()
    if directory:  # every gunicorn worker's values, from the files they write
        MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
    else:
        registry.register(_ThisProcess())
    registry.register(ScrapeTimeGauges(current_app.extensions["quoting.sessions"],
                                       current_app.config.get("QUEUE_URL")))
    return _no_store(Response(generate_latest(registry), mimetype=None,
                              content_type=CONTENT_TYPE_LATEST))


def _may_read_metrics() -> bool:
    token = current_app.config.get("METRICS_TOKEN")
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
                given.strip().encode(), str(token).encode()):
            return True
    if any(name in request.headers for name in PROXY_HEADERS):
        return False
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    networks = current_app.extensions["quoting.metrics_allow"]
    return any(address in network for network in networks)


class _ThisProcess:
    """The default registry's metrics: this process's (one server process)."""

    def collect(self) -> Iterable[Any]:
        return REGISTRY.collect()


class ScrapeTimeGauges:
    """Gauges read when Prometheus asks: the outbox's backlog and failures, and with
    QUEUE_URL the RQ queue's length and failed jobs. A database or Redis that does not
    answer leaves its gauges out and shows as quoting_dependency_up 0."""

    def __init__(self, factory: sessionmaker[Session], queue_url: str | None) -> None:
        self.factory = factory
        self.queue_url = queue_url

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("quoting_dependency_up",
                               "1 if the dependency answered at this scrape, else 0",
                               labels=["dependency"])
        try:
            with self.factory() as session:
                counts = dict(session.execute(
                    select(OutboxMessage.state, func.count())
                    .where(OutboxMessage.state.in_(("queued", "failed")))
                    .group_by(OutboxMessage.state)).all())
        except Exception as exc:
            log.warning("metrics: the database did not answer: %s", exc)
            up.add_metric(["database"], 0)
        else:
            up.add_metric(["database"], 1)
            yield GaugeMetricFamily("quoting_outbox_queued_messages",
                                    "Emails in the outbox still to be delivered",
                                    value=counts.get("queued", 0))
            yield GaugeMetricFamily("quoting_outbox_failed_messages",
                                    "Emails in the outbox given up on after five refusals",
                                    value=counts.get("failed", 0))
        if self.queue_url:
            try:
                queue = Queue(jobs.QUEUE_NAME, connection=redis_client(self.queue_url))
                queued = queue.count
                failed = queue.failed_job_registry.get_job_count(cleanup=False)
            except Exception as exc:
                log.warning("metrics: the queue at %s did not answer: %s",
                            jobs.safe_url(self.queue_url), exc)
                up.add_metric(["queue"], 0)
            else:
                up.add_metric(["queue"], 1)
                yield GaugeMetricFamily("quoting_queue_jobs",
                                        "Jobs waiting on the RQ queue", value=queued)
                yield GaugeMetricFamily("quoting_queue_failed_jobs",
                                        "Jobs in the RQ queue's failed-job registry",
                                        value=failed)
        yield up


# --- gunicorn ----------------------------------------------------------------------

def dispose_engine_after_fork(app: Flask) -> None:
    """In a process forked from one that loaded the app (gunicorn --preload): drop the
    pool's connections inherited from the parent without closing them (they are the
    parent's), so this process opens its own."""
    factory: sessionmaker[Session] = app.extensions["quoting.sessions"]
    engine = factory.kw.get("bind")
    if engine is not None:
        engine.dispose(close=False)
