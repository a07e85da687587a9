"""A quote's actions and their confirmation step (routes of the quotes blueprint):
send, accept, decline, withdraw, reject a discount and delete a draft first show
what will happen, with the reason the service records where it takes one, and only
the form on that page acts. It works without JavaScript; the action itself answers
with a redirect (post-redirect-get), so a reload never repeats it."""

from __future__ import annotations

from typing import NamedTuple

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response as BaseResponse

from quoting import services
from quoting.errors import QuoteInputError
from quoting.services import NotFound, ServiceError
from quoting.web import background, db_session
from quoting.web.auth import signed_in
from quoting.web.quotes import STALE_PAGE, bp, load_quote, seen_revision
from quoting.web.refusals import refusal_message
from quoting.web.text import _


class Step(NamedTuple):
    question: object   # a lazy string: the page's heading
    consequence: object
    button: object
    style: str
    reason: str        # "" (none recorded), "optional" or "required"
    statuses: frozenset[str]


STEPS = {
    "send": Step(_l("Mark %(number)s as sent?"),
                 _l("The current revision is numbered and its PDF is kept as sent: it can no "
                    "longer be edited, only revised."),
                 _l("Yes, mark as sent"), "button-primary", "", frozenset({"draft"})),
    "accept": Step(_l("Mark %(number)s as accepted?"),
                   _l("The client accepted this revision. The quote is closed as won."),
                   _l("Yes, mark as accepted"), "button-success", "", frozenset({"sent"})),
    "decline": Step(_l("Mark %(number)s as declined?"),
                    _l("The client declined this proposal. The quote is closed as lost."),
                    _l("Yes, mark as declined"), "button-danger", "optional",
                    frozenset({"sent"})),
    "withdraw": Step(_l("Withdraw %(number)s?"),
                     _l("The proposal stops being valid: the client's link says so and it can "
                        "no longer be accepted."),
                     _l("Yes, withdraw"), "button-danger", "optional",
                     frozenset({"draft", "pending_approval", "discount_rejected", "sent"})),
    "reject": Step(_l("Reject the discount on %(number)s?"),
                   _l("The quote cannot be sent with this discount: its owner is told, with "
                      "your reason, and can revise it."),
                   _l("Yes, reject the discount"), "button-danger", "required",
                   frozenset({"pending_approval"})),
    "delete": Step(_l("Delete the draft %(number)s?"),
                   _l("The draft and its revisions are removed from the list. This cannot be "
                      "undone."),
                   _l("Yes, delete the draft"), "button-danger", "",
                   frozenset({"draft", "pending_approval", "discount_rejected"})),
}


@bp.route("/quotes/<number>/confirm/<action>", methods=["GET", "POST"])
def confirm(number: str, action: str) -> BaseResponse | str:
    """GET shows the step; POST (the approval box's Reject) shows it with the reason
    already typed. Neither acts."""
    quote = load_quote(number)
    step = STEPS.get(action)
    if step is None:
        return redirect(url_for("quotes.show", number=quote.ref))
    user = signed_in()
    allowed = (services.may_decide(user, quote) if action == "reject"
               else services.can_edit(user, quote))
    if not allowed or quote.status not in step.statuses:
        flash(_("That cannot be done on %(number)s now.", number=quote.ref), "error")
        return redirect(url_for("quotes.show", number=quote.ref))
    reason = request.values.get("reason", "")[:2000] if request.method == "POST" else ""
    return render_template("quotes/confirm.html", quote=quote, action=action, step=step,
                           reason=reason)


ACTIONS = ("send", "accept", "decline", "withdraw", "duplicate", "approve", "reject", "delete")


@bp.route("/quotes/<number>/do/<action>", methods=["POST"])
def act(number: str, action: str) -> BaseResponse:
    if action not in ACTIONS:
        abort(404, description=_("There is no such action."))
    load_quote(number)  # 404 for a quote this user may not see
    session = db_session()
    user = signed_in()
    seen = seen_revision()
    if seen is None and action != "duplicate":  # never act on a revision nobody saw
        flash(str(STALE_PAGE), "error")
        return redirect(url_for("quotes.show", number=number))
    reason = request.form.get("reason", "").strip()[:2000]
    in_worker = action == "send" and background.queue_url() is not None
    try:
        if in_worker:  # numbered now; a worker renders, signs and sends
            done = services.request_send(session, number, user, seen_revision=seen)
            message = _("%(number)s is being sent: its PDF is being prepared.",
                        number=done.ref)
        elif action == "send":
            done = services.send_quote(session, number, user, seen_revision=seen)
            message = _("%(number)s sent: its PDF is kept as sent.", number=done.ref)
        elif action == "accept":
            done = services.accept_quote(session, number, user, seen_revision=seen)
            message = _("%(number)s marked as accepted.", number=done.ref)
        elif action == "decline":
            done = services.decline_quote(session, number, user, reason=reason or None,
                                          seen_revision=seen)
            message = _("%(number)s marked as declined.", number=done.ref)
        elif action == "withdraw":
            done = services.withdraw_quote(session, number, user, reason=reason or None,
                                           seen_revision=seen)
            message = _("%(number)s withdrawn.", number=done.ref)
        elif action == "delete":
            done = services.delete_draft(session, number, user, seen_revision=seen)
            session.commit()
            flash(_("Draft %(number)s deleted.", number=done.ref), "success")
            return redirect(url_for("quotes.index"))
        elif action == "duplicate":
            done = services.duplicate_quote(session, number, user)
            message = _("%(number)s is a copy of %(source)s, priced today.",
                        number=done.ref, source=number)
        elif action == "approve":
            done = services.approve_discount(session, number, user, reason, seen_revision=seen)
            message = _("Discount approved: %(number)s can be sent.", number=done.ref)
        else:
            done = services.reject_discount(session, number, user, reason, seen_revision=seen)
            message = _("Discount rejected on %(number)s.", number=done.ref)
        session.commit()
    except QuoteInputError as exc:
        session.rollback()
        if action in ("approve", "reject"):
            flash(_("Write the reason for the decision."), "error")
        else:  # e.g. a duplicate whose stored request no longer prices today
            flash(_("That was refused: %(reason)s",
                    reason="; ".join(f"{p.field}: {p.message}" for p in exc.problems)),
                  "error")
        return redirect(url_for("quotes.show", number=number))
    except NotFound:
        session.rollback()
        abort(404, description=_("There is no quote %(number)s.", number=number))
    except ServiceError as exc:
        session.rollback()
        if exc.__cause__ is not None:  # a failure behind the refusal (the PDF renderer)
            current_app.logger.error("%s %s: %s", action, number, exc.message,
                                     exc_info=exc.__cause__)
        flash(refusal_message(exc), "error")
        return redirect(url_for("quotes.show", number=number))
    if in_worker:
        background.send_in_worker(done)
    elif action in ("duplicate", "approve", "reject"):  # a draft's PDF changed
        background.warm_pdf(done)
    flash(message, "success")
    return redirect(url_for("quotes.show", number=done.ref))
