"""Create, revise, duplicate and delete quotes, and read one.

Flow: request -> validated scope -> priced quote -> stored revision. A stored
revision never changes; editing a quote adds revision n+1. A quote is known by
its draft reference (D-00042) until it is first sent, when it gets its number
(see lifecycle.send_quote); a draft never sent can be deleted.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from quoting.errors import QuoteInputError
from quoting.i18n import market_today
from quoting.priced import PricedQuote
from quoting.rules import RuleBook
from quoting.scope import QuoteRequest, parse_request
from quoting.service_pricing import price_request
from quoting.services.clients import client_for
from quoting.services.common import (
    MANAGERS,
    begin_write,
    default_rulebook,
    lock_quote,
    now_or,
    quote_where,
    record,
    require_seen,
    revision_of,
)
from quoting.services.errors import InvalidTransition, NotFound, PermissionDenied
from quoting.services.notifications import notify_approval_needed
from quoting.services.rates import exchange_rates_for
from quoting.store.models import (
    ApprovalDecision,
    AuditEvent,
    Quote,
    QuoteRevision,
    QuoteStatus,
    User,
    fold_for_search,
    to_minor,
)

S = QuoteStatus
REVISABLE = frozenset({S.DRAFT, S.PENDING_APPROVAL, S.DISCOUNT_REJECTED, S.SENT})
WITHDRAWABLE = REVISABLE
DELETABLE = frozenset({S.DRAFT, S.PENDING_APPROVAL, S.DISCOUNT_REJECTED})
RequestInput = str | bytes | dict[str, Any] | QuoteRequest


def create_quote(session: Session, request: RequestInput, author: User,
                 today: date | None = None, *, now: datetime | None = None,
                 rulebook: RuleBook | None = None) -> Quote:
    """Price the request and store it as revision 1 of a new draft (no number yet)."""
    now = now_or(now)
    parsed, priced = _price(request, today, rulebook)
    begin_write(session)
    client = client_for(session, parsed, author)
    rates = exchange_rates_for(session, priced)
    status = S.PENDING_APPROVAL if priced.requires_approval else S.DRAFT
    name = parsed.client.name
    quote = Quote(
        market=priced.market, client_id=client.id, owner_id=author.id, status=status,
        current_revision=1, quote_date=priced.quote_date, valid_until=priced.valid_until,
        client_name=name, client_name_folded=fold_for_search(name),
        created_at=now, updated_at=now, discount_percent=str(parsed.discount_percent),
        **_totals(priced),
    )
    session.add(quote)
    session.flush()
    session.add(_revision(quote, 1, parsed, priced, rates, author, now))
    record(session, author, "quote.create", quote, 1, None, status,
           {"rules_version": priced.rules_version}, now=now)
    session.flush()
    if status == S.PENDING_APPROVAL:
        notify_approval_needed(session, quote, author,
                               str(priced.program.discount_percent), now=now)
    return quote


def revise_quote(session: Session, ref: str, request: RequestInput, author: User,
                 today: date | None = None, *, seen_revision: int | None = None,
                 now: datetime | None = None, rulebook: RuleBook | None = None) -> Quote:
    """Store the edited request as revision n+1. A sent quote goes back to draft
    (or pending approval) and must be sent again; earlier revisions stay as they were.
    `seen_revision` is the revision the author was looking at: if the quote has
    moved on since, nothing is stored (stale_revision)."""
    now = now_or(now)
    parsed, priced = _price(request, today, rulebook)
    quote = lock_quote(session, ref)
    require_editor(author, quote, "revise")
    require_seen(quote, seen_revision)
    if quote.status not in REVISABLE:
        raise InvalidTransition(
            f"{quote.ref} is {quote.status} and can no longer be revised; "
            f"duplicate it to quote again", code="wrong_status", ref=quote.ref,
            action="revise", status=quote.status, allowed=sorted(REVISABLE))
    if priced.market != quote.market:
        raise QuoteInputError.single(
            "market", f"{quote.ref} is a {quote.market} quote; a {priced.market} request "
            f"needs a new quote")
    client = client_for(session, parsed, author)
    rates = exchange_rates_for(session, priced)
    revision = quote.current_revision + 1
    status = S.PENDING_APPROVAL if priced.requires_approval else S.DRAFT
    session.add(_revision(quote, revision, parsed, priced, rates, author, now))
    previous_status = quote.status
    quote.client_id = client.id
    quote.client_name = parsed.client.name
    quote.client_name_folded = fold_for_search(parsed.client.name)
    quote.current_revision = revision
    quote.status = status
    quote.quote_date = priced.quote_date
    quote.valid_until = priced.valid_until
    for name, value in _totals(priced).items():
        setattr(quote, name, value)
    quote.discount_percent = str(parsed.discount_percent)
    quote.updated_at = now
    record(session, author, "quote.revise", quote, revision, previous_status, status,
           {"rules_version": priced.rules_version}, now=now)
    session.flush()
    if status == S.PENDING_APPROVAL:
        notify_approval_needed(session, quote, author,
                               str(priced.program.discount_percent), now=now)
    return quote


def duplicate_quote(session: Session, ref: str, author: User, today: date | None = None, *,
                    now: datetime | None = None, rulebook: RuleBook | None = None) -> Quote:
    """A new draft from the current revision's request, dated and priced today."""
    source = get_quote(session, ref)
    request = dict(current_revision(source).request)
    request.pop("date", None)
    # The copy quotes the client as the record names it today (it may have been renamed).
    request["client"] = {**request["client"], "name": source.client.legal_name}
    source_ref = source.ref
    duplicate = create_quote(session, request, author, today, now=now, rulebook=rulebook)
    record(session, author, "quote.duplicate", duplicate, 1, None, duplicate.status,
           {"from": source_ref}, now=now)
    return duplicate


