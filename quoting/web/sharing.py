"""The quote page's ways to the client: a private link, and the proposal emailed
(routes of the quotes blueprint)."""

from __future__ import annotations

from pathlib import Path

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from quoting import services
from quoting.errors import QuoteInputError
from quoting.services import NotFound, ServiceError
from quoting.store.models import Quote, QuoteStatus
from quoting.web import background, db_session, outbox_mailer
from quoting.web.auth import signed_in
from quoting.web.quotes import (
    STALE_PAGE,
    bp,
    load_quote,
    seen_revision,
    sharing_allowed,
)
from quoting.web.refusals import refusal_message
from quoting.web.responses import pdf_response
from quoting.web.text import _


@bp.route("/quotes/<number>/link", methods=["POST"])
def client_link(number: str) -> BaseResponse:
    """A private link for the client to open the sent revision and accept or decline it
    online; its address is shown once, here (only its SHA-256 is kept)."""
    quote = load_quote(number)
    session = db_session()
    try:
        link, token = services.create_client_link(session, quote.ref, signed_in(),
                                                  seen_revision=seen_revision())
        session.commit()
    except ServiceError as exc:
        session.rollback()
        if exc.code == "not_sent":
            flash(_("Only a sent quote can be opened by the client: send it first."), "error")
        else:
            flash(refusal_message(exc), "error")
        return redirect(url_for("quotes.show", number=quote.ref))
    url = services.client_link_url(str(current_app.config["PUBLIC_URL"]), token)
    flash(_("Client link for revision %(revision)s, shown only this once: copy it now and "
            "send it to the client. %(url)s", revision=link.revision, url=url), "success")
    return redirect(url_for("quotes.show", number=quote.ref))


def _contact_emails(quote: Quote) -> str:
    """The client's contacts' addresses (the quote's own contact first), comma-separated."""
    emails: list[str] = []
    quoted = (services.current_revision(quote).request.get("client") or {}).get("email")
    for email in [quoted, *(c.email for c in quote.client.contacts)]:
        if email and email.strip() and email.strip().lower() not in (e.lower() for e in emails):
            emails.append(email.strip())
    return ", ".join(emails[:10])


