"""The client's side, with no account: a private link opens the proposal sent, its
PDF as kept when sent, and a form to accept or decline it online.

`/p/<token>` shows the proposal as a web page (the same words and figures as its
PDF: the body of `proposal_html(snapshot)`, styled by the proposal's own CSS and
served under this site's Content-Security-Policy), in the revision's language;
above it, when an earlier revision was sent to the client, what changed since then
(quoting.web.client_changes).
Nothing here needs a signed-in user (quoting.web.guards lists these endpoints as
public), but hostile input is refused and every form post needs its CSRF token.
An unknown token gets a 404 that says nothing about any quote, and counts
against the client address: too many and every link page answers 429 for a
while. A desk user signed in in the same browser sees the page but is not
counted as the client, and cannot decide in the client's name.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import force_locale, format_date
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from markupsafe import Markup
from werkzeug.exceptions import HTTPException

from quoting import jobs, paths, services
from quoting.errors import QuoteInputError
from quoting.services import ClientLinkView, ServiceError
from quoting.web import db_session, guards, input_guard, ratelimits
from quoting.web.client_changes import changes_section
from quoting.web.client_wording import client_wording
from quoting.web.extensions import csrf
from quoting.web.responses import pdf_response
from quoting.web.text import _

bp = Blueprint("client_pages", __name__)

LANGUAGES = ("es", "en", "pt")
# Unknown tokens per client address in a moving window; then 429 (app config may
# override both).
FAILURES_PER_ADDRESS = 30
FAILURE_WINDOW_SECONDS = 300
PROPOSAL_ASSETS = paths.TEMPLATES_DIR / "proposal"
ASSETS: dict[str, tuple[Path, str]] = {
    "proposal.css": (PROPOSAL_ASSETS / "proposal.css", "text/css"),
    "client.css": (paths.TEMPLATES_DIR / "web" / "client" / "client.css", "text/css"),
    **{f"fonts/{name}": (PROPOSAL_ASSETS / "fonts" / name, "font/ttf")
       for name in ("NotoSans-Regular.ttf", "NotoSans-SemiBold.ttf", "NotoSans-Bold.ttf",
                    "NotoSans-Italic.ttf", "NotoEmoji-Regular.ttf")},
}
ASSET_MAX_AGE = 3600
BODY = re.compile(r"<body[^>]*>(.*)</body>", re.DOTALL)
# The proposal sets a column width or two inline (fine in a PDF); the site's CSP
# refuses inline styles, so the web page takes them from client.css instead.
INLINE_STYLE = re.compile(r"""\sstyle=("[^"]*"|'[^']*')""")
# The contents list's page numbers are the PDF's (written in after layout); on the page
# the titles are links, and the placeholders go.
PAGE_REFERENCE = re.compile(r"<span\b[^>]*\bdata-page-of=[^>]*>[^<]*</span>")
TRUE_WORDS = ("yes", "on", "true", "1")
GONE = ("link_expired", "link_superseded", "link_withdrawn")


# ---------------------------------------------------------------- guards


@bp.before_request
def _refuse_hostile_input() -> ResponseReturnValue | None:
    return guards.refuse_hostile_input()


@bp.before_request
def _protect_forms() -> None:
    """The desk's guard checks CSRF on form posts; these pages do the same."""
    if request.method not in ("GET", "HEAD", "OPTIONS") and current_app.config.get(
            "WTF_CSRF_ENABLED", True):
        csrf.protect()


def _failure_limit() -> tuple[Any, tuple[str, str]]:
    config = current_app.config
    item = ratelimits.per_seconds(
        int(config.get("CLIENT_LINK_FAILURES_PER_ADDRESS", FAILURES_PER_ADDRESS)),
        int(config.get("CLIENT_LINK_FAILURE_WINDOW_SECONDS", FAILURE_WINDOW_SECONDS)))
    return item, ("client-link-address", request.remote_addr or "unknown")


@bp.before_request
def _refuse_when_blocked() -> ResponseReturnValue | None:
    """An address that tried too many unknown tokens gets 429 on every link page."""
    if request.endpoint == "client_pages.asset":
        return None
    item, key = _failure_limit()
    limiter = ratelimits.moving_window()
    if limiter.test(item, *key):
        return None
    wait = ratelimits.seconds_until(limiter.get_window_stats(item, *key).reset_time)
    with force_locale(_browser_language()):
        response = make_response(_gone_page(
            429, _("Too many attempts"),
            _("Too many attempts from your network address. Try again in a few minutes.")))
    response.headers["Retry-After"] = str(wait)
    return response


