"""Discounts above a market's limit: finance or admin approve or reject the revision
they saw, never on a quote they own or last revised (four eyes)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from quoting.errors import QuoteInputError
from quoting.services.common import MANAGERS, lock_quote, now_or, require_seen
from quoting.services.errors import PermissionDenied
from quoting.services.lifecycle import move, require_status
from quoting.services.notifications import notify
from quoting.services.quotes import current_revision
from quoting.store.models import ApprovalDecision, Quote, QuoteStatus, User

S = QuoteStatus


def approve_discount(session: Session, ref: str, approver: User, reason: str, *,
                     seen_revision: int | None = None, now: datetime | None = None) -> Quote:
    return _decide(session, ref, approver, reason, "approved", S.DRAFT, seen_revision,
                   now_or(now))


def reject_discount(session: Session, ref: str, approver: User, reason: str, *,
                    seen_revision: int | None = None, now: datetime | None = None) -> Quote:
    return _decide(session, ref, approver, reason, "rejected", S.DISCOUNT_REJECTED,
                   seen_revision, now_or(now))


def may_decide(user: User, quote: Quote) -> bool:
    """Finance or admin, and neither the quote's owner nor its current revision's author."""
    return (user.role in MANAGERS and quote.owner_id != user.id
            and current_revision(quote).author_id != user.id)


def _decide(session: Session, ref: str, approver: User, reason: str, decision: str,
            to_status: QuoteStatus, seen_revision: int | None, now: datetime) -> Quote:
    verb = "approve" if decision == "approved" else "reject"
    if approver.role not in MANAGERS:
        raise PermissionDenied(
            f"{approver.email} is {approver.role}: only finance or admin users can approve "
            f"or reject a discount", code="not_approver", email=approver.email,
            role=approver.role)
    if not reason.strip():
        raise QuoteInputError.single("reason", "give the reason for the decision")
    quote = lock_quote(session, ref)
    require_seen(quote, seen_revision)
    require_status(quote, f"{verb} a discount on", {S.PENDING_APPROVAL})
    if not may_decide(approver, quote):
        raise PermissionDenied(
            f"{approver.email} owns or last revised {quote.ref}: another finance or admin "
            f"user must decide on its discount", code="own_quote", ref=quote.ref)
    session.add(ApprovalDecision(quote_id=quote.id, revision=quote.current_revision,
                                 decision=decision, reason=reason.strip(),
                                 decided_by_id=approver.id, decided_at=now))
    moved = move(session, quote, to_status, approver, f"discount.{verb}", now,
                 {"reason": reason.strip()})
    notify(session, [moved.owner], moved, f"discount_{decision}", moved.current_revision,
           {"by": approver.name, "reason": reason.strip()}, now=now)
    return moved
