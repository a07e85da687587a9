"""The database out of reach (restarting, failing over, the network): a 503 with
Retry-After through the usual error pages (JSON under /api/), never a 500 and
never the driver's message. Connections broken by a restart are replaced: the
engine pings a pooled connection before using it (quoting.store.db.make_engine)."""

from __future__ import annotations

from flask import Flask, current_app, g, make_response, request
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import ServiceUnavailable

RETRY_SECONDS = 5
API_PREFIX = "/api/"


def register(app: Flask) -> None:
    app.register_error_handler(OperationalError, _database_unreachable)
    app.register_error_handler(DBAPIError, _database_unreachable)


def _database_unreachable(error: DBAPIError) -> ResponseReturnValue:
    if not (isinstance(error, OperationalError) or error.connection_invalidated):
        raise error  # a refused statement is a bug to see, not an outage to hide
    current_app.logger.error("database unreachable: %s", type(error.orig).__name__)
    session = g.get("db_session")
    if session is not None:
        try:
            session.rollback()
        except DBAPIError:  # the connection is gone; the pool replaces it
            session.invalidate()
    if request.path.startswith(API_PREFIX):
        unavailable = ServiceUnavailable("the database cannot be reached; try again shortly",
                                         retry_after=RETRY_SECONDS)
        return current_app.handle_http_exception(unavailable)
    # A page of its own, rendered without the context processors: they look up the
    # signed-in user, which needs the database.
    page = current_app.jinja_env.get_template("unavailable.html").render(
        lang=str(get_locale() or "es"))
    response = make_response(page, 503)
    response.headers["Retry-After"] = str(RETRY_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    return response
