"""API tokens for finance, managed by an admin in the browser (the CLI's
`quoting token create|list|revoke`, same services). A new token's secret is
shown once, on the page that created it, and never again."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response

from quoting import api_tokens
from quoting.errors import QuoteInputError
from quoting.store.errors import NotFound, ServiceError
from quoting.store.models import Role, User
from quoting.web import db_session
from quoting.web.auth import signed_in
from quoting.web.guards import guard
from quoting.web.text import _

bp = guard(Blueprint("tokens", __name__, url_prefix="/admin/tokens"))

DEFAULT_DAYS = 90


def _admin() -> User:
    user = signed_in()
    if user.role != Role.ADMIN:
        abort(403, description=_("Only an admin can manage API tokens."))
    return user


def _page(status: int = 200, *, secret: str | None = None,
          errors: dict[str, str] | None = None) -> tuple[str, int]:
    session = db_session()
    now = datetime.now(UTC)
    tokens = [{"token": token, "state": api_tokens.token_state(token, now)}
              for token in api_tokens.list_tokens(session)]
    form = {"email": request.form.get("email", ""), "name": request.form.get("name", ""),
            "days": request.form.get("days", str(DEFAULT_DAYS)),
            "scopes": request.form.getlist("scopes") or list(api_tokens.SCOPES)}
    return render_template("tokens.html", tokens=tokens, secret=secret, errors=errors or {},
                           form=form, all_scopes=api_tokens.SCOPES), status


@bp.route("", methods=["GET"])
def index() -> tuple[str, int]:
    _admin()
    # A token just created is shown once: taken out of the session as it is shown, so
    # a reload neither shows it again nor creates another (post-redirect-get).
    return _page(secret=session.pop(NEW_SECRET, None))


NEW_SECRET = "new_api_token"


def _problem(field: str) -> str:
    """A refused field said in the user's language (the service says it in English)."""
    return {
        "days": _("Give between 1 and %(max)s days.", max=api_tokens.MAX_DAYS),
        "name": _("Give the token a label of 1 to 100 characters."),
        "scopes": _("Choose at least one scope."),
    }.get(field, _("Check this field."))


@bp.route("", methods=["POST"])
def create() -> Response | tuple[str, int]:
    admin = _admin()
    store = db_session()
    days_text = request.form.get("days", "").strip()
    if not days_text.isdigit():
        return _page(422, errors={"days": _("Give the number of days as a whole number.")})
    try:
        issued = api_tokens.create_token(
            store, admin, request.form.get("email", ""), name=request.form.get("name", ""),
            scopes=request.form.getlist("scopes"), days=int(days_text))
        store.commit()
    except QuoteInputError as exc:
        store.rollback()
        return _page(422, errors={p.field: _problem(p.field) for p in exc.problems})
    except NotFound:
        store.rollback()
        return _page(422, errors={"email": _("No active user has this email.")})
    except ServiceError:
        store.rollback()
        return _page(422, errors={"email": _("API tokens are for finance and admin users.")})
    session[NEW_SECRET] = issued.secret
    return redirect(url_for("tokens.index"))


@bp.route("/<int:token_id>/revoke", methods=["POST"])
def revoke(token_id: int) -> Response:
    admin = _admin()
    session = db_session()
    try:
        api_tokens.revoke_token(session, admin, token_id)
        session.commit()
    except ServiceError as exc:
        session.rollback()
        abort(404, description=str(exc))
    flash(_("The token was revoked: it no longer opens the API."), "info")
    return redirect(url_for("tokens.index"))