@bp.errorhandler(CSRFError)
def _csrf_failed(_error: CSRFError) -> ResponseReturnValue:
    with force_locale(_browser_language()):
        # Its own message: the desk's says it to a colleague, this one to the client.
        return _gone_page(400, _("Form expired"), _(
            "This form had expired or did not come from this site. Nothing was "
            "recorded: please go back, reload the page and try again."))


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> ResponseReturnValue:
    code = error.code or 500
    with force_locale(_browser_language()):
        title = {404: _("Not found"), 405: _("Not allowed"), 413: _("Too large")}.get(
            code, _("Something went wrong"))
        return _gone_page(code, title, "")


# ---------------------------------------------------------------- pages


@bp.route("/p/<token>")
def proposal(token: str) -> ResponseReturnValue:
    session = db_session()
    try:
        # A desk user's look, or a HEAD (link previews), is not the client's view.
        view = services.open_client_link(
            session, token, record_view=request.method == "GET" and not _desk_user())
        session.commit()
    except ServiceError as exc:
        session.rollback()
        return _refused(exc, token)
    with client_wording(view.market, _language(view)):
        return _proposal_page(view, token)


@bp.route("/p/<token>/pdf")
def pdf(token: str) -> ResponseReturnValue:
    """The PDF of the revision the link shows, byte for byte as kept when it was sent."""
    session = db_session()
    try:
        view = services.open_client_link(session, token, record_view=False)
        body = services.archived_pdf(session, view.number, view.link.revision)
        if body is None:  # sent before PDFs were kept: rendered, checked and kept now
            body = services.revision_pdf(session, view.number, view.link.revision)
            session.commit()
    except ServiceError as exc:
        session.rollback()
        return _refused(exc)
    return pdf_response(body, f"{view.number}-r{view.link.revision}.pdf", download=True)


@bp.route("/p/<token>/receipt")
def receipt(token: str) -> ResponseReturnValue:
    """The receipt of the client's decision (a one-page PDF/A), as kept when issued."""
    session = db_session()
    try:
        view = services.open_client_link(session, token, record_view=False)
        if view.decision is None:
            session.rollback()
            return _gone_page(404, _("Not found"), "")
        kept = services.receipt_for(session, view.decision)
        queue_url = current_app.config.get("QUEUE_URL")
        if kept is None and queue_url:  # a worker is making it
            jobs.enqueue_receipt(str(queue_url), view.decision.id)
            with client_wording(view.market, _language(view)):
                return _preparing_receipt()
        if kept is None:
            kept = services.issue_receipt(session, view.decision)
        body = kept.pdf
        session.commit()
    except ServiceError as exc:
        session.rollback()
        return _refused(exc)
    return pdf_response(body, f"{view.number}-r{view.link.revision}-receipt.pdf",
                        download=True)


@bp.route("/p/<token>/current", methods=["POST"])
def current(token: str) -> ResponseReturnValue:
    """From a superseded link: email the current proposal (with its own link) to the
    addresses this link was emailed to, at most once an hour."""
    session = db_session()
    try:
        message = services.send_current_to_earlier_recipients(
            session, token, public_url=str(current_app.config["PUBLIC_URL"]))
        language, market = message.language, message.quote.market
        session.commit()
    except ServiceError as exc:
        session.rollback()
        if exc.code not in ("not_emailed", "resent_recently", "no_current_proposal"):
            return _refused(exc)
        language = str(exc.params.get("language") or "")
        with client_wording(_market(exc), language if language in LANGUAGES
                            else _browser_language()):
            return _gone_page(409, _("A newer proposal exists"), {
                "not_emailed": _("This link was not sent by email: ask your contact for "
                                 "the link to the current proposal."),
                "resent_recently": _("The current proposal was emailed less than an hour "
                                     "ago: check your inbox, and your spam folder."),
                "no_current_proposal": _("There is no newer proposal to send yet: your "
                                         "contact will send it when it is ready."),
            }[exc.code])
    with client_wording(market, language if language in LANGUAGES else _browser_language()):
        return _gone_page(200, _("On its way"), _(
            "The current proposal is on its way to the addresses this link was emailed "
            "to, with a new link."))


@bp.route("/p/<token>/accept", methods=["POST"])
def accept(token: str) -> ResponseReturnValue:
    return _decide(token, "accept")


@bp.route("/p/<token>/decline", methods=["POST"])
def decline(token: str) -> ResponseReturnValue:
    return _decide(token, "decline")


