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

PDFs, so that no web request renders one (with QUEUE_URL):

- `render_draft` (the job, `enqueue_render`): a revision's PDF into the PDF cache
  the desk's preview reads (quoting.documents.PdfCache: the web and the workers must
  share QUOTING_PDF_CACHE), after a draft is saved or when a preview finds none.
- `send_requested` (the job, `enqueue_send`): the send the desk asked for
  (services.sending: the request is an audit event, the job only names it); it
  renders, signs, and marks the quote sent with its PDF kept in one transaction,
  then hands the email it wrote, if any, to `deliver_outbox`. Run twice, it sends
  once. A worker killed mid-job: another worker has RQ retry the job once the dead
  worker's heartbeat lapses (StartedJobRegistry.cleanup, in its maintenance every
  MAINTENANCE_SECONDS), and a worker that starts puts a job on the queue for every
  send still requested (`sweep_sends`), even beside one that looks started.
- One job per quote and revision waiting or running at a time: its id names them
  (`_enqueue_once`), so asking twice makes one job.
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
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from quoting.services.common import now_or
from quoting.services.documents import cached_revision_pdf, revision_pdf
from quoting.services.errors import NotFound, ServiceError
from quoting.services.outbox import LEASE, Delivery, Mailer, deliver_due
from quoting.services.receipts import issue_receipt
from quoting.services.sending import pending_sends, perform_send
from quoting.store.client_links import ClientDecision
from quoting.store.db import make_engine
from quoting.store.models import draft_reference
from quoting.store.outbox import OutboxMessage

log = logging.getLogger(__name__)

QUEUE_NAME = "quoting"
QUEUE_SCHEMES = ("redis", "rediss")
JOB = "quoting.jobs.deliver_outbox"  # imported by the worker
RENDER_JOB = "quoting.jobs.render_draft"
SEND_JOB = "quoting.jobs.send_requested"
RECEIPT_JOB = "quoting.jobs.issue_decision_receipt"
# A job in one of these stands for every later ask of the same work.
ACTIVE = frozenset({JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED,
                    JobStatus.DEFERRED})
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
# How often a worker has RQ retry the jobs of a dead worker (whose heartbeat lapsed, 90 s
# after it died) and takes over the scheduler a dead worker held: RQ's default is 10 min.
MAINTENANCE_SECONDS = 60
Outcome = Literal["delivered here", "enqueued", "pending", "unreachable"]

__all__ = ["JOB", "QUEUE_NAME", "RENDER_JOB", "SEND_JOB", "Dispatch", "check_queue_url",
           "deliver_outbox", "enqueue_delivery", "enqueue_render", "enqueue_send",
           "perform_pending_sends", "queue_for", "render_draft", "render_job_id",
           "run_worker", "safe_url", "schedule_wake", "send_job_id", "send_requested",
           "sweep", "sweep_sends"]


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


# ---------------------------------------------------------------- PDFs


def render_job_id(queue_name: str, quote_id: int, revision: int) -> str:
    return f"{queue_name}-render-{quote_id}-r{revision}"


def send_job_id(queue_name: str, quote_id: int, revision: int) -> str:
    return f"{queue_name}-send-{quote_id}-r{revision}"


def _enqueue_once(queue: Queue, func: str, job_id: str, args: tuple[Any, ...], *,
                  rerun_started: bool = False) -> str:
    """The job `job_id`, unless one of that id is waiting or running: then that one.
    A finished or failed one is replaced, and so is one that says it is queued but is
    not on the queue (a worker died between taking it and starting it: RQ would drop
    it). With `rerun_started` (a worker starting: a job "started" may be a dead
    worker's, which RQ retries only once its heartbeat lapses), a job that looks
    started gets a second one beside it, which finds the work done or does it.
    Returns the id of the job that stands for the work."""
    for _ in range(3):
        try:
            job = queue.enqueue(func, *args, job_id=job_id, unique=True, ttl=QUEUED_TTL,
                                **_job_options())
            return str(job.id)
        except DuplicateJobError:
            pass
        try:
            existing = Job.fetch(job_id, connection=queue.connection)
            status = existing.get_status()
        except NoSuchJobError:
            continue  # finished and removed meanwhile: enqueue it again
        if status == JobStatus.STARTED and rerun_started:
            again = queue.enqueue(func, *args, job_id=f"{job_id}-again-{uuid4().hex}",
                                  ttl=QUEUED_TTL, **_job_options())
            return str(again.id)
        if status in ACTIVE and _really(queue, job_id, status):
            return job_id
        existing.delete()
    return job_id


