"""PDFs made by the queue's workers, not in the desk's requests (with QUEUE_URL):
routes of the quotes blueprint, and what the quote views call after their commit.

- After a draft is saved (created, revised, duplicated, its discount decided):
  `warm_pdf` puts a job on the queue to render its PDF into the cache, so that
  "Preview PDF" finds it there.
- The preview (the `pdf` route; `pdf_or_preparing`): a sent revision's PDF as kept, a draft's from
  the cache; not there yet: a small page, 202, that reloads itself (a meta refresh:
  the site's CSP allows no inline script) until it is, with a render job made sure
  of; the queue out of reach: the same page, 503.
- A send (services.request_send, committed): `send_in_worker` puts its job on the
  queue; the quote page says it is being sent and asks `sending` every 2 seconds
  (htmx), which makes sure the job exists and reloads the page once it is done.
Without QUEUE_URL the preview renders in the request, as before, and no job is made.
"""

from __future__ import annotations

from flask import (
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from quoting import jobs, services
from quoting.services import NotFound, ServiceError
from quoting.store.models import Quote
from quoting.web import db_session
from quoting.web.quotes import bp, load_quote, small_number
from quoting.web.responses import pdf_response
from quoting.web.text import _

PREVIEW_REFRESH_SECONDS = 2
UNREACHABLE_RETRY_SECONDS = 10


def queue_url() -> str | None:
    url = current_app.config.get("QUEUE_URL")
    return str(url) if url else None


def warm_pdf(quote: Quote) -> None:
    """With QUEUE_URL: a job to render the quote's current revision into the cache."""
    url = queue_url()
    if url:
        jobs.enqueue_render(url, quote.id, quote.current_revision)


def send_in_worker(quote: Quote) -> None:
    """After the commit of services.request_send: the job that sends."""
    url = queue_url()
    if url:
        jobs.enqueue_send(url, quote.id, quote.current_revision)


def pdf_or_preparing(quote: Quote, revision: int) -> bytes | BaseResponse:
    """The revision's PDF if it needs no render, else the page that waits for it
    (NotFound for a revision the quote does not have)."""
    session = db_session()
    body = services.cached_revision_pdf(session, quote.ref, revision)
    session.rollback()
    if body is not None:
        return body
    url = queue_url()
    job = jobs.enqueue_render(url, quote.id, revision) if url else None
    page = render_template("quotes/preparing_pdf.html", quote=quote, revision=revision,
                           unreachable=job is None,
                           refresh=UNREACHABLE_RETRY_SECONDS if job is None
                           else PREVIEW_REFRESH_SECONDS)
    response = make_response(page, 503 if job is None else 202)
    if job is None:
        response.headers["Retry-After"] = str(UNREACHABLE_RETRY_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/quotes/<number>/sending")
def sending(number: str) -> BaseResponse | str:
    """htmx, every 2 seconds while the quote page says the quote is being sent: the
    same notice while it is (its job made sure of), else a reload of the page."""
    quote = load_quote(number)
    if not request.headers.get("HX-Request"):
        return redirect(url_for("quotes.show", number=quote.ref))
    state = services.send_state(db_session(), quote)
    if state is not None and state.state == "sending":
        url = queue_url()
        if url:
            jobs.enqueue_send(url, quote.id, state.request.revision)
        return render_template("quotes/_send_state.html", quote=quote, sending=state)
    response = make_response("")
    response.headers["HX-Refresh"] = "true"
    return response


@bp.route("/quotes/<number>/pdf")
def pdf(number: str) -> BaseResponse:
    """The proposal PDF of a revision (the current one by default), inline or as a
    download. With QUEUE_URL nothing is rendered here: a PDF not made yet gets the
    page that waits for a worker to make it (pdf_or_preparing)."""
    quote = load_quote(number)
    value = request.args.get("revision", "")
    revision = small_number(value) or quote.current_revision
    session = db_session()
    try:
        if queue_url():
            waited = pdf_or_preparing(quote, revision)
            if not isinstance(waited, bytes):
                return waited
            body = waited
        else:
            # A sent revision's PDF as kept when it was sent; a draft's from the cache.
            body = services.revision_pdf(session, quote.ref, revision)
            session.commit()
    except NotFound:
        abort(404, description=_("This quote has no revision %(revision)s.", revision=revision))
    except ServiceError as exc:
        session.rollback()
        if exc.code == "pdf_unprintable":  # a defect of ours: nothing is shown as a proposal
            current_app.logger.error("%s revision %s: %s", quote.ref, revision, exc.message)
            abort(409, description=_("This proposal cannot be rendered: it would print "
                                     "something it must not. Nothing was shown; tell the "
                                     "team that maintains the quoting system."))
        # An old revision whose re-render differs from its recorded hash.
        abort(409, description=_("The PDF kept for this revision cannot be reproduced."))
    return pdf_response(body, f"{quote.ref}-r{revision}.pdf",
                        download=bool(request.args.get("download")))
