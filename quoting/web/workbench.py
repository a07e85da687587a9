"""What a salesperson expects beside the quote list: a home page (my open quotes,
what expires this week, follow-ups due, discounts waiting for me), finance's
approval inbox, notes and a follow-up day on a quote, quote templates, and the
quote list as CSV.

Views parse, call `quoting.services`, commit once and redirect (post-redirect-get);
bad input re-renders the page with what was typed and the problem beside its field.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response as BaseResponse

from quoting import services
from quoting.errors import FieldProblem, QuoteInputError
from quoting.i18n import market_today
from quoting.services import NotFound, ServiceError
from quoting.store.models import Quote
from quoting.store.workbench import NOTE_MAX_LENGTH, TEMPLATE_NAME_MAX_LENGTH
from quoting.web import db_session, quotes
from quoting.web.auth import signed_in
from quoting.web.formatting import STATUS_LABELS
from quoting.web.forms import QuoteForm
from quoting.web.guards import guard
from quoting.web.refusals import refusal_message
from quoting.web.text import _

bp = guard(Blueprint("workbench", __name__))


def register(app: Any) -> None:
    app.register_blueprint(bp)


def _own_only() -> bool:
    return quotes.own_quotes_only()


# ---------------------------------------------------------------- home and inbox


@bp.route("/home")
def home() -> str:
    user = signed_in()
    view = services.home_for(db_session(), user)
    return render_template("home.html", home=view, today=market_today)


@bp.route("/inbox")
def inbox() -> str:
    user = signed_in()
    if user.role not in services.MANAGERS:
        abort(403, description=_("Only finance or admin users decide on discounts."))
    waiting = services.approval_inbox(db_session(), user)
    return render_template("inbox.html", waiting=waiting, limit=services.home.INBOX_LIMIT)


# ---------------------------------------------------------------- notes and follow-up


def _problem_text(field: str, problem: Any) -> str:
    """A field problem of the notes, follow-up and template forms, in the user's words."""
    params = dict(problem.params)
    messages = {
        ("note", "empty"): lambda: _("Write the note before adding it."),
        ("note", "too_long"): lambda: _(
            "A note has at most %(max)s characters; this one has %(length)s.",
            max=params.get("max", NOTE_MAX_LENGTH), length=params.get("length", "")),
        ("follow_up_on", "bad_date"): lambda: _(
            "Write the day as 2026-11-25 (year-month-day)."),
        ("follow_up_on", "no_day"): lambda: _("Choose the day to follow up."),
        ("follow_up_on", "in_past"): lambda: _(
            "That day has passed: choose today or a later day."),
        ("name", "empty"): lambda: _("Give the template a name."),
        ("name", "too_long"): lambda: _(
            "A template name has at most %(max)s characters.",
            max=params.get("max", TEMPLATE_NAME_MAX_LENGTH)),
        ("name", "duplicate"): lambda: _(
            "You already have a template called “%(name)s”: choose another name.",
            name=params.get("name", "")),
    }
    chosen = messages.get((field, problem.code))
    return chosen() if chosen else problem.message


def _refused_on_page(number: str, exc: QuoteInputError, typed: dict[str, str]
                     ) -> tuple[str, int]:
    """The quote page again, with what was typed kept and the problem beside its field."""
    g.workbench_errors = {p.field: _problem_text(p.field, p) for p in exc.problems}
    g.workbench_typed = typed
    return quotes.show(number), 422


def _refused(number: str, exc: ServiceError) -> BaseResponse:
    if isinstance(exc, NotFound):
        abort(404, description=_("There is no quote %(number)s.", number=number))
    messages = {"not_follow_up_editor": _(
        "Only the quote's owner or an admin can set its follow-up day.")}
    flash(messages.get(exc.code or "") or refusal_message(exc), "error")
    return redirect(url_for("quotes.show", number=number))


@bp.route("/quotes/<number>/notes", methods=["POST"])
def add_note(number: str) -> BaseResponse | tuple[str, int]:
    quotes.load_quote(number)  # 404 for a quote this user may not see
    body = request.form.get("note", "")[:NOTE_MAX_LENGTH * 4]
    session = db_session()
    try:
        services.add_note(session, number, signed_in(), body, own_quotes_only=_own_only())
        session.commit()
    except QuoteInputError as exc:
        session.rollback()
        return _refused_on_page(number, exc, {"note": body})
    except ServiceError as exc:
        session.rollback()
        return _refused(number, exc)
    flash(_("Note added."), "success")
    return redirect(url_for("quotes.show", number=number, _anchor="notes"))


@bp.route("/quotes/<number>/follow-up", methods=["POST"])
def follow_up(number: str) -> BaseResponse | tuple[str, int]:
    quotes.load_quote(number)
    clearing = request.form.get("action") == "clear"
    typed = "" if clearing else request.form.get("follow_up_on", "")[:40]
    if not clearing and not typed.strip():
        exc = QuoteInputError([FieldProblem("follow_up_on", "choose a day", code="no_day")])
        return _refused_on_page(number, exc, {"follow_up_on": typed})
    session = db_session()
    try:
        kept = services.set_follow_up(session, number, signed_in(), typed,
                                      own_quotes_only=_own_only())
        session.commit()
    except QuoteInputError as exc:
        session.rollback()
        return _refused_on_page(number, exc, {"follow_up_on": typed})
    except ServiceError as exc:
        session.rollback()
        return _refused(number, exc)
    if kept is None:
        flash(_("Follow-up day cleared."), "success")
    else:
        flash(_("Follow-up day set."), "success")
    return redirect(url_for("quotes.show", number=number, _anchor="follow-up"))


