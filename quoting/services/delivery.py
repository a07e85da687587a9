"""The client's side of a sent quote: a private link to the revision sent, and the
client's acceptance or refusal through it, recorded as evidence.

- `create_client_link`: a link to a sent quote's current revision. The token
  (`secrets.token_urlsafe(32)`, 256 bits) is returned once; only its SHA-256 is
  stored. A link made for a later sent revision marks the quote's earlier links
  superseded.
- `open_client_link`: what a link shows (the revision's snapshot), counting the
  view; a link that no longer shows an open proposal is refused.
- `decide_by_client`: accept (name, position, authority) or decline (optional
  reason) through a link, under the quote's lock, while it is still sent at the
  revision the link shows; the evidence names the SHA-256 of the exact PDF kept
  when that revision was sent.

Refusal codes: not_sent (ref, revision), pdf_not_kept (ref, revision),
link_unknown, link_expired (expires_at), link_superseded (revision, newer_revision),
link_withdrawn, already_decided (decision), validity_ended (ref, valid_until);
plus not_editor and stale_revision as elsewhere. Nothing here commits.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from quoting.errors import FieldProblem, QuoteInputError
from quoting.i18n import MARKET_TIMEZONES
from quoting.services.common import begin_write, lock_quote, now_or, record, require_seen
from quoting.services.documents import revision_snapshot
from quoting.services.errors import Conflict, InvalidTransition, NotFound, Refused
from quoting.services.lifecycle import move
from quoting.services.notifications import notify
from quoting.services.quotes import current_revision, require_editor
from quoting.store.client_links import ClientDecision, ClientLink, ClientReceipt
from quoting.store.models import Quote, QuoteRevision, QuoteStatus, User

S = QuoteStatus
TOKEN_BYTES = 32  # secrets.token_urlsafe(32): 256 random bits, 43 characters
# What a token may look like before anything is looked up (token_urlsafe's alphabet).
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{32,128}")
DECIDED = {S.ACCEPTED: "accepted", S.DECLINED: "declined"}
MAX_NAME, MAX_POSITION, MAX_PO, MAX_REASON = 200, 200, 100, 2000
MAX_IP, MAX_USER_AGENT = 64, 500
LINK_PATH = "/p/"

__all__ = ["ClientLinkView", "client_link_url", "create_client_link", "decide_by_client",
           "delivery_view", "open_client_link", "token_sha256"]


@dataclass(frozen=True, slots=True)
class ClientLinkView:
    """What a link shows: the link, its quote's number, the revision's snapshot (the
    data its PDF was rendered from) and the client's decision on it, if any."""

    link: ClientLink
    number: str
    market: str
    status: str  # the quote's status now (accepted or declined once decided)
    snapshot: dict[str, Any]
    pdf_sha256: str | None  # of the PDF kept when the revision was sent
    decision: ClientDecision | None


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def client_link_url(public_url: str, token: str) -> str:
    """The address the client opens: PUBLIC_URL + /p/<token>."""
    return f"{public_url.rstrip('/')}{LINK_PATH}{token}"


def create_client_link(session: Session, ref: str, actor: User, *,
                       seen_revision: int | None = None,
                       now: datetime | None = None) -> tuple[ClientLink, str]:
    """A new private link to the sent quote's current revision, and its token (shown
    once: only its SHA-256 is kept). Earlier links of the quote to older revisions
    are marked superseded by this revision."""
    now = now_or(now)
    quote = lock_quote(session, ref)
    require_editor(actor, quote, "make a client link for")
    require_seen(quote, seen_revision)
    stored = current_revision(quote)
    if quote.status != S.SENT or stored.sent_at is None:
        raise InvalidTransition(
            f"{quote.ref} is {quote.status}: only a sent quote's current revision can be "
            f"opened by the client; send it first", code="not_sent", ref=quote.ref,
            revision=stored.revision)
    if stored.pdf_sha256 is None:
        raise Conflict(
            f"{quote.ref} revision {stored.revision} has no PDF kept as sent: open its PDF "
            f"on the sales desk once so it is kept, then make the link",
            code="pdf_not_kept", ref=quote.ref, revision=stored.revision)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.execute(
        update(ClientLink)
        .where(ClientLink.quote_id == quote.id, ClientLink.revision < stored.revision,
               ClientLink.superseded_by_revision.is_(None))
        .values(superseded_by_revision=stored.revision)
        .execution_options(synchronize_session="fetch"))
    link = ClientLink(quote_id=quote.id, revision=stored.revision,
                      token_sha256=token_sha256(token), created_at=now,
                      created_by_id=actor.id, expires_at=_end_of_day_utc(stored),
                      view_count=0)
    session.add(link)
    session.flush()
    record(session, actor, "link.create", quote, stored.revision,
           detail={"link_id": link.id, "expires_at": link.expires_at.isoformat()}, now=now)
    session.flush()
    return link, token


