"""A quote's moves after it is written: send, accept, decline, withdraw, expire.

Each move locks the quote, reads it fresh, checks the revision the user saw and
the status, and records the move in the audit trail, all in one transaction.
Sending is the one move that renders (and signs, see documents.sign_sent_pdf):
the PDF is made before the final transaction, so no lock is held during a render,
and the revision becomes `sent` in the same transaction that stores its PDF. A crash at any instant
leaves the quote a draft, or sent with its PDF, never sent without it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from quoting.i18n import market_today
from quoting.services.common import begin_write, lock_quote, now_or, record, require_seen
from quoting.services.documents import render_snapshot, revision_snapshot, sign_sent_pdf
from quoting.services.errors import InvalidTransition, Refused
from quoting.services.quotes import WITHDRAWABLE, current_revision, require_editor
from quoting.store.models import Quote, QuoteCounter, QuoteStatus, RevisionPdf, User

S = QuoteStatus
Renderer = Callable[[Mapping[str, Any]], bytes]


def send_quote(session: Session, ref: str, actor: User, today: date | None = None, *,
               seen_revision: int | None = None, now: datetime | None = None,
               render: Renderer | None = None) -> Quote:
    """Send the current revision: number the quote (first send), render its PDF, then
    mark it sent and keep the PDF byte for byte, in one transaction.

    Commits twice: once to give the quote its number (a numbered draft whose send
    failed keeps its number and is sent again with it), and once for the send
    itself. Between the two the PDF is rendered with no lock held. If someone
    changed the quote meanwhile, nothing is sent (stale_revision); nor if the PDF
    cannot be rendered or signed (pdf_not_rendered, the renderer's or signer's error
    as its cause). The PDF kept, and its SHA-256, are those of the signed PDF when a
    seller's signer is configured (services.documents.use_seller_signer)."""
    now = now_or(now)
    quote = number_for_sending(session, ref, actor, today, seen_revision=seen_revision,
                               now=now)
    number, revision = str(quote.number), quote.current_revision
    session.commit()

    snapshot = revision_snapshot(session, number, revision)
    snapshot["status"] = "sent"
    session.rollback()  # ends the read: nothing is held while the PDF renders
    try:
        pdf = (render or render_snapshot)(snapshot)
    except Exception as exc:  # WeasyPrint, a font, the cache folder: nothing is sent
        raise Refused(
            f"{number} was not sent: its PDF could not be rendered "
            f"({type(exc).__name__}: {exc}); it keeps its number and can be sent again",
            code="pdf_not_rendered", ref=number) from exc
    try:
        pdf = sign_sent_pdf(pdf, snapshot)
    except Exception as exc:  # pyHanko, a key the process can no longer use
        raise Refused(
            f"{number} was not sent: its PDF could not be signed "
            f"({type(exc).__name__}: {exc}); it keeps its number and can be sent again",
            code="pdf_not_rendered", ref=number) from exc

    quote = lock_quote(session, number)
    _check_sendable(quote, actor, revision, today)
    stored = current_revision(quote)
    sha256 = hashlib.sha256(pdf).hexdigest()
    stored.sent_at = now
    stored.pdf_sha256 = sha256
    session.add(RevisionPdf(revision_id=stored.id, sha256=sha256, pdf=pdf, created_at=now))
    return move(session, quote, S.SENT, actor, "quote.send", now, {"pdf_sha256": sha256})


def number_for_sending(session: Session, ref: str, actor: User, today: date | None = None,
                       *, seen_revision: int | None = None,
                       now: datetime | None = None) -> Quote:
    """A send's first step, not committed: the quote locked and checked (the revision
    the user saw, its status, its validity), and numbered on its first send. send_quote
    commits it alone; services.sending.request_send with the request to a worker."""
    quote = lock_quote(session, ref)
    _check_sendable(quote, actor, seen_revision, today)
    if quote.number is None:
        _give_number(session, quote, today or market_today(quote.market), actor,
                     now_or(now))
    return quote


def _check_sendable(quote: Quote, actor: User, seen_revision: int | None,
                    today: date | None) -> None:
    require_editor(actor, quote, "send")
    require_seen(quote, seen_revision)
    if quote.status == S.PENDING_APPROVAL:
        raise InvalidTransition(
            f"{quote.ref} has a discount above the {quote.market} limit: a finance or "
            f"admin user must approve it before it can be sent", code="needs_approval",
            ref=quote.ref, market=quote.market)
    if quote.status == S.DISCOUNT_REJECTED:
        raise InvalidTransition(
            f"{quote.ref}'s discount was rejected: revise it before sending",
            code="discount_rejected", ref=quote.ref)
    require_status(quote, "send", {S.DRAFT})
    require_valid(quote, today, f"{quote.ref} was valid until {quote.valid_until}: revise it "
                  f"with a current date before sending")


