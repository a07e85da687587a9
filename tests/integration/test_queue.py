"""Deliveries through an RQ queue (QUEUE_URL): a send from the desk or the CLI puts a
job on the queue and delivers nothing itself; `quoting worker --burst` delivers to a
real SMTP server on 127.0.0.1; a refusal schedules the retry as a job at the next
attempt; without QUEUE_URL the request delivers; with Redis out of reach the desk
still answers and the burst worker delivers from the outbox.

The queue is a Redis database of its own (TEST_QUEUE_URL, default
redis://127.0.0.1:6379/13) under a queue name of each test's own, whose keys are
removed after. Without Redis these tests are skipped, unless REQUIRE_REDIS=1 (or CI).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner, Result
from flask.testing import FlaskClient
from redis import Redis, RedisError
from rq import Queue, SimpleWorker
from rq.job import Job
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from quoting import jobs, services
from quoting.cli import main
from quoting.store.models import Quote, User
from quoting.store.outbox import OutboxMessage
from quoting.web import create_app
from tests.integration.conftest import PASSWORD, example
from tests.smtp_server import SmtpServer, smtp_server  # noqa: F401  (fixture)

SELLER = "ana@example.com"
PUBLIC = "https://quotes.example.com"
CLIENT = "cfo@client.example"


# ---------------------------------------------------------------- fixtures


@pytest.fixture(autouse=True)
def _signal_handlers_restored() -> Iterator[None]:
    """An RQ worker takes SIGINT and SIGTERM for its warm shutdown: give them back."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("TEST_QUEUE_URL") or "redis://127.0.0.1:6379/13"
    client = Redis.from_url(url, socket_connect_timeout=1)
    try:
        client.ping()
    except RedisError as exc:
        client.close()
        reason = f"no Redis for the queue at {url} ({exc})"
        if os.environ.get("REQUIRE_REDIS") == "1" or os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    client.close()
    return url


@pytest.fixture
def queue(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Queue]:
    """The app's queue under a name of this test's own; its keys removed after."""
    name = f"quoting-test-{uuid.uuid4().hex}"
    monkeypatch.setattr(jobs, "QUEUE_NAME", name)
    connection = Redis.from_url(redis_url)
    try:
        yield Queue(name, connection=connection)
    finally:
        for key in connection.scan_iter(match=f"*{name}*"):
            connection.delete(key)
        connection.srem("rq:queues", f"rq:queue:{name}")  # RQ's other keys expire
        connection.close()


@pytest.fixture
def seller(fresh_engine: Engine) -> User:
    with Session(fresh_engine, expire_on_commit=False) as session:
        user = services.create_user(session, SELLER, "Ana Ventas", "sales", PASSWORD)
        session.commit()
        return user


@pytest.fixture
def environment(fresh_database_url: str, smtp_server: SmtpServer,  # noqa: F811
                monkeypatch: pytest.MonkeyPatch) -> SmtpServer:
    """What the worker and the CLI read: the test's database and SMTP server."""
    for name in ("QUEUE_URL", "OUTBOX_DIR", "QUOTING_USER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", fresh_database_url)
    monkeypatch.setenv("MAIL_URL", smtp_server.url)
    monkeypatch.setenv("MAIL_FROM", "Ventas <ventas@acme.example>")
    monkeypatch.setenv("PUBLIC_URL", PUBLIC)
    return smtp_server


def draft(engine: Engine, seller: User) -> Quote:
    request = example("MX")
    request.pop("date", None)  # priced today, so it can be sent today
    with Session(engine, expire_on_commit=False) as session:
        quote = services.create_quote(session, request, seller)
        session.commit()
        return quote


def sent(engine: Engine, seller: User) -> Quote:
    """A quote sent (in this process, no email): the desk emails it again with no send
    job, its PDF being kept already (a draft is sent by a job first: test_queue_pdfs)."""
    quote = draft(engine, seller)
    with Session(engine, expire_on_commit=False) as session:
        quote = services.send_quote(session, quote.ref, services.get_user(session, SELLER))
        session.commit()
        return quote


def desk(engine: Engine, smtp: SmtpServer, queue_url: str | None) -> FlaskClient:
    client = create_app({"ENGINE": engine, "SECRET_KEY": "test-secret", "TESTING": True,
                         "WTF_CSRF_ENABLED": False, "PUBLIC_URL": PUBLIC,
                         "MAIL_URL": smtp.url, "QUEUE_URL": queue_url}).test_client()
    assert client.post("/login", data={"email": SELLER, "password": PASSWORD}
                       ).status_code == 302
    return client