def _really(queue: Queue, job_id: str, status: JobStatus) -> bool:
    """Whether a job in `status` is where that status says: queued on the queue,
    scheduled in the scheduled registry (a started one is taken at its word)."""
    if status == JobStatus.QUEUED:
        return queue.connection.lpos(queue.key, job_id) is not None
    if status == JobStatus.SCHEDULED:
        return queue.connection.zscore(queue.scheduled_job_registry.key, job_id) is not None
    return True


def _enqueue_for_revision(queue_url: str, func: str, job_id_for: Callable[[str, int, int], str],
                          quote_id: int, revision: int) -> str | None:
    try:
        queue = queue_for(queue_url)
        return _enqueue_once(queue, func, job_id_for(queue.name, quote_id, revision),
                             (draft_reference(quote_id), revision))
    except (RedisError, OSError, ValueError) as exc:
        log.warning("the queue at %s is out of reach (%s: %s): no %s job for quote %s "
                    "revision %s", safe_url(queue_url), type(exc).__name__, exc,
                    func.rpartition(".")[2], quote_id, revision)
        return None


def enqueue_render(queue_url: str, quote_id: int, revision: int) -> str | None:
    """A job to render the revision's PDF into the cache, unless one is waiting or
    running. Never raises for Redis (logged, None): the preview asks again."""
    return _enqueue_for_revision(queue_url, RENDER_JOB, render_job_id, quote_id, revision)


def enqueue_send(queue_url: str, quote_id: int, revision: int) -> str | None:
    """After the commit of services.request_send: the job that sends, unless one is
    waiting or running. Never raises for Redis (logged, None): the request is kept in
    the database, for the worker's sweep when it starts and for the quote page, which
    asks again while it shows the quote being sent."""
    return _enqueue_for_revision(queue_url, SEND_JOB, send_job_id, quote_id, revision)


def render_draft(ref: str, revision: int) -> str:
    """The job: the revision's PDF into the cache (a draft's; a revision sent before
    PDFs were kept is rendered and kept), unless it is there already. Returns
    "cached", "rendered", "gone" (no such quote or revision now) or "refused"."""
    engine = make_engine()
    try:
        with Session(engine, expire_on_commit=False) as session:
            try:
                if cached_revision_pdf(session, ref, revision) is not None:
                    return "cached"
                revision_pdf(session, ref, revision)
                session.commit()
            except NotFound:
                return "gone"
            except ServiceError as exc:  # a re-render that no longer matches its hash
                log.warning("%s revision %s: %s", ref, revision, exc.message)
                return "refused"
    finally:
        engine.dispose()
    return "rendered"


def send_requested(ref: str, revision: int) -> str:
    """The job: the quote's pending request to send `revision`
    (services.sending.perform_send), then a delivery job for the email it wrote, if
    any. Returns "sent", "emailed", "refused" (recorded as `send.fail`) or "settled"
    (done already, by an earlier run); raises on anything else, to be run again."""
    engine = make_engine()
    try:
        with Session(engine, expire_on_commit=False) as session:
            outcome = perform_send(session, ref, revision)
    finally:
        engine.dispose()
    log.info("%s revision %s: %s", ref, revision, outcome)
    job = get_current_job()
    if job is not None and outcome in ("emailed", "settled"):
        # "settled": a run killed after its commit may have left its email undelivered.
        with suppress(RedisError):
            _enqueue_now(Queue(job.origin, connection=job.connection))
    return outcome


