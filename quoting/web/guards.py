"""The checks every sales-desk page goes through, registered on each desk blueprint
(`guard(bp)`), so they run for the desk's own routes and never for the finance API,
which has hooks of its own: no oversized body or control character, a CSRF token
on every form post, a signed-in user except on the public pages."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from quoting.web import input_guard
from quoting.web.extensions import csrf
from quoting.web.text import _

# Endpoints reachable without signing in; tests/web/test_routes.py lists every route.
# The client's pages (quoting.web.client_pages) open with a private link instead.
PUBLIC_ENDPOINTS = frozenset({"auth.login", "auth.set_language", "static",
                              "client_pages.proposal", "client_pages.pdf",
                              "client_pages.receipt", "client_pages.current",
                              "client_pages.accept", "client_pages.decline",
                              "client_pages.asset",
                              # Operations (quoting.web.ops): health, readiness, and
                              # metrics (which answers 404 to whoever may not read it).
                              "ops.healthz", "ops.readyz", "ops.metrics"})


def guard(bp: Blueprint) -> Blueprint:
    bp.before_request(refuse_hostile_input)
    bp.before_request(require_sign_in)
    return bp


def is_public(endpoint: str | None) -> bool:
    return endpoint in PUBLIC_ENDPOINTS


def refuse_hostile_input() -> tuple[str, int] | None:
    """413 for a body over MAX_CONTENT_LENGTH (before reading it), 400 for a control
    character in any field: checked before sign-in, CSRF or any view."""
    if input_guard.body_too_large():
        abort(413)
    field = input_guard.field_with_control_character(form=True, path=True)
    if field is None:
        return None
    message = _("The field “%(field)s” contains a character that is not allowed "
                "(a control character such as NUL). Nothing was saved: remove it "
                "and try again.", field=field)
    return render_template("error.html", code=400, title=_("Invalid character"),
                           message=message), 400


# Saving the quote form never loses what was typed: an ended session or an expired
# CSRF token on these posts is handled by quoting.web.kept_work (it keeps the form
# and asks to sign in again in place), not refused here.
KEEPS_TYPED_WORK = frozenset({"quotes.new", "quotes.edit"})


def csrf_checked() -> bool:
    return bool(current_app.config.get("WTF_CSRF_ENABLED", True))


def require_sign_in() -> BaseResponse | None:
    if request.method == "POST" and request.endpoint in KEEPS_TYPED_WORK:
        return None
    if request.headers.get("HX-Request") and not is_public(request.endpoint) \
            and not current_user.is_authenticated:
        # An ended session during live pricing (its CSRF token went with it): 401, and
        # the page stays as it is (desk.js says the total is out of date); leaving for
        # the sign-in page would throw away everything typed.
        return Response(status=401)
    if request.method not in ("GET", "HEAD", "OPTIONS") and csrf_checked():
        csrf.protect()
    if is_public(request.endpoint) or current_user.is_authenticated:
        return None
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
