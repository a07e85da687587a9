"""Sending to the client from the command line: `quoting quote send NUMBER [--to ...]`
and `quoting worker`, which delivers the outbox."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

import click
from redis import RedisError
from sqlalchemy.orm import Session, sessionmaker

from quoting import jobs, services
from quoting.cli.pricing_commands import fail
from quoting.cli.signing_commands import use_configured_signer
from quoting.cli.store_commands import (
    _day,
    _print_quote_line,
    acting_user,
    open_engine,
    quote_group,
    unit_of_work,
    with_actor,
    with_seen_revision,
    with_today,
)

POLL_SECONDS = 5
T = TypeVar("T")


@quote_group.command("send")
@click.argument("number")
@click.option("--to", "recipients", multiple=True, metavar="EMAIL",
              help="Email the proposal to this address (repeat for several, at most 10): "
                   "its PDF and a private link, with the default subject and text.")
@with_actor
@with_today
@with_seen_revision
def quote_send(number: str, recipients: tuple[str, ...], actor_email: str, today: Any,
               seen_revision: int | None) -> None:
    """Send NUMBER: it gets its number (first send), its PDF is rendered and kept as
    sent, and its current revision is frozen from now on. With --to, the proposal is
    also emailed to the client (as the desk's Send to client does; a sent quote is
    emailed again with a new link) through the outbox, delivered at once (with
    QUEUE_URL: by `quoting worker`). The PDF carries the seller's signature when
    SIGNING_CERT and SIGNING_KEY are set."""
    use_configured_signer()
    if recipients:
        _send_to_client(number, list(recipients), actor_email, _day(today), seen_revision)
        return
    with unit_of_work() as session:
        quote = services.send_quote(session, number, acting_user(session, actor_email),
                                    _day(today), seen_revision=seen_revision)
        _print_quote_line(quote)
        sha256 = services.current_revision(quote).pdf_sha256
        click.echo(f"{quote.ref}: PDF archived as sent (SHA-256 {sha256})")


def _setting(name: str) -> Any:
    """A web setting as the app reads it (the environment, else its default)."""
    from quoting.web import settings_from_environment

    return settings_from_environment()[name]


def _send_to_client(number: str, recipients: list[str], actor_email: str,
                    today: date | None, seen_revision: int | None) -> None:
    with unit_of_work("--to") as session:
        message = services.send_to_client(
            session, number, acting_user(session, actor_email), recipients=recipients,
            subject=None, body=None, seen_revision=seen_revision,
            public_url=str(_setting("PUBLIC_URL")), today=today)
        _print_quote_line(message.quote)
        click.echo(f"{message.quote.ref}: email {message.id} queued to "
                   f"{', '.join(message.recipients)}")
        message_id = message.id
    queue_url = _setting("QUEUE_URL")
    dispatch = _with_outbox(lambda factory, mailer: jobs.enqueue_delivery(
        queue_url, factory, mailer))
    for outcome in dispatch.deliveries:
        click.echo(_delivery_line(outcome))
    if dispatch.outcome == "enqueued":
        click.echo(f"email {message_id}: handed to `quoting worker` (job {dispatch.job_id})")
    elif dispatch.outcome == "pending":
        click.echo(f"email {message_id}: handed to `quoting worker` (with the job waiting)")
    elif dispatch.outcome == "unreachable":
        click.echo(f"email {message_id}: the queue at {jobs.safe_url(str(queue_url))} is out "
                   f"of reach ({dispatch.error}); it waits in the outbox for `quoting worker`",
                   err=True)


def _mailer() -> services.Mailer:
    from quoting.web import outbox_mailer, settings_from_environment

    mailer: services.Mailer = outbox_mailer(settings_from_environment())
    return mailer


def _deliver() -> list[Any]:
    return _with_outbox(lambda factory, mailer: services.deliver_due(factory, mailer=mailer))


def _with_outbox(run: Callable[[Callable[[], Session], services.Mailer], T]) -> T:
    """`run` with a session factory on the database and the settings' mailer."""
    engine = open_engine()
    try:
        return run(sessionmaker(engine, expire_on_commit=False), _mailer())
    finally:
        engine.dispose()


def _delivery_line(outcome: Any) -> str:
    if outcome.error is None:
        return f"email {outcome.message_id}: sent"
    return f"email {outcome.message_id}: {outcome.state} ({outcome.error})"


@click.command("worker")
@click.option("--burst", is_flag=True,
              help="Deliver what is due, then exit (default: keep working; without "
                   "QUEUE_URL, polling the outbox every 5 s).")
def worker(burst: bool) -> None:
    """Deliver the outbox: emails to clients, through MAIL_URL (else .eml files under
    OUTBOX_DIR). A failed attempt is retried after 1, 2, 4, 8 minutes; the fifth
    failure marks the email failed. With QUEUE_URL, an RQ worker on its queue (retries
    are jobs scheduled for their time) that also renders the desk's PDFs and does the
    sends it asks for (signed with SIGNING_CERT and SIGNING_KEY; at start, every send
    still asked for is queued again); --burst works through the queue, then delivers
    whatever is still due in the outbox (all of it if Redis is out of reach)."""
    queue_url = _setting("QUEUE_URL")
    if queue_url:
        _work_the_queue(str(queue_url), burst)
        return
    while True:
        for outcome in _deliver():
            click.echo(_delivery_line(outcome))
        if burst:
            return
        time.sleep(POLL_SECONDS)


def _work_the_queue(queue_url: str, burst: bool) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    use_configured_signer()  # the sends the desk hands to the queue are signed here
    try:
        jobs.run_worker(queue_url, burst=burst)
    except RedisError as exc:
        message = f"the queue at {jobs.safe_url(queue_url)} is out of reach ({exc})"
        if not burst:
            fail(f"{message}: start Redis, or unset QUEUE_URL to poll the outbox instead")
        click.echo(f"{message}: delivering from the outbox only", err=True)
    if burst:  # whatever a lost job, or Redis out of reach, left due: sends, then emails
        for ref, revision, sent in _with_outbox(
                lambda factory, _mailer: jobs.perform_pending_sends(factory)):
            click.echo(f"{ref} revision {revision}: send asked for at the desk: {sent}")
        for outcome in _with_outbox(lambda factory, mailer: jobs.sweep(
                queue_url, factory, mailer)):
            click.echo(_delivery_line(outcome))


def register(main: click.Group) -> None:
    main.add_command(worker)
