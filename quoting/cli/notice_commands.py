"""`quoting remind`: tell owners which sent quotes expire soon (for cron)."""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy.orm import sessionmaker

from quoting import jobs, services
from quoting.cli.store_commands import _day, open_engine, unit_of_work, with_today

DEFAULT_DAYS = 3


@click.command("remind")
@click.option("--days", type=click.IntRange(0, 60), default=DEFAULT_DAYS, show_default=True,
              help="Remind about sent quotes whose validity ends within this many days.")
@with_today
def remind(days: int, today: Any) -> None:
    """Tell the owner of each sent quote the client has not answered, whose validity
    ends within DAYS days, on the desk and by mail; each owner is told once per quote
    revision, so running it daily (cron) is safe."""
    with unit_of_work("--days") as session:
        quotes = services.remind_expiring(session, days, _day(today))
        lines = [f"{quote.ref}: {quote.owner.email} reminded (valid until "
                 f"{quote.valid_until})" for quote in quotes]
    for line in lines:
        click.echo(line)
    click.echo(f"{len(lines)} reminder(s) written")
    if lines:
        hand_on_outbox()


def hand_on_outbox() -> None:
    """The emails just written go to the queue's workers (QUEUE_URL), else out now;
    whatever is not handed on waits in the outbox for `quoting worker`."""
    from quoting.web import outbox_mailer, settings_from_environment

    settings = settings_from_environment()
    engine = open_engine()
    try:
        dispatch = jobs.enqueue_delivery(settings.get("QUEUE_URL"),
                                         sessionmaker(engine, expire_on_commit=False),
                                         outbox_mailer(settings))
    finally:
        engine.dispose()
    for outcome in dispatch.deliveries:
        state = "sent" if outcome.error is None else f"{outcome.state} ({outcome.error})"
        click.echo(f"email {outcome.message_id}: {state}")


def register(main: click.Group) -> None:
    main.add_command(remind)
