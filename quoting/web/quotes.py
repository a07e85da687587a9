"""The quote list, the quote form with live pricing, the quote page, its
lifecycle buttons, revision history and the proposal PDF.

Views parse what the browser sent, call `quoting.services`, commit once, and
turn refusals into messages in the user's language; a bad value re-renders the
form with what was typed and the problem beside its field, never a 500.
"""

from __future__ import annotations

import contextlib
import re
from datetime import date
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response as BaseResponse

from quoting import services
from quoting.errors import QuoteInputError
from quoting.i18n import market_today
from quoting.line_wording import license_name
from quoting.rules import Market, NoRulesInForce, RulesVersion
from quoting.service_pricing import price_request
from quoting.services import NotFound, ServiceError
from quoting.store.models import Quote
from quoting.taxid import SCHEMES
from quoting.web import db_session
from quoting.web.auth import signed_in
from quoting.web.formatting import STATUS_LABELS, breakdown, market_locale, web_words
from quoting.web.forms import (
    DELIVERY_MODES,
    LANGUAGES,
    ROLES,
    QuoteForm,
    field_errors,
)
from quoting.web.guards import guard
from quoting.web.refusals import refusal_message
from quoting.web.text import _

bp = guard(Blueprint("quotes", __name__))

MARKETS = [m.value for m in Market]
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
PER_PAGE = 20
SORTS = {
    "-date": _l("Newest first"),
    "date": _l("Oldest first"),
    "number": _l("Number"),
    "client": _l("Client A–Z"),
    "status": _l("Status"),
    "-updated": _l("Recently changed"),
}


# ---------------------------------------------------------------- helpers


def _rules(market: str) -> RulesVersion | None:
    try:
        return services.default_rulebook().in_force(Market(market), market_today(market))
    except (ValueError, NoRulesInForce):
        return None


def _tax_labels(rules: RulesVersion | None) -> dict[str, str]:
    """The market's tax labels in the interface language ("IVA 19%", "VAT (IVA) 19%")."""
    if rules is None:
        return {}
    language = str(get_locale() or "es")[:2]
    return {category.value: treatment.label.get(language)
            for category, treatment in rules.tax.items()}


def _price(form: QuoteForm) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """The live breakdown for the form as typed, or the problems beside their fields."""
    request_data = form.to_request()
    # The price does not depend on who the client is: price a form whose client is
    # not filled in yet with a stand-in, and ask for the client only when saving.
    scheme = SCHEMES.get(form.market.upper())
    client = request_data["client"]
    if scheme is not None and not client["tax_id"].strip():
        client["tax_id"] = scheme.example
    if not client["name"].strip():
        client["name"] = "-"
    try:
        priced = price_request(request_data, services.default_rulebook())
    except QuoteInputError as exc:
        return None, field_errors(exc.problems, form)
    except ValueError as exc:  # anything else the core refuses: shown, never a 500
        return None, {"form": str(exc)}
    rules = _rules(priced.market)
    return breakdown(priced.to_dict(), rules, _tax_labels(rules)), {}


def _form_page_context(form: QuoteForm, errors: dict[str, str],
                       quote: Quote | None = None) -> dict[str, Any]:
    rules = _rules(form.market)
    currencies = list(rules.allowed_currencies) if rules else []
    words = web_words()
    products = [(p.code, license_name(p.code, words, rules))
                for p in rules.licenses.products] if rules else []
    return {
        "form": form, "errors": errors, "quote": quote, "markets": MARKETS,
        "currencies": currencies, "default_currency": rules.default_currency if rules else "",
        "default_valid_days": rules.default_valid_days if rules else "",
        "discount_limit": rules.discount_without_approval if rules else None,
        "license_currency": rules.licenses.currency if rules else "",
        "products": products, "roles": ROLES, "delivery_modes": DELIVERY_MODES,
        "languages": LANGUAGES,
    }


def _error_keys(form: QuoteForm) -> list[str]:
    keys = ["form", "market", "currency", "language", "client.name", "client.tax_id",
            "client.contact", "client.email", "participants", *[f"participants.{r}" for r in ROLES],
            "duration_weeks", "discovery_areas", "cases", "delivery.mode", "delivery.trips",
            "licenses", "discount_percent", "valid_days", "start_date", "context",
            "case_descriptions",
            "internal_owner"]
    for index in range(len(form.licenses)):
        keys += [f"licenses.{index}.{part}" for part in ("product", "seats", "months")]
    return keys


def _input_errors(exc: QuoteInputError, form: QuoteForm) -> dict[str, str]:
    """The problems of a form that could not be saved, beside their fields. A tax ID
    already on record under another legal name is said as such (with the name on
    record), not as a malformed name."""
    errors = field_errors(exc.problems, form)
    for problem in exc.problems:
        if problem.code == "client_name_on_record":
            errors[problem.field] = _(
                "This tax ID is on record as “%(name)s”: use that name, or rename the "
                "client on its page first.", name=dict(problem.params)["name"])
    return errors