def open_client_link(session: Session, token: str, *, now: datetime | None = None,
                     record_view: bool = True) -> ClientLinkView:
    """What the link shows, counting the view (the first one is also audited as
    `link.view`). A link whose proposal was decided on keeps showing it with the
    decision; otherwise an expired, superseded or withdrawn one is refused."""
    now = now_or(now)
    link, quote = find_link(session, token)
    decision = _decision(session, link)
    if decision is None:
        _require_open(link, quote, now)
    if record_view:
        begin_write(session)
        first = session.execute(
            update(ClientLink).where(ClientLink.id == link.id,
                                     ClientLink.first_viewed_at.is_(None))
            .values(first_viewed_at=now).execution_options(synchronize_session=False))
        session.execute(
            update(ClientLink).where(ClientLink.id == link.id)
            .values(view_count=ClientLink.view_count + 1)
            .execution_options(synchronize_session=False))
        if getattr(first, "rowcount", 0) == 1:
            record(session, None, "link.view", quote, link.revision,
                   detail={"link_id": link.id}, now=now)
            notify(session, [quote.owner], quote, "client_opened", link.revision,
                   {"at": now.isoformat(), "market": quote.market,
                    "revision": link.revision}, now=now)
        session.flush()
        session.refresh(link)
    number = str(quote.number)
    return ClientLinkView(link=link, number=number, market=quote.market,
                          status=str(quote.status),
                          snapshot=revision_snapshot(session, number, link.revision),
                          pdf_sha256=_revision(quote, link.revision).pdf_sha256,
                          decision=decision)


def decide_by_client(session: Session, token: str, decision: str, *,
                     signer_name: str | None = None, signer_position: str | None = None,
                     authorised: bool = False, po_number: str | None = None,
                     reason: str | None = None, ip: str | None = None,
                     user_agent: str | None = None,
                     now: datetime | None = None) -> ClientDecision:
    """The client accepts ("accept") or declines ("decline") the revision the link
    shows. Accepting needs the signer's name and position and their word that they
    may accept for the client (QuoteInputError otherwise, nothing recorded). Under
    the quote's lock the quote must still be sent at that revision and valid."""
    now = now_or(now)
    outcome = {"accept": "accepted", "accepted": "accepted",
               "decline": "declined", "declined": "declined"}.get(decision)
    if outcome is None:
        raise QuoteInputError.single("decision", "accept or decline")
    link, quote = find_link(session, token)
    fields = _evidence_fields(outcome, signer_name, signer_position, authorised, po_number,
                              reason)
    quote = lock_quote(session, str(quote.number))
    link = session.scalars(select(ClientLink).where(ClientLink.id == link.id)
                           .execution_options(populate_existing=True)).one()
    earlier = _decision(session, link)
    if earlier is not None or (quote.status in DECIDED
                               and quote.current_revision == link.revision):
        raise Conflict(
            f"{quote.ref} revision {link.revision} was already "
            f"{earlier.decision if earlier else quote.status}; a decision is made once",
            code="already_decided",
            decision=earlier.decision if earlier else str(quote.status))
    _require_open(link, quote, now)
    day = now.astimezone(ZoneInfo(MARKET_TIMEZONES[quote.market])).date()
    if quote.valid_until < day:
        raise InvalidTransition(
            f"{quote.ref} was valid until {quote.valid_until}: it can no longer be "
            f"accepted or declined online", code="validity_ended", ref=quote.ref,
            valid_until=quote.valid_until.isoformat())
    stored = current_revision(quote)
    if stored.pdf_sha256 is None:  # sending records it; a link is made only then
        raise Conflict(f"{quote.ref} revision {stored.revision} has no PDF kept as sent",
                       code="pdf_not_kept", ref=quote.ref, revision=stored.revision)
    evidence = ClientDecision(
        quote_id=quote.id, link_id=link.id, revision=link.revision, decision=outcome,
        decided_at=now, ip=_clip(ip, MAX_IP), user_agent=_clip(user_agent, MAX_USER_AGENT),
        pdf_sha256=stored.pdf_sha256, **fields)
    session.add(evidence)
    session.flush()
    to_status, action = ((S.ACCEPTED, "quote.accept_by_client") if outcome == "accepted"
                         else (S.DECLINED, "quote.decline_by_client"))
    move(session, quote, to_status, None, action, now, evidence_view(evidence))
    notify(session, [quote.owner], quote, f"client_{outcome}", link.revision,
           {**evidence_view(evidence), "market": quote.market}, now=now)
    return evidence


def evidence_view(decision: ClientDecision) -> dict[str, Any]:
    """A decision's evidence as JSON-ready data."""
    return {
        "decision": decision.decision,
        "revision": decision.revision,
        "signer_name": decision.signer_name,
        "signer_position": decision.signer_position,
        "authorised": decision.authorised,
        "po_number": decision.po_number,
        "reason": decision.reason,
        "decided_at": decision.decided_at.isoformat(),
        "ip": decision.ip,
        "user_agent": decision.user_agent,
        "pdf_sha256": decision.pdf_sha256,
        "link_id": decision.link_id,
    }