@bp.route("/p/assets/<path:filename>")
def asset(filename: str) -> ResponseReturnValue:
    """The proposal's stylesheet and fonts, and the page's own stylesheet."""
    found = ASSETS.get(filename)
    if found is None:
        return _gone_page(404, _("Not found"), "")
    path, mimetype = found
    return send_file(path, mimetype=mimetype, max_age=ASSET_MAX_AGE)


# ---------------------------------------------------------------- the decision


def _decide(token: str, decision: str) -> ResponseReturnValue:
    session = db_session()
    form = request.form
    try:
        view = services.open_client_link(session, token, record_view=False)
    except ServiceError as exc:
        session.rollback()
        return _refused(exc)
    with client_wording(view.market, _language(view)):
        if _desk_user():
            return _proposal_page(view, token, status=403, notice=_desk_notice())
        typed = {name: form.get(name, "") for name in (
            "signer_name", "signer_position", "po_number", "reason")}
        try:
            services.decide_by_client(
                session, token, decision,
                signer_name=typed["signer_name"], signer_position=typed["signer_position"],
                authorised=form.get("authorised", "").lower() in TRUE_WORDS,
                po_number=typed["po_number"], reason=typed["reason"],
                ip=request.remote_addr, user_agent=_user_agent())
            session.commit()
        except QuoteInputError as exc:
            session.rollback()
            errors = _field_errors(exc, view, decision)
            return _proposal_page(view, token, status=422, errors=errors, typed=typed,
                                  opened=decision)
        except ServiceError as exc:
            session.rollback()
            if exc.code == "already_decided":
                flash(_("This proposal was already answered: nothing more was recorded."),
                      "info")
                return redirect(url_for(".proposal", token=token), code=303)
            if exc.code == "validity_ended":
                return _proposal_page(view, token, status=409, notice=_(
                    "This proposal's validity has ended: it can no longer be accepted "
                    "online. Ask your contact for a current proposal."))
            return _refused(exc)
        _issue_receipt(token)
        if decision == "accept":
            flash(_("Thank you. Your acceptance is recorded; the evidence is below."),
                  "success")
        else:
            flash(_("Your answer is recorded. Thank you for considering our proposal."),
                  "success")
        return redirect(url_for(".proposal", token=token), code=303)


def _preparing_receipt() -> ResponseReturnValue:
    response = make_response(render_template(
        "client/gone.html", code=202, title=_("Preparing the receipt"), message=_(
            "Your receipt is being prepared; this page reloads itself in a few seconds."),
        lang=_current_language(), refresh_seconds=3), 202)
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Retry-After"] = "3"
    return response


def _issue_receipt(token: str) -> None:
    """The decision is recorded: its receipt is rendered, kept and emailed now. A
    failure here loses nothing (the decision stands; the receipt is issued when the
    page or its download asks for it) and is logged. The request hands the emails on
    when it ends (quoting.web.delivery)."""
    session = db_session()
    queue_url = current_app.config.get("QUEUE_URL")
    try:
        view = services.open_client_link(session, token, record_view=False)
        if view.decision is None:
            return
        if queue_url:  # a worker renders it: no request renders a PDF
            jobs.enqueue_receipt(str(queue_url), view.decision.id)
            return
        services.issue_receipt(session, view.decision)
        session.commit()
    except Exception:
        session.rollback()
        current_app.logger.exception("issuing the receipt of a client decision")


def _field_errors(exc: QuoteInputError, view: ClientLinkView,
                  decision: str) -> dict[str, str]:
    client = _client_name(view)
    messages = {
        "signer_name": _("Write your full name."),
        "signer_position": _("Write your position in the company."),
        "authorised": _("Confirm that you are authorised to accept on behalf of "
                        "%(client)s.", client=client),
        "po_number": _("At most %(max)s characters.", max=100),
        "reason": _("At most %(max)s characters.", max=2000),
    }
    if decision == "decline":
        messages["signer_name"] = _("At most %(max)s characters.", max=200)
    errors: dict[str, str] = {}
    for problem in exc.problems:
        errors.setdefault(problem.field, messages.get(problem.field, problem.message))
    return errors


# ---------------------------------------------------------------- rendering