def sharing_allowed(quote: Quote) -> bool:
    """A draft that may be sent, or a sent quote: what the Send to client page is for."""
    return services.can_edit(signed_in(), quote) and quote.status in ("draft", "sent")


def own_quotes_only() -> bool:
    return bool(current_app.config.get("SALES_OWN_QUOTES_ONLY"))


def load_quote(ref: str) -> Quote:
    """The quote named in the URL, if this user may see it (else 404, revealing nothing)."""
    try:
        quote = services.get_quote(db_session(), ref)
    except NotFound:
        abort(404, description=_("There is no quote %(number)s.", number=ref))
    if not services.can_view(signed_in(), quote, own_quotes_only=own_quotes_only()):
        abort(404, description=_("There is no quote %(number)s.", number=ref))
    return quote


STALE_PAGE = _l("This page did not say which revision it showed. Nothing was done: "
                "reload the quote and try again.")


def seen_revision() -> int | None:
    """The revision the user was looking at when they acted (a hidden field)."""
    value = request.form.get("seen_revision", "")
    return small_number(value)


def small_number(value: str) -> int | None:
    """A positive whole number typed in ASCII digits ("²" or "٣" are not), else None."""
    if value.isascii() and value.isdigit() and len(value) < 6:
        return int(value) or None
    return None


# ---------------------------------------------------------------- list


@bp.route("/")
def index() -> str:
    args = request.args
    problems: list[str] = []

    def day(name: str) -> date | None:
        value = args.get(name, "").strip()
        if not value:
            return None
        try:
            if not ISO_DATE.fullmatch(value):
                raise ValueError(value)
            return date.fromisoformat(value)
        except ValueError:
            problems.append(_("Dates look like 2026-11-25."))
            return None

    market = args.get("market", "").upper()
    status = args.get("status", "")
    filters = services.QuoteQuery(
        market=market if market in MARKETS else None,
        status=status if status in STATUS_LABELS else None,
        owner_email=args.get("owner") or None,
        quote_date_from=day("from"), quote_date_to=day("to"),
    )
    sort = args.get("sort", "-date")
    if sort not in SORTS:
        sort = "-date"
    page_arg = args.get("page", "1")
    page_number = small_number(page_arg) or 1
    query = args.get("q", "")[:100]
    session = db_session()
    owner_id = services.owner_restriction(signed_in(), own_quotes_only=own_quotes_only())
    def search(number: int) -> services.QuoteSearchPage:
        try:
            return services.search_quotes(session, filters, query, sort=sort, page=number,
                                          per_page=PER_PAGE, owner_id=owner_id)
        except QuoteInputError:
            return services.search_quotes(session, sort=sort, page=number,
                                          per_page=PER_PAGE, owner_id=owner_id)

    page = search(page_number)
    if page.total and page_number > page.pages:  # /?page=999: the last page there is
        page = search(page.pages)
    return render_template(
        "quotes/list.html", page=page, query=query, filters=filters, sort=sort,
        sorts={key: str(label) for key, label in SORTS.items()}, markets=MARKETS,
        owners=services.list_users(session), problems=problems,
        args={k: v for k, v in args.items() if k != "page"},
    )


# ---------------------------------------------------------------- form


@bp.route("/quotes/new", methods=["GET", "POST"])
def new() -> BaseResponse | tuple[str, int] | str:
    if request.method == "GET":
        form = QuoteForm()
        market = request.args.get("market", "").upper()
        if market in MARKETS:
            form.market = market
        return _render_form(form)
    form = QuoteForm.from_form(request.form)
    action = request.form.get("action", "save")
    if action != "save":
        _apply(form, action)
        return _render_form(form)
    session = db_session()
    try:
        quote = services.create_quote(session, form.to_request(), signed_in())
        session.commit()
    except QuoteInputError as exc:
        session.rollback()
        return _render_form(form, _input_errors(exc, form)), 422
    except ServiceError as exc:
        session.rollback()
        flash(refusal_message(exc), "error")
        return _render_form(form), 409
    background.warm_pdf(quote)
    flash(_("Quote %(number)s saved as a draft.", number=quote.ref), "success")
    return redirect(url_for("quotes.show", number=quote.ref))


