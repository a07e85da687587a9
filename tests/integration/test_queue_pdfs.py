"""With QUEUE_URL no desk request renders a PDF: a saved draft's PDF is rendered by a
job into the cache the preview reads (the preview waits for it with a 202 page); a
send is numbered in the request and done by a job, which keeps the PDF once however
often it runs; a worker killed in the middle of a send loses nothing.

The queue is TEST_QUEUE_URL's Redis (default redis://127.0.0.1:6379/13) under a queue
name of each test's own (tests.integration.test_queue's fixtures); without Redis these
tests are skipped, unless REQUIRE_REDIS=1 (or CI). The jobs run in a SimpleWorker in
this process, except in the last test: real `quoting worker` processes, one killed
with SIGKILL while it sends.
"""

# ruff: noqa: F811  (the fixtures of test_queue, imported, are the tests' arguments)
from __future__ import annotations

import contextlib
import hashlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from rq import Queue, SimpleWorker
from rq.job import Job
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from quoting import jobs, services
from quoting.store.models import AuditEvent, Quote, QuoteRevision, RevisionPdf, User
from tests.integration.test_queue import (  # noqa: F401  (fixtures)
    CLIENT,
    SELLER,
    _signal_handlers_restored,
    desk,
    draft,
    environment,
    free_port,
    messages,
    queue,
    redis_url,
    run_cli,
    seller,
    send_from_the_desk,
    sent,
)
from tests.smtp_server import SmtpServer, smtp_server  # noqa: F401  (fixture)
from tests.web.conftest import form_data

REPO = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------- helpers


def work(queue: Queue) -> None:
    """The queue's jobs, run here until it is empty (the scheduler's too)."""
    SimpleWorker([queue], connection=queue.connection).work(burst=True, with_scheduler=True)


def quote_of(engine: Engine, ref: str) -> Quote:
    with Session(engine, expire_on_commit=False) as session:
        return services.get_quote(session, ref)


def record_of(engine: Engine, ref: str) -> dict[str, Any]:
    """What a send leaves: the quote's status and number, its PDFs kept, its sends."""
    with Session(engine) as session:
        quote = services.get_quote(session, ref)
        revision = services.current_revision(quote)
        actions = list(session.scalars(select(AuditEvent.action).where(
            AuditEvent.quote_id == quote.id).order_by(AuditEvent.id)))
        kept = session.scalars(select(RevisionPdf).join(
            QuoteRevision, QuoteRevision.id == RevisionPdf.revision_id).where(
            QuoteRevision.quote_id == quote.id)).all()
        return {"status": quote.status, "number": quote.number,
                "pdfs": len(kept), "pdf_sha256": revision.pdf_sha256,
                "kept_sha256": [hashlib.sha256(k.pdf).hexdigest() for k in kept],
                "sends": actions.count("quote.send"),
                "requests": actions.count("send.request"),
                "failures": actions.count("send.fail")}


def press_send(client: FlaskClient, ref: str, revision: int = 1) -> str:
    response = client.post(f"/quotes/{ref}/do/send", data={"seen_revision": str(revision)})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def send_state(client: FlaskClient, ref: str) -> str | None:
    page = client.get(f"/quotes/{ref}").get_data(as_text=True)
    found = re.search(r'data-testid="send-state" data-state="(\w+)"', page)
    return found.group(1) if found else None


@pytest.fixture
def no_render_in_this_process() -> Iterator[Callable[[], None]]:
    """Until the function it gives is called, any render here fails the test: the desk's
    requests must not render (the jobs, run here by a SimpleWorker, may after that)."""
    def refuse(_snapshot: Mapping[str, Any]) -> bytes:
        raise AssertionError("a PDF was rendered in a desk request")

    patch = pytest.MonkeyPatch()
    patch.setattr("quoting.services.documents.render_snapshot", refuse)
    patch.setattr("quoting.services.lifecycle.render_snapshot", refuse)
    try:
        yield patch.undo
    finally:
        patch.undo()


# ---------------------------------------------------------------- draft PDFs


