"""A send handed to a worker (with QUEUE_URL): the desk asks, a job does it.

The request and its outcome are audit events, so the database alone says what is
still to be sent, whatever the queue lost:

- `request_send`: send_quote's first step (checks, the number on a first send) and a
  `send.request` event for the current revision, in the transaction the caller
  commits; with the email to write when the desk's "Send to client" asked for one
  (recipients, subject, body, the site's address for the link). Refused as
  send_quote refuses, and (`send_pending`) while an earlier request is pending.
- `perform_send` (the job's work): under the quote's lock, if the request is still
  pending, send_quote (or send_to_client for an email) for the requested revision,
  committed: sent, its PDF kept and, for an email, the link and the message queued,
  in one transaction. A refusal (the quote changed meanwhile, its PDF could not be
  made, ...) is recorded as `send.fail` and settles the request; any other error
  (the database out of reach) is raised, for the queue to run the job again.
- A request is pending until an event settles it: `quote.send` (the send done, by
  the job or anyone) or, for an email, the `message.queue` of its revision (written
  in the same transaction as the send), or `send.fail`. Running a request twice,
  or two runs at once, sends it once: the second finds it settled under the lock,
  or is refused by send_quote's own check in its final transaction.
- `pending_sends`: the numbered drafts with a pending request, for the worker's
  sweep when it starts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from quoting.errors import QuoteInputError
from quoting.services.common import lock_quote, now_or, record
from quoting.services.errors import Conflict, ServiceError
from quoting.services.lifecycle import number_for_sending, send_quote
from quoting.services.outbox import parse_recipients, send_to_client
from quoting.store.models import AuditEvent, Quote, QuoteStatus, User

SEND_REQUEST = "send.request"
SEND_FAIL = "send.fail"
# A numbered quote in one of these may have a send waiting (see pending_sends).
UNSENT = (QuoteStatus.DRAFT, QuoteStatus.PENDING_APPROVAL, QuoteStatus.DISCOUNT_REJECTED)
Outcome = Literal["sent", "emailed", "refused", "settled"]

__all__ = ["SEND_FAIL", "SEND_REQUEST", "EmailRequest", "SendRequest", "SendState",
           "pending_send", "pending_sends", "perform_send", "request_send", "send_state"]


@dataclass(frozen=True, slots=True)
class EmailRequest:
    """The desk's "Send to client" form, written once the quote is sent."""

    recipients: Sequence[str]
    subject: str | None
    body: str | None
    public_url: str


@dataclass(frozen=True, slots=True)
class SendRequest:
    event_id: int
    quote_id: int
    revision: int
    actor_id: int | None
    actor: str
    at: datetime
    email: EmailRequest | None


@dataclass(frozen=True, slots=True)
class SendState:
    """What the quote page says about the last request: still being sent, or refused
    (`code`, `params` and the English `message` of the refusal)."""

    state: Literal["sending", "failed"]
    request: SendRequest
    code: str | None = None
    params: dict[str, Any] | None = None
    message: str | None = None


def request_send(session: Session, ref: str, actor: User, today: date | None = None, *,
                 seen_revision: int | None, now: datetime | None = None,
                 email: EmailRequest | None = None) -> Quote:
    """Number the quote if it has no number yet and ask for its current revision to
    be sent (and emailed), in the caller's transaction."""
    now = now_or(now)
    if email is not None:
        email = EmailRequest(parse_recipients(email.recipients), email.subject,
                             email.body, email.public_url)
    quote = number_for_sending(session, ref, actor, today, seen_revision=seen_revision,
                               now=now)
    if pending_send(session, quote) is not None:
        raise Conflict(f"{quote.ref} is already being sent", code="send_pending",
                       ref=quote.ref)
    detail: dict[str, Any] = {}
    if email is not None:
        detail["email"] = {"recipients": list(email.recipients), "subject": email.subject,
                           "body": email.body, "public_url": email.public_url}
    record(session, actor, SEND_REQUEST, quote, quote.current_revision, detail=detail,
           now=now)
    session.flush()
    return quote


def _request(event: AuditEvent) -> SendRequest:
    raw = (event.detail or {}).get("email")
    email = None if not raw else EmailRequest(
        list(raw.get("recipients") or []), raw.get("subject"), raw.get("body"),
        str(raw.get("public_url") or ""))
    return SendRequest(event_id=event.id, quote_id=int(event.quote_id or 0),
                       revision=int(event.revision or 0), actor_id=event.actor_id,
                       actor=event.actor, at=event.at, email=email)