@bp.route("/quotes/<number>/edit", methods=["GET", "POST"])
def edit(number: str) -> BaseResponse | tuple[str, int] | str:
    quote = load_quote(number)
    if not services.can_edit(signed_in(), quote):
        flash(_("Only the quote's owner, finance or admin can do this."), "error")
        return redirect(url_for("quotes.show", number=quote.ref))
    if quote.status not in services.REVISABLE:
        flash(_("This quote cannot be edited: duplicate it to quote again."), "error")
        return redirect(url_for("quotes.show", number=quote.ref))
    if request.method == "GET":
        current = services.current_revision(quote)
        return _render_form(QuoteForm.from_request(current.request), quote=quote)
    form = QuoteForm.from_form(request.form)
    form.market = quote.market
    seen = seen_revision()
    action = request.form.get("action", "save")
    if action != "save":
        _apply(form, action)
        return _render_form(form, quote=quote, seen_revision=seen)
    if seen is None:  # not sent by the form: never save over a revision nobody saw
        flash(str(STALE_PAGE), "error")
        return _render_form(form, quote=quote), 409
    session = db_session()
    try:
        revised = services.revise_quote(session, quote.ref, form.to_request(), signed_in(),
                                        seen_revision=seen)
        session.commit()
    except QuoteInputError as exc:
        session.rollback()
        return _render_form(form, _input_errors(exc, form), quote=quote,
                            seen_revision=seen), 422
    except ServiceError as exc:
        session.rollback()
        flash(refusal_message(exc), "error")
        # What was typed stays on the page; the hidden revision still says what the
        # user saw, so saving again is refused until they reload.
        return _render_form(form, quote=quote, seen_revision=seen), 409
    background.warm_pdf(revised)
    flash(_("Revision %(revision)s of %(number)s saved.", revision=revised.current_revision,
            number=revised.ref), "success")
    return redirect(url_for("quotes.show", number=revised.ref))


def _apply(form: QuoteForm, action: str) -> None:
    """A button of the form other than Save: pick a known client, add or remove a line."""
    if action.startswith("pick_client:"):
        tax_id = action.partition(":")[2]
        for client in services.find_clients(db_session(), form.market, tax_id):
            if client.tax_id == tax_id:
                form.client_name, form.client_tax_id = client.legal_name, client.tax_id
                if client.contacts:
                    contact = client.contacts[-1]
                    form.client_contact = contact.name or ""
                    form.client_email = contact.email or ""
                break
        return
    form.apply(action)


def _render_form(form: QuoteForm, errors: dict[str, str] | None = None,
                 quote: Quote | None = None, seen_revision: int | None = None) -> str:
    view, price_errors = _price(form)
    shown = dict(price_errors)
    shown.update(errors or {})
    return render_template("quotes/form.html", breakdown=view, seen_revision=seen_revision,
                           **_form_page_context(form, shown, quote))


@bp.route("/quotes/form/price", methods=["POST"])
def price_preview() -> str:
    """htmx: the breakdown for the form as typed, with every field's message swapped in."""
    form = QuoteForm.from_form(request.form)
    view, errors = _price(form)
    return render_template("quotes/_price_response.html", breakdown=view, errors=errors,
                           error_keys=_error_keys(form), form=form)


@bp.route("/quotes/form/refresh", methods=["POST"])
def refresh() -> str:
    """htmx: the form's fields again after a market change or a license line added or
    removed, with the new breakdown."""
    form = QuoteForm.from_form(request.form)
    number = request.form.get("quote_number", "")
    quote = load_quote(number) if number else None
    if quote is not None:
        form.market = quote.market
    _apply(form, request.form.get("action", ""))
    view, errors = _price(form)
    return render_template("quotes/_refresh_response.html", breakdown=view,
                           **_form_page_context(form, errors, quote))


@bp.route("/quotes/form/clients")
def client_search() -> str:
    """htmx: known clients of the market matching what was typed in the client box."""
    market = request.args.get("market", "").upper()
    text = request.args.get("client_search", "")[:100]
    clients = services.find_clients(db_session(), market, text) if market in MARKETS else []
    return render_template("quotes/_client_matches.html", clients=clients, text=text)


# ---------------------------------------------------------------- one quote


@bp.route("/quotes/<number>")
def show(number: str) -> str:
    quote = load_quote(number)
    session = db_session()
    user = signed_in()
    view = services.quote_view(session, quote)
    current = view["revisions"][-1]
    rules = _rules(quote.market)
    with contextlib.suppress(NoRulesInForce):
        rules = services.default_rulebook().by_version(current["rules_version"])
    sending = services.send_state(session, quote)
    being_sent = sending is not None and sending.state == "sending"
    return render_template(
        "quotes/show.html", quote=quote, view=view, current=current,
        breakdown=breakdown(current["priced"], rules, _tax_labels(rules)),
        events=services.quote_events(session, quote.ref),
        messages=services.outbox_view(session, quote),
        may_send_to_client=sharing_allowed(quote) and not being_sent,
        sending=sending, send_failure=_send_failure(sending),
        can_edit=services.can_edit(user, quote),
        is_manager=user.role in services.MANAGERS,
        may_decide=services.may_decide(user, quote),
        editable=quote.status in services.REVISABLE and not being_sent,
        deletable=services.can_delete(quote),
        locale=market_locale(quote.market),
    )


def _send_failure(sending: services.SendState | None) -> str | None:
    """A send a worker was refused, said as the desk says refusals."""
    if sending is None or sending.state != "failed":
        return None
    refusal = ServiceError(sending.message or "", code=sending.code or None,
                           **(sending.params or {}))
    return refusal_message(refusal)


# More routes of this blueprint, in modules of their own; imported here so that they
# are on the blueprint before any app registers it.
from quoting.web import (  # noqa: E402, F401
    background,
    client_records,
    confirm,
    kept_work,
    revisions,
    sharing,
)
