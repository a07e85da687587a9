"""A service refusal in the desk user's language, chosen by its code (the service's
English message is shown only for a code without a translation here)."""

from __future__ import annotations

from quoting.services import ServiceError
from quoting.web.text import _


def refusal_message(exc: ServiceError) -> str:
    """A service refusal in the user's language, chosen by its code."""
    params = exc.params
    messages = {
        "stale_revision": lambda: _(
            "This quote changed since you opened it (it is now at revision %(current)s). "
            "Nothing was saved: reload it and try again.", current=params.get("current")),
        "needs_approval": lambda: _(
            "The discount is above the market's limit: a finance or admin user must "
            "approve it before the quote can be sent."),
        "discount_rejected": lambda: _(
            "The discount was rejected: revise the quote before sending it."),
        "validity_ended": lambda: _(
            "The quote's validity has ended: revise it so it is dated today, then send "
            "it again."),
        "not_editor": lambda: _("Only the quote's owner, finance or admin can do this."),
        "not_approver": lambda: _("Only finance or admin users can decide on a discount."),
        "own_quote": lambda: _(
            "You own or last revised this quote: another finance or admin user must "
            "decide on its discount."),
        "not_client_editor": lambda: _(
            "Only finance, admin or someone who quotes this client can rename it."),
        "not_a_draft": lambda: _(
            "Only a draft that was never sent can be deleted; withdraw this quote instead."),
        "wrong_status": lambda: _(
            "That step is not possible while the quote is in this status."),
        "not_found": lambda: _("There is no quote %(number)s.", number=params.get("ref", "")),
        "send_pending": lambda: _(
            "%(number)s is already being sent: its page shows when it is done.",
            number=params.get("ref", "")),
        "pdf_not_rendered": lambda: _(
            "The proposal PDF could not be made, so %(number)s was not sent (it keeps its "
            "number). Try sending it again in a minute.", number=params.get("ref", "")),
    }
    chosen = messages.get(exc.code)
    return str(chosen()) if chosen else _("That was refused: %(reason)s", reason=exc.message)