def send_from_the_desk(client: FlaskClient, quote: Quote) -> None:
    response = client.post(f"/quotes/{quote.ref}/send", data={
        "recipients": CLIENT, "subject": "", "body": "", "seen_revision": "1"})
    assert response.status_code == 302, response.get_data(as_text=True)


def messages(engine: Engine) -> list[OutboxMessage]:
    with Session(engine) as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def run_cli(*args: str, **env: str) -> Result:
    return CliRunner().invoke(main, list(args), env=env or None, catch_exceptions=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


# ---------------------------------------------------------------- with a queue


def test_with_a_queue_a_burst_of_sends_from_the_desk_puts_one_job_and_delivers_nothing(
        fresh_engine: Engine, seller: User, environment: SmtpServer,
        queue: Queue, redis_url: str) -> None:
    client = desk(fresh_engine, environment, redis_url)
    for quote in (sent(fresh_engine, seller), sent(fresh_engine, seller)):
        send_from_the_desk(client, quote)

    assert environment.handler.envelopes == []
    assert [m.state for m in messages(fresh_engine)] == ["queued", "queued"]
    # The second send found the first one's job still waiting: that job takes both.
    [job_id] = queue.job_ids
    job = Job.fetch(job_id, connection=queue.connection)
    assert job.func_name == jobs.JOB == "quoting.jobs.deliver_outbox"


def test_the_burst_worker_delivers_the_queued_job_to_the_smtp_server_and_exits(
        fresh_engine: Engine, seller: User, environment: SmtpServer,
        queue: Queue, redis_url: str) -> None:
    send_from_the_desk(desk(fresh_engine, environment, redis_url),
                       draft(fresh_engine, seller))
    [job_id] = queue.job_ids

    result = run_cli("worker", "--burst", QUEUE_URL=redis_url)

    assert result.exit_code == 0, result.output
    [envelope] = environment.handler.envelopes
    assert envelope.rcpt_tos == [CLIENT]
    [message] = messages(fresh_engine)
    assert (message.state, message.attempts) == ("sent", 1)
    assert queue.count == 0
    assert Job.fetch(job_id, connection=queue.connection).get_status() == "finished"
    # Nothing is left to retry, so no wake-up is scheduled.
    assert queue.scheduled_job_registry.get_job_ids() == []


def test_a_second_job_for_a_delivered_message_sends_nothing_again(
        fresh_engine: Engine, seller: User, environment: SmtpServer,
        queue: Queue, redis_url: str) -> None:
    send_from_the_desk(desk(fresh_engine, environment, redis_url),
                       draft(fresh_engine, seller))
    # A duplicate, as a retried or replayed job would be.
    queue.enqueue(jobs.JOB, job_id=f"{queue.name}-again")
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    assert len(environment.handler.envelopes) == 1
    assert [m.attempts for m in messages(fresh_engine)] == [1]


def test_sending_from_the_cli_hands_the_email_to_the_worker(
        fresh_engine: Engine, seller: User, environment: SmtpServer,
        queue: Queue, redis_url: str) -> None:
    quote = draft(fresh_engine, seller)
    result = run_cli("quote", "send", quote.ref, "--to", CLIENT, "--as", SELLER,
                     QUEUE_URL=redis_url)
    assert result.exit_code == 0, result.output
    assert "handed to `quoting worker` (job " in result.stdout
    assert environment.handler.envelopes == []
    assert len(queue.job_ids) == 1
    assert run_cli("worker", "--burst", QUEUE_URL=redis_url).exit_code == 0
    assert len(environment.handler.envelopes) == 1


def test_a_refused_delivery_schedules_a_retry_job_at_its_next_attempt_which_delivers_it(
        fresh_engine: Engine, seller: User, environment: SmtpServer,
        queue: Queue, redis_url: str) -> None:
    environment.handler.refuse = "451 try later"
    send_from_the_desk(desk(fresh_engine, environment, redis_url),
                       draft(fresh_engine, seller))
    before = datetime.now(UTC)
    assert run_cli("worker", "--burst", QUEUE_URL=redis_url).exit_code == 0

    [message] = messages(fresh_engine)
    assert (message.state, message.attempts) == ("queued", 1)
    assert "451" in (message.last_error or "")
    assert message.next_attempt_at > before + timedelta(seconds=59)
    scheduled = queue.scheduled_job_registry
    [wake_id] = scheduled.get_job_ids()  # the burst's own sweep asked for the same one
    wake_at = scheduled.get_scheduled_time(wake_id)
    assert message.next_attempt_at <= wake_at <= message.next_attempt_at + timedelta(
        seconds=1)
    assert Job.fetch(wake_id, connection=queue.connection).func_name == jobs.JOB

    # A minute later (moved back in time rather than waited for), the server accepts:
    # the scheduler puts the wake-up on the queue and the job delivers the message.
    environment.handler.refuse = None
    due = datetime.now(UTC) - timedelta(seconds=5)
    with Session(fresh_engine) as session:
        session.execute(update(OutboxMessage).values(next_attempt_at=due))
        session.commit()
    queue.connection.zadd(scheduled.key, {wake_id: int(due.timestamp())})
    SimpleWorker([queue], connection=queue.connection).work(burst=True, with_scheduler=True)

    assert len(environment.handler.envelopes) == 1
    assert Job.fetch(wake_id, connection=queue.connection).get_status() == "finished"
    [message] = messages(fresh_engine)
    assert (message.state, message.attempts) == ("sent", 2)
    assert scheduled.get_job_ids() == []


def test_runs_that_ask_for_the_same_wake_up_get_one_job(
        fresh_engine: Engine, seller: User, environment: SmtpServer,
        queue: Queue, redis_url: str) -> None:
    send_from_the_desk(desk(fresh_engine, environment, redis_url),
                       sent(fresh_engine, seller))
    factory = sessionmaker(fresh_engine)
    later = datetime.now(UTC) + timedelta(minutes=4)
    with Session(fresh_engine) as session:
        session.execute(update(OutboxMessage).values(next_attempt_at=later))
        session.commit()
    first = jobs.schedule_wake(queue, factory)
    assert first == jobs.schedule_wake(queue, factory)
    assert len(queue.scheduled_job_registry.get_job_ids()) == 1
    assert first is not None
    assert later <= first < later + timedelta(seconds=1)


# ---------------------------------------------------------------- without a queue


def test_without_a_queue_the_request_delivers_and_nothing_is_enqueued(
        fresh_engine: Engine, seller: User, environment: SmtpServer) -> None:
    send_from_the_desk(desk(fresh_engine, environment, None), draft(fresh_engine, seller))
    assert len(environment.handler.envelopes) == 1
    assert [m.state for m in messages(fresh_engine)] == ["sent"]


# ---------------------------------------------------------------- Redis out of reach


def test_with_redis_out_of_reach_the_desk_answers_and_the_burst_worker_delivers_the_outbox(
        fresh_engine: Engine, seller: User, environment: SmtpServer,
        caplog: pytest.LogCaptureFixture) -> None:
    nowhere = f"redis://127.0.0.1:{free_port()}/0"
    with caplog.at_level(logging.WARNING, logger="quoting.jobs"):
        send_from_the_desk(desk(fresh_engine, environment, nowhere),
                           draft(fresh_engine, seller))
    assert "out of reach" in caplog.text
    assert environment.handler.envelopes == []
    # The draft is numbered and its send asked for; no job could be queued for it.
    assert messages(fresh_engine) == []
    with Session(fresh_engine) as session:
        [waiting] = services.pending_sends(session)
    assert waiting.email is not None
    assert list(waiting.email.recipients) == [CLIENT]

    result = run_cli("worker", "--burst", QUEUE_URL=nowhere)

    assert result.exit_code == 0, result.output
    assert "out of reach" in result.stderr
    assert "delivering from the outbox only" in result.stderr
    assert len(environment.handler.envelopes) == 1
    assert [m.state for m in messages(fresh_engine)] == ["sent"]


def test_the_long_running_worker_refuses_to_start_without_its_redis(
        environment: SmtpServer, fresh_engine: Engine) -> None:
    result = run_cli("worker", QUEUE_URL=f"redis://127.0.0.1:{free_port()}/0")
    assert result.exit_code != 0
    assert "out of reach" in result.stderr
    assert "unset QUEUE_URL" in result.stderr


def test_a_queue_url_that_is_not_redis_is_refused_naming_the_setting() -> None:
    with pytest.raises(ValueError, match="QUEUE_URL must be redis://"):
        jobs.check_queue_url("amqp://guest:secret@127.0.0.1/")