@bp.route("/quotes/<number>/send", methods=["GET", "POST"])
def send_to_client(number: str) -> BaseResponse | tuple[str, int] | str:
    """Email the proposal to the client: its PDF as kept when sent and a private link,
    queued in the outbox and handed on when the request ends (quoting.web.delivery:
    delivered right after, or by `quoting worker` with QUEUE_URL)."""
    quote = load_quote(number)
    if not sharing_allowed(quote):
        flash(_("Only a draft that may be sent, or a sent quote, can be emailed to the "
                "client, by its owner, finance or admin."), "error")
        return redirect(url_for("quotes.show", number=quote.ref))
    language = services.current_revision(quote).language
    if request.method == "GET":
        subject, body = services.default_message(
            quote, services.LINK_PLACEHOLDER, language,
            None if quote.number else services.NUMBER_PLACEHOLDER)
        return render_template("quotes/send.html", quote=quote, errors={},
                               recipients=_contact_emails(quote), subject=subject, body=body,
                               seen_revision=quote.current_revision)
    form = request.form
    recipients = form.get("recipients", "")[:3000]
    subject, body = form.get("subject", "")[:300], form.get("body", "")[:20_000]
    seen = seen_revision()

    def again(errors: dict[str, str], status: int) -> tuple[str, int]:
        return render_template("quotes/send.html", quote=quote, errors=errors,
                               recipients=recipients, subject=subject, body=body,
                               seen_revision=seen), status

    if seen is None:
        flash(str(STALE_PAGE), "error")
        return again({}, 409)
    session = db_session()
    public_url = str(current_app.config["PUBLIC_URL"])
    # With QUEUE_URL a draft is numbered here and sent by a worker, which writes the
    # email once the PDF is kept (background); a sent quote's PDF is kept already.
    in_worker = background.queue_url() is not None and quote.status != QuoteStatus.SENT
    try:
        if in_worker:
            requested = services.request_send(
                session, quote.ref, signed_in(), seen_revision=seen,
                email=services.EmailRequest(services.parse_recipients(recipients), subject,
                                            body, public_url))
            ref = requested.ref
        else:
            message = services.send_to_client(
                session, quote.ref, signed_in(), recipients=recipients, subject=subject,
                body=body, seen_revision=seen, public_url=public_url)
            ref, addresses = message.quote.ref, list(message.recipients)
        session.commit()
    except QuoteInputError as exc:
        session.rollback()
        bad = next((p.message for p in exc.problems if p.field == "recipients"), "")
        return again({"recipients": _("Give 1 to 10 email addresses, separated by commas "
                                      "(%(problem)s).", problem=bad)}, 422)
    except NotFound:
        session.rollback()
        abort(404, description=_("There is no quote %(number)s.", number=number))
    except ServiceError as exc:
        session.rollback()
        if exc.__cause__ is not None:
            current_app.logger.error("send to client %s: %s", number, exc.message,
                                     exc_info=exc.__cause__)
        flash(refusal_message(exc), "error")
        return redirect(url_for("quotes.show", number=quote.ref))
    if in_worker:
        background.send_in_worker(requested)
        flash(_("%(number)s is being sent: once its PDF is ready, it goes to %(recipients)s "
                "with a private link.", number=ref,
                recipients=", ".join(services.parse_recipients(recipients))), "success")
        return redirect(url_for("quotes.show", number=ref))
    flash(_("%(number)s is on its way to %(recipients)s, with its PDF and a private link.",
            number=ref, recipients=", ".join(addresses)), "success")
    return redirect(url_for("quotes.show", number=ref))


@bp.route("/quotes/<number>/messages/<int:message_id>")
def message(number: str, message_id: int) -> str:
    """An email of the quote as it was written: recipients, subject, text and what it
    attached; without MAIL_URL, the .eml file it was delivered as."""
    quote = load_quote(number)
    session = db_session()
    try:
        stored = services.get_message(session, quote, message_id)
    except NotFound:
        abort(404, description=_("There is no such email."))
    if stored.kind == "notice":  # a desk user's own notice, not the client's mail
        abort(404, description=_("There is no such email."))
    eml = _eml_path(message_id)
    return render_template("quotes/message.html", quote=quote,
                           message=services.message_view(stored),
                           sender=str(current_app.config.get("MAIL_FROM") or ""),
                           has_eml=eml is not None and eml.is_file())


@bp.route("/quotes/<number>/messages/<int:message_id>/eml")
def message_eml(number: str, message_id: int) -> BaseResponse:
    """The .eml file the email was delivered as (only without MAIL_URL)."""
    quote = load_quote(number)
    try:
        stored = services.get_message(db_session(), quote, message_id)
    except NotFound:
        abort(404, description=_("There is no such email."))
    eml = _eml_path(message_id)
    if stored.kind == "notice" or eml is None or not eml.is_file():
        abort(404, description=_("There is no such email."))
    response = make_response(eml.read_bytes())
    response.mimetype = "message/rfc822"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{quote.ref}-email-{message_id}.eml"')
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/quotes/<number>/receipt")
def receipt(number: str) -> BaseResponse:
    """The receipt the client was given for their decision, as kept."""
    quote = load_quote(number)
    session = db_session()
    kept = services.quote_receipt(session, quote)
    if kept is None:
        abort(404, description=_("The client has not answered online yet."))
    return pdf_response(kept.pdf, f"{quote.ref}-r{kept.decision.revision}-receipt.pdf",
                        download=False)


def _eml_path(message_id: int) -> Path | None:
    mailer = outbox_mailer(current_app.config, Path(current_app.instance_path))
    return mailer.path_for(message_id) if isinstance(mailer, services.FileMailer) else None