def delete_draft(session: Session, ref: str, actor: User, *, seen_revision: int | None = None,
                 now: datetime | None = None) -> Quote:
    """Throw away a quote that was never sent. It never had a number, so numbering
    keeps no gap; its revisions and audit trail stay, marked deleted, out of lists."""
    now = now_or(now)
    quote = lock_quote(session, ref)
    require_editor(actor, quote, "delete")
    require_seen(quote, seen_revision)
    if not can_delete(quote):
        raise InvalidTransition(
            f"{quote.ref} is {quote.status}: only a draft that was never sent can be deleted; "
            f"withdraw it instead", code="not_a_draft", ref=quote.ref, status=quote.status)
    previous = quote.status
    quote.status = S.DELETED
    quote.updated_at = now
    record(session, actor, "quote.delete", quote, quote.current_revision, previous, S.DELETED,
           now=now)
    session.flush()
    return quote


def require_editor(user: User, quote: Quote, verb: str) -> None:
    if user.role in MANAGERS or quote.owner_id == user.id:
        return
    raise PermissionDenied(
        f"{user.email} cannot {verb} {quote.ref}: it belongs to someone else; "
        f"only its owner, finance or admin can", code="not_editor", ref=quote.ref,
        action=verb)


def can_edit(user: User, quote: Quote) -> bool:
    return user.role in MANAGERS or quote.owner_id == user.id


def can_delete(quote: Quote) -> bool:
    """Only a draft that was never sent (it has no number) can be deleted."""
    return quote.number is None and quote.status in DELETABLE


def can_view(user: User, quote: Quote, *, own_quotes_only: bool) -> bool:
    """Everyone sees every quote, unless the deployment restricts sales users to their
    own (finance and admin always see all)."""
    return not own_quotes_only or can_edit(user, quote)


def owner_restriction(user: User, *, own_quotes_only: bool) -> int | None:
    """The owner id a listing is limited to for this user, or None for all."""
    if own_quotes_only and user.role not in MANAGERS:
        return user.id
    return None


def get_quote(session: Session, ref: str) -> Quote:
    """A quote by number or draft reference, with client, owner and revisions."""
    quote = session.scalars(
        quote_where(select(Quote), ref)
        # Client and owner in the same query; the revisions in one more.
        .options(joinedload(Quote.client), joinedload(Quote.owner),
                 selectinload(Quote.revisions).joinedload(QuoteRevision.author))
    ).one_or_none()
    if quote is None:
        raise NotFound(f"no quote {ref}", code="not_found", what="quote", ref=ref)
    return quote