def require_valid(quote: Quote, today: date | None, message: str) -> None:
    """Refuse a step on a quote whose validity ended before today (the market's today
    unless given)."""
    if quote.valid_until < (today or market_today(quote.market)):
        raise InvalidTransition(message, code="validity_ended", ref=quote.ref,
                                valid_until=quote.valid_until.isoformat())


def _give_number(session: Session, quote: Quote, day: date, actor: User,
                 now: datetime) -> None:
    draft_ref = quote.ref
    sequence = next_sequence(session, quote.market, day.year)
    quote.year, quote.sequence = day.year, sequence
    quote.number = format_number(quote.market, day.year, sequence)
    record(session, actor, "quote.number", quote, quote.current_revision,
           detail={"number": quote.number, "draft_reference": draft_ref}, now=now)
    session.flush()


def format_number(market: str, year: int, sequence: int) -> str:
    return f"{market}-{year}-{sequence:04d}"


def next_sequence(session: Session, market: str, year: int) -> int:
    """Bump the (market, year) counter and return the new value. The upsert locks
    the counter row until the transaction ends (PostgreSQL row lock; SQLite's write
    lock), so concurrent senders queue here and numbers stay gapless."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(QuoteCounter).values(market=market, year=year, last_sequence=1)
    upsert = statement.on_conflict_do_update(
        index_elements=[QuoteCounter.market, QuoteCounter.year],
        set_={"last_sequence": QuoteCounter.last_sequence + 1},
    ).returning(QuoteCounter.last_sequence)
    sequence: int = session.execute(upsert).scalar_one()
    return sequence


def accept_quote(session: Session, ref: str, actor: User, today: date | None = None, *,
                 seen_revision: int | None = None, now: datetime | None = None) -> Quote:
    quote = lock_quote(session, ref)
    require_editor(actor, quote, "accept")
    require_seen(quote, seen_revision)
    require_status(quote, "accept", {S.SENT})
    require_valid(quote, today, f"{quote.ref} expired on {quote.valid_until}: it can no "
                  f"longer be accepted; revise and send it again")
    return move(session, quote, S.ACCEPTED, actor, "quote.accept", now_or(now))


def decline_quote(session: Session, ref: str, actor: User, *, reason: str | None = None,
                  seen_revision: int | None = None, now: datetime | None = None) -> Quote:
    quote = lock_quote(session, ref)
    require_editor(actor, quote, "decline")
    require_seen(quote, seen_revision)
    require_status(quote, "decline", {S.SENT})
    return move(session, quote, S.DECLINED, actor, "quote.decline", now_or(now),
                 {"reason": reason} if reason else None)


def withdraw_quote(session: Session, ref: str, actor: User, *, reason: str | None = None,
                   seen_revision: int | None = None, now: datetime | None = None) -> Quote:
    quote = lock_quote(session, ref)
    require_editor(actor, quote, "withdraw")
    require_seen(quote, seen_revision)
    require_status(quote, "withdraw", WITHDRAWABLE)
    return move(session, quote, S.WITHDRAWN, actor, "quote.withdraw", now_or(now),
                 {"reason": reason} if reason else None)


def expire_due(session: Session, today: date | None = None, *,
               now: datetime | None = None) -> list[str]:
    """Expire every sent quote whose validity ended before today (each market's own
    today unless `today` is given); returns their numbers."""
    now = now_or(now)
    begin_write(session)
    # No market is more than a day ahead of UTC; narrow by market below.
    latest = today or (now.date() + timedelta(days=1))
    candidates = session.scalars(
        select(Quote).where(Quote.status == S.SENT, Quote.valid_until < latest)
        .order_by(Quote.id).with_for_update().execution_options(populate_existing=True)
    ).all()
    expired = []
    for quote in candidates:
        day = today or market_today(quote.market)
        if quote.valid_until < day:
            move(session, quote, S.EXPIRED, None, "quote.expire", now,
                  {"valid_until": quote.valid_until.isoformat(), "today": day.isoformat()})
            expired.append(quote.ref)
    return expired


def move(session: Session, quote: Quote, to_status: QuoteStatus, actor: User | None,
         action: str, now: datetime, detail: dict[str, Any] | None = None) -> Quote:
    """Change a locked quote's status and record it."""
    previous = quote.status
    quote.status = to_status
    quote.updated_at = now
    record(session, actor, action, quote, quote.current_revision, previous, to_status,
           detail, now=now)
    session.flush()
    return quote



def require_status(quote: Quote, action: str, allowed: Iterable[QuoteStatus]) -> None:
    names = sorted(s.value for s in allowed)
    if quote.status not in names:
        raise InvalidTransition(
            f"cannot {action} {quote.ref}: it is {quote.status}; only a quote that is "
            f"{' or '.join(names)} can be", code="wrong_status", ref=quote.ref,
            action=action, status=quote.status, allowed=names)
