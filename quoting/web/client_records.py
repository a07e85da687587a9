"""A client record's page: its quotes, contacts and history, and the audited rename
(a route of the quotes blueprint)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from quoting import services
from quoting.errors import QuoteInputError
from quoting.services import NotFound, ServiceError
from quoting.web import db_session
from quoting.web.auth import signed_in
from quoting.web.quotes import bp, own_quotes_only
from quoting.web.refusals import refusal_message
from quoting.web.text import _


@bp.route("/clients/<int:client_id>", methods=["GET", "POST"])
def client(client_id: int) -> BaseResponse | tuple[str, int] | str:
    """A client record: name, tax ID, contacts, its history of changes and its quotes;
    renaming it is an explicit, audited act that leaves existing quotes as quoted."""
    session = db_session()
    if client_id > 2**62:
        abort(404, description=_("There is no such client."))
    try:
        record = services.get_client(session, client_id)
    except NotFound:
        abort(404, description=_("There is no such client."))
    user = signed_in()
    if not services.can_view_client(session, user, client_id,
                                    own_quotes_only=own_quotes_only()):
        abort(404, description=_("There is no such client."))
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        name = request.form.get("legal_name", "")
        try:
            services.rename_client(session, client_id, name, user,
                                   reason=request.form.get("reason", "")[:500])
            session.commit()
            flash(_("Client renamed. Quotes already made keep the name they were quoted with."),
                  "success")
            return redirect(url_for("quotes.client", client_id=client_id))
        except QuoteInputError:
            session.rollback()
            errors = {"legal_name": _("Give the client's legal name (at most 200 characters).")}
            status = 422
        except ServiceError as exc:
            session.rollback()
            flash(refusal_message(exc), "error")
            return redirect(url_for("quotes.client", client_id=client_id))
    page = services.search_quotes(
        session, services.QuoteQuery(market=record.country, client_tax_id=record.tax_id),
        per_page=100,
        owner_id=services.owner_restriction(signed_in(), own_quotes_only=own_quotes_only()))
    return render_template("clients/show.html", client=record, quotes=page,
                           events=services.client_events(session, client_id),
                           may_rename=services.may_rename_client(session, user, client_id),
                           errors=errors), status