def current_revision(quote: Quote) -> QuoteRevision:
    return revision_of(quote, quote.current_revision)


def quote_events(session: Session, ref: str) -> list[AuditEvent]:
    quote = get_quote(session, ref)
    return list(session.scalars(
        select(AuditEvent).where(AuditEvent.quote_id == quote.id).order_by(AuditEvent.id)
    ))


def quote_view(session: Session, quote: Quote) -> dict[str, Any]:
    """The quote as JSON-ready data: header, every revision, approvals, the client's
    decision through a link ("acceptance": its evidence, or None) and the links made
    for the client ("client_links")."""
    from quoting.services.delivery import delivery_view  # it builds on this module

    approvals = session.scalars(
        select(ApprovalDecision).where(ApprovalDecision.quote_id == quote.id)
        .order_by(ApprovalDecision.id)
    ).all()
    return {
        "number": quote.number,
        "reference": quote.ref,
        "market": quote.market,
        "status": quote.status,
        "current_revision": quote.current_revision,
        "quote_date": quote.quote_date.isoformat(),
        "valid_until": quote.valid_until.isoformat(),
        "client": {"legal_name": quote.client_name, "country": quote.client.country,
                   "tax_id": quote.client.tax_id, "record_name": quote.client.legal_name},
        "owner": {"email": quote.owner.email, "name": quote.owner.name},
        "created_at": quote.created_at.isoformat(),
        "updated_at": quote.updated_at.isoformat(),
        "revisions": [_revision_view(r) for r in quote.revisions],
        "approvals": [
            {"revision": a.revision, "decision": a.decision, "reason": a.reason,
             "by": a.decided_by.email, "at": a.decided_at.isoformat()}
            for a in approvals
        ],
        **delivery_view(session, quote),
    }


def _revision_view(revision: QuoteRevision) -> dict[str, Any]:
    return {
        "revision": revision.revision,
        "rules_version": revision.rules_version,
        "language": revision.language,
        "quote_date": revision.quote_date.isoformat(),
        "valid_until": revision.valid_until.isoformat(),
        "requires_approval": revision.requires_approval,
        "program_total": {"currency": revision.program_currency,
                          "amount": str(revision.program_total)},
        "license_total": {"currency": revision.license_currency,
                          "amount": str(revision.license_total)},
        "author": revision.author.email,
        "created_at": revision.created_at.isoformat(),
        "sent_at": revision.sent_at.isoformat() if revision.sent_at else None,
        "pdf_sha256": revision.pdf_sha256,
        "exchange_rates": revision.exchange_rates,
        "request": revision.request,
        "priced": revision.priced,
    }


def _price(request: RequestInput, today: date | None,
           rulebook: RuleBook | None) -> tuple[QuoteRequest, PricedQuote]:
    parsed = request if isinstance(request, QuoteRequest) else parse_request(request)
    today = today or market_today(parsed.market.value)
    if parsed.date is None:
        # Store the date it was priced on, so the stored request reprices the same.
        parsed = parsed.model_copy(update={"date": today})
    return parsed, price_request(parsed, rulebook or default_rulebook(), today)


def _revision(quote: Quote, number: int, request: QuoteRequest, priced: PricedQuote,
              rates: list[dict[str, Any]], author: User, now: datetime) -> QuoteRevision:
    return QuoteRevision(
        quote=quote, revision=number, request=request.model_dump(mode="json"),
        priced=priced.to_dict(), rules_version=priced.rules_version, exchange_rates=rates,
        language=priced.language, quote_date=priced.quote_date, valid_until=priced.valid_until,
        requires_approval=priced.requires_approval, author=author, created_at=now,
        **_totals(priced),
    )


def _totals(priced: PricedQuote) -> dict[str, Any]:
    """Currencies and totals (minor units) of a revision, which its quote carries too
    while it is the current one (finance's summary and the desk's list read them there)."""
    return {
        "program_currency": priced.program.currency,
        "program_total_minor": to_minor(priced.program.total.amount, priced.program.currency),
        "license_currency": priced.licenses.currency,
        "license_total_minor": to_minor(priced.licenses.total.amount, priced.licenses.currency),
    }