def delivery_view(session: Session, quote: Quote) -> dict[str, Any]:
    """For quote_view: the client's decision (its evidence) or None, and the quote's
    client links (never their tokens)."""
    decision = session.scalars(
        select(ClientDecision).where(ClientDecision.quote_id == quote.id)
        .order_by(ClientDecision.id.desc()).limit(1)).one_or_none()
    links = session.scalars(select(ClientLink).where(ClientLink.quote_id == quote.id)
                            .order_by(ClientLink.id)).all()
    acceptance = evidence_view(decision) if decision is not None else None
    if decision is not None and acceptance is not None:
        receipt = session.scalars(select(ClientReceipt).where(
            ClientReceipt.decision_id == decision.id)).one_or_none()
        acceptance["receipt"] = ({"sha256": receipt.sha256,
                                  "created_at": receipt.created_at.isoformat()}
                                 if receipt is not None else None)
    return {
        "acceptance": acceptance,
        "client_links": [
            {"revision": link.revision, "created_at": link.created_at.isoformat(),
             "first_viewed_at": (link.first_viewed_at.isoformat()
                                 if link.first_viewed_at else None),
             "view_count": link.view_count, "expires_at": link.expires_at.isoformat(),
             "superseded": (link.superseded_by_revision is not None
                            or link.revision != quote.current_revision)}
            for link in links
        ],
    }


# ---------------------------------------------------------------- helpers


def find_link(session: Session, token: str) -> tuple[ClientLink, Quote]:
    """The link of a token and its quote; link_unknown for anything else (a malformed
    token is not looked up; the answer is the same)."""
    link = None
    if isinstance(token, str) and TOKEN_SHAPE.fullmatch(token):
        link = session.scalars(select(ClientLink).where(
            ClientLink.token_sha256 == token_sha256(token))).one_or_none()
    if link is None:
        raise NotFound("no such client link", code="link_unknown")
    return link, link.quote


def _decision(session: Session, link: ClientLink) -> ClientDecision | None:
    return session.scalars(select(ClientDecision).where(
        ClientDecision.quote_id == link.quote_id,
        ClientDecision.revision == link.revision)).one_or_none()


def _require_open(link: ClientLink, quote: Quote, now: datetime) -> None:
    """The link still shows an open proposal: not superseded by a later revision, not
    withdrawn or expired. Each refusal names the language of the revision the link
    shows (`language`) and the quote's market (`market`), so the client is told in
    their words."""
    language = _revision(quote, link.revision).language
    if (link.superseded_by_revision is not None or quote.current_revision != link.revision
            or quote.status not in (S.SENT, S.WITHDRAWN, S.EXPIRED, *DECIDED)):
        newer = current_revision(quote)
        raise Refused("a newer proposal exists for this quote", code="link_superseded",
                      revision=link.revision, newer_revision=quote.current_revision,
                      # The day it was sent where the client is.
                      newer_sent_on=(newer.sent_at.astimezone(
                          ZoneInfo(MARKET_TIMEZONES[quote.market])).date().isoformat()
                          if quote.status == S.SENT and newer.sent_at else None),
                      language=language, market=quote.market)
    if quote.status == S.WITHDRAWN:
        raise Refused("the proposal was withdrawn", code="link_withdrawn",
                      language=language, market=quote.market)
    if quote.status == S.EXPIRED or now >= link.expires_at:
        raise Refused(f"the link expired on {link.expires_at.isoformat()}",
                      code="link_expired", expires_at=link.expires_at.isoformat(),
                      language=language, market=quote.market)


def _revision(quote: Quote, number: int) -> QuoteRevision:
    return next(r for r in quote.revisions if r.revision == number)


def _end_of_day_utc(revision: QuoteRevision) -> datetime:
    """The link's end: midnight UTC after the revision's last valid day."""
    return datetime.combine(revision.valid_until + timedelta(days=1), time(0), tzinfo=UTC)


def _clip(value: str | None, limit: int) -> str | None:
    text = (value or "").strip()
    return text[:limit] or None


def _evidence_fields(outcome: str, signer_name: str | None, signer_position: str | None,
                     authorised: bool, po_number: str | None,
                     reason: str | None) -> dict[str, Any]:
    name, position = (signer_name or "").strip(), (signer_position or "").strip()
    po, why = (po_number or "").strip(), (reason or "").strip()
    problems = []
    if outcome == "accepted":
        if not name:
            problems.append(FieldProblem("signer_name", "your full name is required"))
        if not position:
            problems.append(FieldProblem("signer_position", "your position is required"))
        if authorised is not True:
            problems.append(FieldProblem(
                "authorised", "confirm that you are authorised to accept for the client"))
    for field, text, limit in (("signer_name", name, MAX_NAME),
                               ("signer_position", position, MAX_POSITION),
                               ("po_number", po, MAX_PO), ("reason", why, MAX_REASON)):
        if len(text) > limit:
            problems.append(FieldProblem(field, f"at most {limit} characters"))
    if problems:
        raise QuoteInputError(problems)
    return {"signer_name": name or None, "signer_position": position or None,
            "authorised": authorised is True,
            "po_number": po or None, "reason": why or None}