def _proposal_page(view: ClientLinkView, token: str, *, status: int = 200,
                   errors: dict[str, str] | None = None, typed: dict[str, str] | None = None,
                   notice: str | None = None, opened: str | None = None
                   ) -> ResponseReturnValue:
    # Loaded on the first page shown (quoting.documents brings WeasyPrint with it).
    from quoting.documents.context import build_context
    from quoting.documents.render import proposal_html

    snapshot = view.snapshot
    facts = build_context(snapshot)
    match = BODY.search(proposal_html(snapshot))
    body = PAGE_REFERENCE.sub("", INLINE_STYLE.sub("", match.group(1) if match else ""))
    decided = view.status in ("accepted", "declined")
    desk_user = _desk_user()
    changes = _changes(view)
    html = render_template(
        "client/proposal.html", view=view, token=token, facts=facts,
        proposal_body=Markup(body),  # the proposal's template escaped its free text
        lang=_language(view), client_name=_client_name(view), pdf_sha256=view.pdf_sha256,
        decision=view.decision, decided_elsewhere=decided and view.decision is None,
        may_decide=not decided and not desk_user,
        notice=notice or (_desk_notice() if desk_user and not decided else None),
        errors=errors or {}, typed=typed or {}, opened=opened, changes=changes)
    response = make_response(html, status)
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _changes(view: ClientLinkView) -> dict[str, Any] | None:
    """What changed since the revision sent to the client before, if one was."""
    changes = services.changes_since_sent(db_session(), view.number, view.link.revision)
    if changes is None:
        return None
    return changes_section(changes, view.market, _language(view),
                           str(view.snapshot["rules_version"]))


def _refused(exc: ServiceError, token: str | None = None) -> ResponseReturnValue:
    """The page for a link that opens nothing: 404 for an unknown (or tampered)
    token, saying nothing of any quote; 410 for one that no longer shows an open
    proposal, in its proposal's language."""
    if exc.code not in GONE:
        if exc.code == "link_unknown":
            item, key = _failure_limit()
            ratelimits.moving_window().hit(item, *key)
        with force_locale(_browser_language()):
            return _gone_page(404, _("Not found"), _(
                "This link does not open any proposal. Check that you copied the whole "
                "link, or ask your contact for a new one."))
    language = str(exc.params.get("language") or "")
    with client_wording(_market(exc), language if language in LANGUAGES
                        else _browser_language()):
        title, message = {
            "link_expired": (_("Link expired"), _(
                "This proposal's link has expired. Ask your contact for a current "
                "proposal.")),
            "link_superseded": (_("A newer proposal exists"), _(
                "This proposal has been replaced by a newer version. Ask your contact "
                "for the link to the current one.")),
            "link_withdrawn": (_("Proposal withdrawn"), _(
                "This proposal was withdrawn and can no longer be accepted.")),
        }[exc.code]
        sent_at = exc.params.get("newer_sent_on")
        if exc.code == "link_superseded" and sent_at and token:
            message = _("Revision %(revision)s of this proposal replaced it on %(date)s; "
                        "its link was emailed to the people this one was sent to.",
                        revision=exc.params["newer_revision"],
                        date=format_date(date.fromisoformat(str(sent_at)), format="long"))
            return _gone_page(410, title, message,
                              resend_url=url_for(".current", token=token))
        return _gone_page(410, title, message)


def _gone_page(code: int, title: str, message: str,
               resend_url: str | None = None) -> ResponseReturnValue:
    response = make_response(render_template(
        "client/gone.html", code=code, title=title, message=message,
        lang=_current_language(), resend_url=resend_url), code)
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _desk_notice() -> str:
    return _("You are signed in to the sales desk: this page is your client's. Your visit "
             "is not counted as theirs and you cannot answer in their name. Sign out, or "
             "use a private window, to see it as they do.")


# ---------------------------------------------------------------- helpers


def _desk_user() -> bool:
    return bool(current_user.is_authenticated)


def _language(view: ClientLinkView) -> str:
    language = str(view.snapshot.get("language") or "es")
    return language if language in LANGUAGES else "es"


def _market(exc: ServiceError) -> str | None:
    """The market of the quote a refusal is about, when the service names it."""
    market = exc.params.get("market")
    return str(market) if market else None


def _browser_language() -> str:
    return request.accept_languages.best_match(LANGUAGES) or "es"


def _current_language() -> str:
    from flask_babel import get_locale

    return str(get_locale() or "es")[:2]


def _client_name(view: ClientLinkView) -> str:
    return str(view.snapshot["request"]["client"]["name"])


def _user_agent() -> str:
    agent = request.user_agent.string or ""
    return input_guard.CONTROL_CHARACTER.sub("", agent)