def test_a_saved_draft_gets_one_render_job_and_its_preview_waits_for_it_with_a_202_page(
        fresh_engine: Engine, seller: User, environment: SmtpServer, queue: Queue,
        redis_url: str, no_render_in_this_process: Callable[[], None]) -> None:
    client = desk(fresh_engine, environment, redis_url)
    saved = client.post("/quotes/new", data=form_data("MX"))
    assert saved.status_code == 302
    ref = saved.headers["Location"].rsplit("/", 1)[-1]
    quote = quote_of(fresh_engine, ref)
    render_id = jobs.render_job_id(queue.name, quote.id, 1)
    assert queue.job_ids == [render_id]
    assert Job.fetch(render_id, connection=queue.connection).func_name == jobs.RENDER_JOB

    # Not rendered yet: a page that reloads itself, 202; asked again, still one job.
    for _ in range(2):
        waiting = client.get(f"/quotes/{ref}/pdf")
        assert waiting.status_code == 202
        assert waiting.mimetype == "text/html"
        page = waiting.get_data(as_text=True)
        assert 'data-testid="preparing-pdf" data-state="preparing"' in page
        assert '<meta http-equiv="refresh" content="2">' in page
    assert queue.job_ids == [render_id]

    no_render_in_this_process()
    work(queue)
    assert Job.fetch(render_id, connection=queue.connection).return_value() == "rendered"

    ready = client.get(f"/quotes/{ref}/pdf?download=1")
    assert ready.status_code == 200
    assert ready.mimetype == "application/pdf"
    assert ready.data.startswith(b"%PDF-")
    assert ready.headers["Content-Disposition"].startswith("attachment;")
    # A finished job does not stand for a later ask: a new revision gets its own.
    with Session(fresh_engine) as session:
        services.revise_quote(session, ref, services.current_revision(
            services.get_quote(session, ref)).request, services.get_user(session, SELLER),
            seen_revision=1)
        session.commit()
    assert client.get(f"/quotes/{ref}/pdf").status_code == 202
    assert jobs.render_job_id(queue.name, quote.id, 2) in queue.job_ids


def test_the_cli_queues_the_render_of_a_draft_it_creates(
        fresh_engine: Engine, seller: User, environment: SmtpServer, queue: Queue,
        redis_url: str) -> None:
    result = run_cli("quote", "create", str(REPO / "examples" / "mx.json"), "--as", SELLER,
                     QUEUE_URL=redis_url)
    assert result.exit_code == 0, result.output
    [job_id] = queue.job_ids
    assert job_id == jobs.render_job_id(queue.name, 1, 1)


def test_with_the_queue_out_of_reach_the_preview_says_so_with_a_503_never_a_500(
        fresh_engine: Engine, seller: User, environment: SmtpServer,
        no_render_in_this_process: Callable[[], None]) -> None:
    client = desk(fresh_engine, environment, f"redis://127.0.0.1:{free_port()}/0")
    quote = draft(fresh_engine, seller)
    response = client.get(f"/quotes/{quote.ref}/pdf")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "10"
    assert 'data-state="unreachable"' in response.get_data(as_text=True)


# ---------------------------------------------------------------- sends


def test_mark_as_sent_numbers_the_draft_and_a_job_sends_it_once_however_often_it_runs(
        fresh_engine: Engine, seller: User, environment: SmtpServer, queue: Queue,
        redis_url: str, no_render_in_this_process: Callable[[], None]) -> None:
    client = desk(fresh_engine, environment, redis_url)
    quote = draft(fresh_engine, seller)
    location = press_send(client, quote.ref)

    record = record_of(fresh_engine, quote.ref)
    assert location.endswith(f"/quotes/{record['number']}")
    assert (record["status"], record["pdfs"], record["requests"]) == ("draft", 0, 1)
    send_id = jobs.send_job_id(queue.name, quote.id, 1)
    assert queue.job_ids == [send_id]
    page = client.get(location).get_data(as_text=True)
    assert 'data-testid="send-state" data-state="sending"' in page
    assert f'hx-get="/quotes/{record["number"]}/sending" hx-trigger="every 2s"' in page
    assert "/do/send" not in page  # no second "Mark as sent" while it is being sent
    polled = client.get(f"/quotes/{quote.ref}/sending", headers={"HX-Request": "true"})
    assert polled.status_code == 200
    assert 'data-state="sending"' in polled.get_data(as_text=True)
    assert "HX-Refresh" not in polled.headers
    # Pressed again (an old tab): refused, still one request and one job.
    press_send(client, quote.ref)
    assert record_of(fresh_engine, quote.ref)["requests"] == 1
    assert queue.job_ids == [send_id]

    no_render_in_this_process()
    work(queue)

    record = record_of(fresh_engine, quote.ref)
    assert (record["status"], record["pdfs"], record["sends"]) == ("sent", 1, 1)
    assert record["kept_sha256"] == [record["pdf_sha256"]]
    assert Job.fetch(send_id, connection=queue.connection).return_value() == "sent"
    polled = client.get(f"/quotes/{quote.ref}/sending", headers={"HX-Request": "true"})
    assert polled.headers["HX-Refresh"] == "true"
    assert send_state(client, quote.ref) is None
    assert client.get(f"/quotes/{quote.ref}/pdf").data.startswith(b"%PDF-")

    # The job again (a retry, a duplicate): it finds the send done and does nothing.
    assert jobs.send_requested(quote.ref, 1) == "settled"
    assert record_of(fresh_engine, quote.ref) == record


