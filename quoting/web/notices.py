"""The desk's notifications: what the client did with a proposal, discounts waiting
for a decision or decided, quotes about to expire (quoting.services.notifications).
The top bar shows how many are unread; the page lists the latest and marks them
read on request."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import get_locale
from werkzeug.wrappers import Response

from quoting import services
from quoting.web import db_session
from quoting.web.auth import signed_in
from quoting.web.guards import guard
from quoting.web.text import ngettext

bp = guard(Blueprint("notices", __name__, url_prefix="/notifications"))


@bp.route("", methods=["GET"])
def index() -> str:
    session = db_session()
    user = signed_in()
    notices = services.notices_for(session, user, str(get_locale() or "es"))
    return render_template("notices.html", notices=notices,
                           unread=sum(1 for n in notices if not n.read))


@bp.route("/read", methods=["POST"])
def mark_read() -> Response:
    session = db_session()
    count = services.mark_read(session, signed_in())
    session.commit()
    if count:
        flash(ngettext("Marked %(num)s notification as read.",
                       "Marked %(num)s notifications as read.", count), "success")
    return redirect(url_for("notices.index"))


def unread_notices() -> int:
    """For the top bar: the signed-in user's unread notifications."""
    return services.unread_count(db_session(), signed_in())