def enqueue_receipt(queue_url: str, decision_id: int) -> str | None:
    """After a client's decision is committed: the job that renders, keeps and emails
    its receipt, unless one is waiting or running. Never raises for Redis (logged,
    None): the receipt's download asks again."""
    try:
        queue = queue_for(queue_url)
        return _enqueue_once(queue, RECEIPT_JOB, f"{queue.name}-receipt-{decision_id}",
                             (decision_id,))
    except (RedisError, OSError, ValueError) as exc:
        log.warning("the queue at %s is out of reach (%s: %s): no receipt job for decision "
                    "%s", safe_url(queue_url), type(exc).__name__, exc, decision_id)
        return None


def issue_decision_receipt(decision_id: int) -> str:
    """The job: the decision's receipt (services.issue_receipt: rendered, kept, its email
    queued; a second run finds it kept), then a delivery job for that email. Returns
    "issued" or "gone"."""
    engine = make_engine()
    try:
        with Session(engine, expire_on_commit=False) as session:
            decision = session.get(ClientDecision, decision_id)
            if decision is None:
                return "gone"
            issue_receipt(session, decision)
            session.commit()
    finally:
        engine.dispose()
    job = get_current_job()
    if job is not None:
        with suppress(RedisError):
            _enqueue_now(Queue(job.origin, connection=job.connection))
    return "issued"


def sweep_sends(queue: Queue, session_factory: Callable[[], Session]) -> list[str]:
    """A job for every send requested and not done yet (numbered drafts waiting to be
    sent), even beside one that looks started: at a worker's start, that may be a dead
    worker's. Returns the jobs' ids."""
    with session_factory() as session:
        requests = pending_sends(session)
    return [_enqueue_once(queue, SEND_JOB, send_job_id(queue.name, r.quote_id, r.revision),
                          (draft_reference(r.quote_id), r.revision), rerun_started=True)
            for r in requests]


def perform_pending_sends(session_factory: Callable[[], Session]
                          ) -> list[tuple[str, int, str]]:
    """Every send still requested, done in this process (`quoting worker --burst` after
    the queue: what a lost job, or Redis out of reach, left): (reference, revision,
    outcome) each."""
    with session_factory() as session:
        requests = pending_sends(session)
    done: list[tuple[str, int, str]] = []
    for request in requests:
        ref = draft_reference(request.quote_id)
        with session_factory() as session:
            done.append((ref, request.revision, perform_send(session, ref, request.revision)))
    return done


def _sweep_sends_at_start(queue: Queue) -> None:
    engine = make_engine()
    try:
        for job_id in sweep_sends(queue, sessionmaker(engine, expire_on_commit=False)):
            log.info("a send still requested: job %s", job_id)
    except SQLAlchemyError as exc:
        log.warning("sends still requested were not looked for: the database is out of "
                    "reach (%s)", type(exc).__name__)
    finally:
        engine.dispose()


def run_worker(queue_url: str, *, burst: bool) -> bool:
    """Work the queue with RQ's scheduler on (the wake-ups). Long-running: a job to
    sweep the outbox first and one for each send still requested (`sweep_sends`),
    then jobs as they come, each in a forked process.
    Burst: what the queue holds and what is scheduled for now, in this process,
    then return. RedisError if Redis is out of reach. True if a job ran."""
    connection = Redis.from_url(check_queue_url(queue_url),
                                socket_connect_timeout=CONNECT_TIMEOUT)
    connection.ping()
    queue = queue_for(queue_url, connection)
    if not burst:
        _enqueue_now(queue)
    _sweep_sends_at_start(queue)
    worker_class = SimpleWorker if burst else Worker
    worker = worker_class([queue], connection=connection,
                          maintenance_interval=MAINTENANCE_SECONDS)
    return worker.work(burst=burst, with_scheduler=True, logging_level="INFO")