def test_send_to_client_queues_the_email_only_once_the_job_has_sent_the_draft(
        fresh_engine: Engine, seller: User, environment: SmtpServer, queue: Queue,
        redis_url: str, no_render_in_this_process: Callable[[], None]) -> None:
    client = desk(fresh_engine, environment, redis_url)
    quote = draft(fresh_engine, seller)
    send_from_the_desk(client, quote)

    assert messages(fresh_engine) == []
    assert record_of(fresh_engine, quote.ref)["status"] == "draft"
    page = client.get(f"/quotes/{quote.ref}").get_data(as_text=True)
    assert 'data-state="sending"' in page
    assert CLIENT in page
    assert 'data-testid="send-to-client"' not in page

    no_render_in_this_process()
    work(queue)  # the send, then the delivery job it queued

    record = record_of(fresh_engine, quote.ref)
    assert (record["status"], record["pdfs"], record["sends"]) == ("sent", 1, 1)
    [message] = messages(fresh_engine)
    assert (message.state, message.recipients, message.attachment_revision) == (
        "sent", [CLIENT], 1)
    [envelope] = environment.handler.envelopes
    assert envelope.rcpt_tos == [CLIENT]
    assert record["number"] in envelope.content.decode()

    assert jobs.send_requested(quote.ref, 1) == "settled"
    work(queue)
    assert len(messages(fresh_engine)) == 1
    assert len(environment.handler.envelopes) == 1