def workbench_for(quote: Quote) -> dict[str, Any]:
    """What the quote page's notes panel shows (templates/web/quotes/_notes.html)."""
    session = db_session()
    user = signed_in()
    follow = services.follow_up_of(session, quote)
    return {
        "notes": services.quote_notes(session, quote),
        "follow_up_on": follow.follow_up_on if follow else None,
        "may_set_follow_up": services.may_set_follow_up(user, quote)
                             and quote.status != "deleted",
        "today": market_today(quote.market),
        "errors": g.get("workbench_errors", {}),
        "typed": g.get("workbench_typed", {}),
        "note_max": NOTE_MAX_LENGTH,
        "name_max": TEMPLATE_NAME_MAX_LENGTH,
    }


@bp.app_context_processor
def _workbench_globals() -> dict[str, Any]:
    return {"workbench_for": workbench_for}


# ---------------------------------------------------------------- templates


@bp.route("/quotes/<number>/template", methods=["POST"])
def save_template(number: str) -> BaseResponse | tuple[str, int]:
    quotes.load_quote(number)
    name = request.form.get("name", "")[:TEMPLATE_NAME_MAX_LENGTH * 4]
    session = db_session()
    try:
        template = services.save_template(session, number, signed_in(), name,
                                          own_quotes_only=_own_only())
        session.commit()
    except QuoteInputError as exc:
        session.rollback()
        return _refused_on_page(number, exc, {"name": name})
    except ServiceError as exc:
        session.rollback()
        return _refused(number, exc)
    flash(_("Saved as the template “%(name)s”: start a quote from it under Templates.",
            name=template.name), "success")
    return redirect(url_for("quotes.show", number=number, _anchor="save-template"))


@bp.route("/templates")
def templates() -> str:
    user = signed_in()
    found = services.list_templates(db_session(), user, own_quotes_only=_own_only())
    return render_template("templates_list.html", templates=found,
                           deletable={t.id for t in found
                                      if services.may_delete_template(user, t)})


def _template_id(value: str | None) -> int:
    text = (value or "").strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 9):
        abort(404, description=_("There is no such template."))
    return int(text)


@bp.route("/templates/new-quote")
def new_from_template() -> str:
    """The new-quote form, filled in with a template's scope (no client yet)."""
    try:
        template = services.get_template(db_session(), _template_id(request.args.get("id")),
                                         signed_in(), own_quotes_only=_own_only())
    except NotFound:
        abort(404, description=_("There is no such template."))
    form = QuoteForm.from_request(services.template_request(template))
    flash(_("Started from the template “%(name)s”: fill in the client and check the "
            "scope.", name=template.name), "info")
    return quotes._render_form(form)


@bp.route("/templates/delete", methods=["POST"])
def delete_template() -> BaseResponse:
    session = db_session()
    try:
        template = services.delete_template(session, _template_id(request.form.get("id")),
                                            signed_in(), own_quotes_only=_own_only())
        session.commit()
    except NotFound:
        session.rollback()
        abort(404, description=_("There is no such template."))
    except ServiceError:
        session.rollback()
        flash(_("Only a template's author or an admin can delete it."), "error")
        return redirect(url_for("workbench.templates"))
    flash(_("Template “%(name)s” deleted.", name=template.name), "success")
    return redirect(url_for("workbench.templates"))


# ---------------------------------------------------------------- the list as CSV


def list_filters(args: MultiDict[str, str]) -> tuple[services.QuoteQuery, str, str]:
    """The quote list's filters, search and sort, read exactly as the list reads them
    (quoting.web.quotes.index): what it ignores, this ignores too."""

    def day(name: str) -> date | None:
        value = args.get(name, "").strip()
        if not value or not quotes.ISO_DATE.fullmatch(value):
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None

    market = args.get("market", "").upper()
    status = args.get("status", "")
    filters = services.QuoteQuery(
        market=market if market in quotes.MARKETS else None,
        status=status if status in STATUS_LABELS else None,
        owner_email=args.get("owner") or None,
        quote_date_from=day("from"), quote_date_to=day("to"),
    )
    sort = args.get("sort", "-date")
    return filters, args.get("q", "")[:100], sort if sort in quotes.SORTS else "-date"


def _csv_headers() -> list[str]:
    titles = {
        "reference": _("Number"), "client_name": _("Client"), "client_tax_id": _("Tax ID"),
        "market": _("Market"), "status": _("Status"), "quote_date": _("Date"),
        "valid_until": _("Valid until"), "program_currency": _("Program currency"),
        "program_total": _("Program total"), "license_currency": _("Licenses currency"),
        "license_total": _("Licenses total"), "owner_email": _("Owner"),
    }
    return [titles[column] for column in services.LIST_CSV_COLUMNS]


@bp.route("/quotes.csv")
def list_csv() -> Response:
    """Every row the quote list shows for the same query string, all pages."""
    filters, text, sort = list_filters(request.args)
    session = db_session()
    owner_id = services.owner_restriction(signed_in(), own_quotes_only=_own_only())
    try:
        rows = services.iter_list(session, filters, text, sort=sort, owner_id=owner_id)
    except QuoteInputError:  # as the list does: a filter it cannot use shows everything
        rows = services.iter_list(session, sort=sort, owner_id=owner_id)
    headers = _csv_headers()
    labels = {code: str(label) for code, label in STATUS_LABELS.items()}

    def generate() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        buffer.write("\ufeff")  # so spreadsheets read the accents as UTF-8
        writer.writerow(headers)
        for count, item in enumerate(rows, start=1):
            writer.writerow(services.list_csv_values(item, lambda s: labels.get(s, s)))
            if count % 500 == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    stamp = date.today().isoformat()  # noqa: DTZ011  # only names the file
    response = Response(stream_with_context(generate()), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="quotes-{stamp}.csv"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
