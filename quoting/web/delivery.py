"""After a request commits messages to the outbox (a proposal, a receipt, a notice):
hand them on, to the queue's workers with QUEUE_URL, else delivered in this process."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, Response, current_app, g

from quoting import jobs
from quoting.services.messages import OUTBOX_WRITTEN
from quoting.web import outbox_mailer


def register(app: Flask) -> None:
    app.after_request(_hand_on_what_the_request_wrote)


def _hand_on_what_the_request_wrote(response: Response) -> Response:
    """A request that wrote to the outbox (and committed) hands its messages on."""
    session = g.get("db_session")
    if session is not None and session.info.pop(OUTBOX_WRITTEN, False):
        deliver_outbox()
    return response


def deliver_outbox() -> None:
    """Never fails the request: a message that is not handed on now stays queued in
    the outbox for `quoting worker` (Redis out of reach or the SMTP server down is
    logged)."""
    try:
        jobs.enqueue_delivery(current_app.config.get("QUEUE_URL"),
                              current_app.extensions["quoting.sessions"],
                              outbox_mailer(current_app.config, Path(current_app.instance_path)))
    except Exception:  # the messages are kept; the worker will try again
        current_app.logger.exception("delivering the outbox")
