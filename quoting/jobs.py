"""Delivering the outbox as jobs: on an RQ queue in Redis when QUEUE_URL is set,
else in the calling process.

The outbox (quoting.services.outbox) stays the only record of what is to be sent:
a job carries no message, only "deliver what is due", and `deliver_due` takes each
message under a lease, so a job that finds a message already delivered, or being
delivered elsewhere, does nothing with it. Hence:

- `enqueue_delivery`: after the commit that wrote a message. With QUEUE_URL, one
  job `deliver_outbox` on the queue "quoting", unless one is already waiting that
  has not started yet (a marker key in Redis, cleared when a job starts and after
  PENDING_SECONDS whatever happens): that job will see the new message too, so a
  burst of sends makes one job, not one each. Redis out of reach: logged, nothing
  raised; the message waits in the outbox for the worker's sweep. Without
  QUEUE_URL: `deliver_due` right here (the desk's request, the CLI).
- `deliver_outbox` (the job): opens the database named by DATABASE_URL, delivers
  what is due with the mailer the settings name, then `schedule_wake`.
- `schedule_wake`: a job at the earliest next attempt of the messages still queued
  (a refused message is retried 1, 2, 4, 8 minutes later), so retries need no
  poller; its id names that second, so the runs that ask for the same wake-up get
  one job. The worker's scheduler (`with_scheduler`) moves it onto the queue then.
- `run_worker`: the RQ worker of `quoting worker` (scheduler on); `--burst` drains
  the queue and exits, and the command then sweeps the outbox itself
  (`sweep`), so nothing due is stranded if Redis lost a job.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import suppress
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any, Literal
from urllib.parse import urlsplit
from uuid import uuid4

from redis import Redis, RedisError
from rq import Queue, Retry, SimpleWorker, Worker, get_current_job
from rq.exceptions import DuplicateJobError
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from quoting.services.common import now_or
from quoting.services.outbox import LEASE, Delivery, Mailer, deliver_due
from quoting.store.db import make_engine
from quoting.store.outbox import OutboxMessage

log = logging.getLogger(__name__)

QUEUE_NAME = "quoting"
QUEUE_SCHEMES = ("redis", "rediss")
JOB = "quoting.jobs.deliver_outbox"  # imported by the worker
# A job killed mid-send leaves its message leased: due again when the lease ends.
JOB_TIMEOUT = int(LEASE.total_seconds())
# How long one waiting job stands for every send after it (see enqueue_delivery).
PENDING_SECONDS = 60
# A job still waiting after a day is dropped: the worker sweeps the outbox at start.
QUEUED_TTL = 24 * 3600
RESULT_TTL = 600
FAILURE_TTL = 7 * 24 * 3600
# A job that raised (the database out of reach, say) runs again: nothing was lost.
RETRY_INTERVALS = [10, 60, 300]
CONNECT_TIMEOUT = 2  # seconds: an unreachable Redis must not hold the desk's request
Outcome = Literal["delivered here", "enqueued", "pending", "unreachable"]

__all__ = ["JOB", "QUEUE_NAME", "Dispatch", "check_queue_url", "deliver_outbox",
           "enqueue_delivery", "queue_for", "run_worker", "safe_url", "schedule_wake",
           "sweep"]


@dataclass(frozen=True, slots=True)
class Dispatch:
    """What `enqueue_delivery` did: delivered here (no queue), put a job on the queue,
    left it to a job already waiting, or could not reach the queue (the message waits
    in the outbox for the worker's sweep)."""

    outcome: Outcome
    deliveries: tuple[Delivery, ...] = ()
    job_id: str | None = None
    error: str | None = None


def check_queue_url(url: str) -> str:
    """The URL if it is redis://… or rediss://…, else ValueError naming QUEUE_URL."""
    scheme = urlsplit(url.strip()).scheme.lower()
    if scheme not in QUEUE_SCHEMES or "://" not in url:
        raise ValueError(f"QUEUE_URL must be redis://host:port/db or rediss://… (TLS), e.g. "
                         f"redis://127.0.0.1:6379/0; got a URL with scheme {scheme!r}")
    return url.strip()


def safe_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


@cache
def _connection(url: str) -> Redis:
    """The enqueuing side's client (shared by threads): short timeouts, so an
    unreachable Redis fails fast."""
    return Redis.from_url(check_queue_url(url), socket_connect_timeout=CONNECT_TIMEOUT,
                          socket_timeout=5)


def queue_for(url: str, connection: Redis | None = None) -> Queue:
    return Queue(QUEUE_NAME, connection=connection or _connection(url))


def _pending_key(queue_name: str) -> str:
    return f"quoting:outbox-pending:{queue_name}"


def _job_options() -> dict[str, Any]:
    return {"job_timeout": JOB_TIMEOUT, "result_ttl": RESULT_TTL,
            "failure_ttl": FAILURE_TTL,
            "retry": Retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS)}