def _last_request(session: Session, quote: Quote) -> SendRequest | None:
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.quote_id == quote.id,
                                 AuditEvent.action == SEND_REQUEST)
        .order_by(AuditEvent.id.desc()).limit(1)).first()
    return None if event is None else _request(event)


def _settling_event(session: Session, request: SendRequest) -> AuditEvent | None:
    """The first event after the request that settles it (see the module's doc)."""
    done = (AuditEvent.action == "message.queue") & (AuditEvent.revision == request.revision) \
        if request.email else AuditEvent.action == "quote.send"
    return session.scalars(
        select(AuditEvent).where(AuditEvent.quote_id == request.quote_id,
                                 AuditEvent.id > request.event_id,
                                 done | (AuditEvent.action == SEND_FAIL))
        .order_by(AuditEvent.id).limit(1)).first()


def pending_send(session: Session, quote: Quote) -> SendRequest | None:
    """The quote's request to send that no event has settled yet, if any."""
    request = _last_request(session, quote)
    if request is None or _settling_event(session, request) is not None:
        return None
    return request


def send_state(session: Session, quote: Quote) -> SendState | None:
    """For the quote page: the last request if it is still being sent, or if it was
    refused and the quote is still unsent; else None."""
    request = _last_request(session, quote)
    if request is None:
        return None
    settled = _settling_event(session, request)
    if settled is None:
        return SendState("sending", request)
    if settled.action == SEND_FAIL and quote.status in UNSENT:
        detail = settled.detail or {}
        return SendState("failed", request, code=detail.get("code"),
                         params=dict(detail.get("params") or {}),
                         message=detail.get("message"))
    return None


def pending_sends(session: Session) -> list[SendRequest]:
    """Every pending request: those of the numbered drafts (a request numbers its quote)."""
    quotes = session.scalars(select(Quote).where(Quote.number.is_not(None),
                                                 Quote.status.in_(UNSENT))
                             .order_by(Quote.id))
    found = [pending_send(session, quote) for quote in quotes]
    return [request for request in found if request is not None]


def perform_send(session: Session, ref: str, revision: int, *,
                 now: datetime | None = None) -> Outcome:
    """Do the quote's pending request for `revision`, if it is still pending (else
    "settled": done or refused already, or asked again since). Commits."""
    quote = lock_quote(session, ref)
    request = pending_send(session, quote)
    if request is None or request.revision != revision:
        session.rollback()
        return "settled"
    actor = session.get(User, request.actor_id) if request.actor_id else None
    try:
        if actor is None:
            raise ServiceError(f"{quote.ref}: the user who asked for the send is gone",
                               code="not_editor", ref=quote.ref, action="send")
        if request.email is not None:
            email = request.email
            send_to_client(session, ref, actor, recipients=email.recipients,
                           subject=email.subject, body=email.body, seen_revision=revision,
                           public_url=email.public_url, now=now)
        else:
            send_quote(session, ref, actor, seen_revision=revision, now=now)
        session.commit()
    except (ServiceError, QuoteInputError) as exc:
        session.rollback()
        return _record_refusal(session, ref, request, actor, exc, now)
    return "emailed" if request.email is not None else "sent"


def _record_refusal(session: Session, ref: str, request: SendRequest, actor: User | None,
                    exc: ServiceError | QuoteInputError, now: datetime | None) -> Outcome:
    """`send.fail` for a request refused, unless another run settled it meanwhile (its
    send is then done: this run's refusal was send_quote's own check finding it sent)."""
    quote = lock_quote(session, ref)
    pending = pending_send(session, quote)
    if pending is None or pending.event_id != request.event_id:
        session.rollback()
        return "settled"
    if isinstance(exc, ServiceError):
        code, params, message = exc.code, _json_safe(exc.params.items()), exc.message
    else:
        code, params, message = "bad_input", {}, "; ".join(
            f"{p.field}: {p.message}" for p in exc.problems)
    record(session, actor, SEND_FAIL, quote, request.revision, now=now,
           detail={"send_request_id": request.event_id, "code": code, "params": params,
                   "message": message})
    session.commit()
    return "refused"


def _json_safe(items: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    return {key: value if isinstance(value, str | int | float | bool | None) else str(value)
            for key, value in items}