def test_a_send_the_worker_cannot_do_is_recorded_shown_and_can_be_asked_again(
        fresh_engine: Engine, seller: User, environment: SmtpServer, queue: Queue,
        redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(_snapshot: Mapping[str, Any]) -> bytes:
        raise RuntimeError("renderer down")

    client = desk(fresh_engine, environment, redis_url)
    quote = draft(fresh_engine, seller)
    press_send(client, quote.ref)
    with monkeypatch.context() as patch:
        patch.setattr("quoting.services.lifecycle.render_snapshot", broken)
        work(queue)

    record = record_of(fresh_engine, quote.ref)
    assert (record["status"], record["pdfs"], record["failures"]) == ("draft", 0, 1)
    page = client.get(f"/quotes/{quote.ref}").get_data(as_text=True)
    assert 'data-testid="send-state" data-state="failed"' in page
    assert "(conserva su número)" in page  # the desk's own words for pdf_not_rendered
    assert "/confirm/send" in page  # sending again is offered, behind its confirmation

    press_send(client, quote.ref)
    work(queue)
    record = record_of(fresh_engine, quote.ref)
    assert (record["status"], record["pdfs"], record["sends"], record["requests"]) == (
        "sent", 1, 1, 2)
    assert send_state(client, quote.ref) is None


def test_a_send_asked_for_while_redis_was_out_of_reach_is_done_by_the_next_worker(
        fresh_engine: Engine, seller: User, environment: SmtpServer, queue: Queue,
        redis_url: str) -> None:
    client = desk(fresh_engine, environment, f"redis://127.0.0.1:{free_port()}/0")
    quote = draft(fresh_engine, seller)
    press_send(client, quote.ref)
    assert record_of(fresh_engine, quote.ref)["status"] == "draft"
    assert queue.job_ids == []

    # A worker that starts queues every send still asked for, and does it.
    assert run_cli("worker", "--burst", QUEUE_URL=redis_url).exit_code == 0
    record = record_of(fresh_engine, quote.ref)
    assert (record["status"], record["pdfs"], record["sends"]) == ("sent", 1, 1)


def test_a_job_lost_between_the_queue_and_its_start_is_queued_again_when_asked_for(
        fresh_engine: Engine, seller: User, environment: SmtpServer, queue: Queue,
        redis_url: str) -> None:
    """A worker that dies after taking a job and before starting it leaves the job
    "queued" but on no queue (RQ would drop it): asking again queues it again."""
    quote = draft(fresh_engine, seller)
    send_id = jobs.send_job_id(queue.name, quote.id, 1)
    assert jobs.enqueue_send(redis_url, quote.id, 1) == send_id
    assert jobs.enqueue_send(redis_url, quote.id, 1) == send_id
    assert queue.job_ids == [send_id]
    queue.connection.lrem(queue.key, 0, send_id)  # taken by a worker that then died
    assert Job.fetch(send_id, connection=queue.connection).get_status() == "queued"
    assert jobs.enqueue_send(redis_url, quote.id, 1) == send_id
    assert queue.job_ids == [send_id]


# ---------------------------------------------------------------- a worker killed


WORKER = """
import sys
from quoting import jobs
from quoting.cli import main

jobs.QUEUE_NAME = sys.argv[1]  # the test's queue; otherwise `quoting worker` as it is
main(["worker"])
"""


def process_tree(pid: int) -> list[int]:
    """The process and its descendants (Linux's /proc): a worker, its scheduler, and its
    work horse, which RQ puts in a process group of its own."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # ended meanwhile
        children.setdefault(ppid, []).append(int(stat.parent.name))
    tree, todo = [], [pid]
    while todo:
        found = todo.pop()
        tree.append(found)
        todo += children.get(found, [])
    return tree


def kill_tree(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL to the process and all its descendants at once, as a machine's crash."""
    for pid in process_tree(process.pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    process.wait(timeout=10)


@pytest.fixture
def start_worker(fresh_database_url: str, redis_url: str, queue: Queue, tmp_path: Path,
                 ) -> Iterator[Callable[[str], subprocess.Popen[bytes]]]:
    """`quoting worker` in processes of their own, on the test's database and queue."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("MAIL_URL", "SIGNING_CERT", "SIGNING_KEY", "QUOTING_USER")}
    env.update(DATABASE_URL=fresh_database_url, QUEUE_URL=redis_url,
               QUOTING_PDF_CACHE=str(tmp_path / "pdf-cache"),
               OUTBOX_DIR=str(tmp_path / "outbox"), PUBLIC_URL="https://quotes.example.com")
    started: list[subprocess.Popen[bytes]] = []

    def start(name: str) -> subprocess.Popen[bytes]:
        with (tmp_path / f"{name}.log").open("wb") as log:
            process = subprocess.Popen([sys.executable, "-c", WORKER, queue.name],
                                       cwd=REPO, env=env, stdout=log,
                                       stderr=subprocess.STDOUT)
        started.append(process)
        return process

    try:
        yield start
    finally:
        for process in started:
            if process.poll() is None:
                kill_tree(process)
        for worker_key in queue.connection.smembers(f"rq:workers:{queue.name}"):
            queue.connection.delete(worker_key)
            queue.connection.srem("rq:workers", worker_key)


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> float:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > seconds:
            pytest.fail(f"{what}: not within {seconds} s")
        time.sleep(0.01)
    return time.monotonic() - started


@pytest.mark.real_pdf
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc")
def test_a_worker_killed_while_it_sends_loses_nothing_and_the_pdf_is_kept_once(
        fresh_engine: Engine, seller: User, environment: SmtpServer, queue: Queue,
        redis_url: str, start_worker: Callable[[str], subprocess.Popen[bytes]],
        tmp_path: Path) -> None:
    client = desk(fresh_engine, environment, redis_url)
    quote = draft(fresh_engine, seller)
    send_from_the_desk(client, quote)  # Send to client: sent, then emailed
    send_id = jobs.send_job_id(queue.name, quote.id, 1)
    started = queue.started_job_registry

    first = start_worker("first")
    wait_for(lambda: send_id in started.get_job_ids() and Job.fetch(
        send_id, connection=queue.connection).get_status() == "started", 60,
        "the send job started")
    kill_tree(first)  # the worker, its work horse, its scheduler

    # Killed mid-job: numbered, not sent, nothing kept; RQ still calls the job started.
    record = record_of(fresh_engine, quote.ref)
    assert (record["status"], record["pdfs"], record["sends"]) == ("draft", 0, 0), (
        (tmp_path / "first.log").read_text())
    assert record["number"] is not None
    assert send_id in started.get_job_ids()

    # A new worker queues the send again at its start (RQ would retry the job only once
    # the dead worker's heartbeat lapses), and sends it.
    second = start_worker("second")
    took = wait_for(lambda: record_of(fresh_engine, quote.ref)["status"] == "sent", 90,
                    "the quote sent by the second worker")
    record = record_of(fresh_engine, quote.ref)
    assert (record["pdfs"], record["sends"], record["requests"]) == (1, 1, 1), (
        (tmp_path / "second.log").read_text())
    assert record["kept_sha256"] == [record["pdf_sha256"]]
    # The email, written with the send, delivered by the second worker (an .eml file).
    outbox = tmp_path / "outbox"
    wait_for(lambda: [m.state for m in messages(fresh_engine)] == ["sent"], 30,
             "the email delivered")
    assert len(list(outbox.glob("*.eml"))) == 1
    print(f"sent by the second worker {took:.1f} s after it started", file=sys.stderr)

    # RQ's own retry of the dead worker's job, once its heartbeat has lapsed (moved
    # forward here rather than waited for; the second worker stopped, the first one's
    # scheduler lock lapsed): it runs, finds the send done, and keeps nothing more.
    second.send_signal(signal.SIGTERM)
    second.wait(timeout=30)
    queue.connection.delete(f"rq:scheduler-lock:{queue.name}")
    started.cleanup(time.time() + 3600)
    scheduled = queue.scheduled_job_registry
    assert send_id in scheduled.get_job_ids()
    queue.connection.zadd(scheduled.key, {send_id: int(time.time()) - 5})
    work(queue)
    assert Job.fetch(send_id, connection=queue.connection).return_value() == "settled"
    assert record_of(fresh_engine, quote.ref) == record
    with Session(fresh_engine) as session:
        assert session.scalar(select(func.count()).select_from(RevisionPdf)) == 1
    assert len(messages(fresh_engine)) == 1
    assert len(list(outbox.glob("*.eml"))) == 1


# ---------------------------------------------------------------- receipts


def test_with_a_queue_the_client_s_answer_renders_no_receipt_and_a_worker_makes_and_mails_it(
        fresh_engine: Engine, seller: User, environment: SmtpServer, queue: Queue,
        redis_url: str) -> None:
    quote = sent(fresh_engine, seller)
    client = desk(fresh_engine, environment, redis_url)
    send_from_the_desk(client, quote)  # emailed again: the email carries the link
    work(queue)
    [proposal] = [m for m in messages(fresh_engine) if m.kind == "proposal"]
    token = proposal.body.split("/p/")[1].split()[0]
    visitor = desk(fresh_engine, environment, redis_url).application.test_client()
    renders: list[str] = []
    patch = pytest.MonkeyPatch()
    patch.setattr("quoting.services.receipts.render_receipt",
                  lambda *_args: renders.append("receipt") or b"%PDF-1.7 receipt")

    try:
        answered = visitor.post(f"/p/{token}/accept", data={
            "signer_name": "Lucía Fernández", "signer_position": "CFO", "authorised": "yes"})
        waiting = visitor.get(f"/p/{token}/receipt")
        assert renders == []  # nothing rendered in the client's requests
        work(queue)
        ready = visitor.get(f"/p/{token}/receipt")
    finally:
        patch.undo()

    assert answered.status_code == 303
    assert waiting.status_code == 202
    assert 'http-equiv="refresh"' in waiting.get_data(as_text=True)
    assert renders == ["receipt"]
    assert ready.status_code == 200
    assert ready.data == b"%PDF-1.7 receipt"
    receipts = [m for m in messages(fresh_engine) if m.kind == "receipt"]
    assert [m.state for m in receipts] == ["sent"]
    assert any(CLIENT in e.rcpt_tos and b"receipt.pdf" in e.content
               for e in environment.handler.envelopes)