def _enqueue_now(queue: Queue) -> str | None:
    """A job to deliver what is due, unless one waits that has not started: it clears
    the marker before it looks at the outbox, so it sees every message committed while
    the marker was set. Returns the new job's id, or None."""
    key = _pending_key(queue.name)
    if not queue.connection.set(key, "1", nx=True, ex=PENDING_SECONDS):
        return None
    try:
        job = queue.enqueue(JOB, job_id=f"{queue.name}-deliver-{uuid4().hex}",
                            ttl=QUEUED_TTL, **_job_options())
    except BaseException:
        with suppress(RedisError):
            queue.connection.delete(key)
        raise
    return str(job.id)


def enqueue_delivery(queue_url: str | None, session_factory: Callable[[], Session],
                     mailer: Mailer) -> Dispatch:
    """After the commit that queued a message: with QUEUE_URL, hand its delivery to
    the workers (never raises for Redis: the message is kept either way); without,
    deliver what is due here and now."""
    if not queue_url:
        return Dispatch("delivered here",
                        deliveries=tuple(deliver_due(session_factory, mailer=mailer)))
    try:
        job_id = _enqueue_now(queue_for(queue_url))
    except (RedisError, OSError, ValueError) as exc:
        error = f"{type(exc).__name__}: {exc}"
        log.warning("the queue at %s is out of reach (%s): the outbox keeps the message "
                    "for the worker's sweep", safe_url(queue_url), error)
        return Dispatch("unreachable", error=error)
    return Dispatch("enqueued", job_id=job_id) if job_id else Dispatch("pending")


def schedule_wake(queue: Queue, session_factory: Callable[[], Session],
                  now: datetime | None = None) -> datetime | None:
    """A job at the earliest next attempt of the queued messages (not before a second
    from now), the one job for that second; None when nothing is queued."""
    with session_factory() as session:
        earliest = session.scalar(select(func.min(OutboxMessage.next_attempt_at))
                                  .where(OutboxMessage.state == "queued"))
    if earliest is None:
        return None
    at = max(earliest, now_or(now) + timedelta(seconds=1))
    if at.microsecond:  # the whole second after, when the message is due
        at = at.replace(microsecond=0) + timedelta(seconds=1)
    with suppress(DuplicateJobError):
        queue.enqueue_at(at, JOB, job_id=f"{queue.name}-wake-{int(at.timestamp())}",
                         unique=True, **_job_options())
    return at


def _mailer_from_settings() -> Mailer:
    from quoting.web import outbox_mailer, settings_from_environment

    mailer: Mailer = outbox_mailer(settings_from_environment())
    return mailer


def deliver_outbox() -> list[dict[str, Any]]:
    """The job: deliver what is due in the database named by DATABASE_URL, then
    schedule the wake-up for what is left. Idempotent: with nothing due it does
    nothing."""
    job = get_current_job()
    queue = None
    if job is not None:
        with suppress(RedisError):  # from now on, a send needs a job of its own
            job.connection.delete(_pending_key(job.origin))
        queue = Queue(job.origin, connection=job.connection)
    engine = make_engine()
    try:
        factory = sessionmaker(engine, expire_on_commit=False)
        done = deliver_due(factory, mailer=_mailer_from_settings())
        for outcome in done:
            log.info("email %s: %s%s", outcome.message_id, outcome.state,
                     f" ({outcome.error})" if outcome.error else "")
        if queue is not None:
            wake = schedule_wake(queue, factory)
            if wake is not None:
                log.info("next delivery attempt at %s", wake.isoformat())
    finally:
        engine.dispose()
    return [asdict(outcome) for outcome in done]


def sweep(queue_url: str | None, session_factory: Callable[[], Session],
          mailer: Mailer) -> list[Delivery]:
    """Deliver what is due straight from the outbox (whatever the queue holds), then,
    with a queue, schedule the wake-up for what is left (skipped, logged, if Redis
    is out of reach)."""
    done = deliver_due(session_factory, mailer=mailer)
    if queue_url:
        try:
            schedule_wake(queue_for(queue_url), session_factory)
        except (RedisError, OSError) as exc:
            log.warning("no retry scheduled: the queue at %s is out of reach (%s)",
                        safe_url(queue_url), exc)
    return done


def run_worker(queue_url: str, *, burst: bool) -> bool:
    """Work the queue with RQ's scheduler on (the wake-ups). Long-running: a job to
    sweep the outbox first, then jobs as they come, each in a forked process.
    Burst: what the queue holds and what is scheduled for now, in this process,
    then return. RedisError if Redis is out of reach. True if a job ran."""
    connection = Redis.from_url(check_queue_url(queue_url),
                                socket_connect_timeout=CONNECT_TIMEOUT)
    connection.ping()
    queue = queue_for(queue_url, connection)
    if not burst:
        _enqueue_now(queue)
    worker_class = SimpleWorker if burst else Worker
    worker = worker_class([queue], connection=connection)
    return worker.work(burst=burst, with_scheduler=True, logging_level="INFO")
