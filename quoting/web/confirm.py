"""The confirmation step of a deliberate action (a route of the quotes blueprint):
send, accept, decline, withdraw, reject a discount and delete a draft first show
what will happen, with the reason the service records where it takes one, and only
the form on that page acts. It works without JavaScript; the action itself answers
with a redirect (post-redirect-get), so a reload never repeats it."""

from __future__ import annotations

from typing import NamedTuple

from flask import flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response as BaseResponse

from quoting import services
from quoting.web.auth import signed_in
from quoting.web.quotes import bp, load_quote
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
