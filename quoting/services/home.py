"""The signed-in user's start of the day: their open quotes, what of theirs expires
this week, the follow-ups due today (or overdue), and, for finance and admin, the
discounts waiting for a decision they may take (never on a quote they own or last
revised: the four-eyes rule of quoting.services.approvals).

"Today" is each quote's market's today, in its own time zone."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from quoting.services.common import MANAGERS
from quoting.services.errors import PermissionDenied
from quoting.services.notes import market_days
from quoting.store.models import Quote, QuoteRevision, QuoteStatus, User, from_minor
from quoting.store.workbench import QuoteFollowUp

S = QuoteStatus
OPEN = (S.DRAFT, S.PENDING_APPROVAL, S.SENT)
EXPIRING_WITHIN_DAYS = 7
HOME_LIMIT = 20
INBOX_LIMIT = 200


@dataclass(frozen=True, slots=True)
class QuoteLine:
    """One quote as the home page lists it."""

    ref: str
    market: str
    status: str
    client_name: str
    valid_until: date
    program_currency: str
    program_total: Decimal
    license_currency: str
    license_total: Decimal
    follow_up_on: date | None


@dataclass(frozen=True, slots=True)
class WaitingApproval:
    """A discount waiting for this user's decision."""

    ref: str
    market: str
    client_name: str
    program_currency: str
    program_total: Decimal
    license_currency: str
    license_total: Decimal
    discount_percent: Decimal
    author_name: str
    author_email: str
    waiting_since: datetime


@dataclass(frozen=True, slots=True)
class Home:
    open_quotes: list[QuoteLine]
    open_total: int  # all of them; the list shows the HOME_LIMIT last changed
    expiring: list[QuoteLine]
    follow_ups: list[QuoteLine]
    waiting: list[WaitingApproval] | None  # None: not finance or admin


def _per_market(now: datetime | None,
                condition: Callable[[date], ColumnElement[bool]]) -> ColumnElement[bool]:
    """A condition on each quote against its own market's today."""
    return or_(*(and_(Quote.market == market, condition(today))
                 for market, today in market_days(now).items()))


def _lines(session: Session, statement: Select[Quote, date]) -> list[QuoteLine]:
    return [
        QuoteLine(ref=quote.ref, market=quote.market, status=quote.status,
                  client_name=quote.client_name, valid_until=quote.valid_until,
                  program_currency=quote.program_currency,
                  program_total=from_minor(quote.program_total_minor, quote.program_currency),
                  license_currency=quote.license_currency,
                  license_total=from_minor(quote.license_total_minor, quote.license_currency),
                  follow_up_on=follow_up_on)
        for quote, follow_up_on in session.execute(statement).all()
    ]


def _quotes_with_follow_up() -> Select[Quote, date]:
    return (select(Quote, QuoteFollowUp.follow_up_on)
            .outerjoin(QuoteFollowUp, QuoteFollowUp.quote_id == Quote.id))


def open_quotes(session: Session, user: User, *, limit: int = HOME_LIMIT
                ) -> tuple[list[QuoteLine], int]:
    """The user's drafts, quotes awaiting approval and sent quotes, last changed first,
    and how many there are in all."""
    mine = (Quote.owner_id == user.id, Quote.status.in_(OPEN))
    total = session.scalar(select(func.count(Quote.id)).where(*mine)) or 0
    lines = _lines(session, _quotes_with_follow_up().where(*mine)
                   .order_by(Quote.updated_at.desc(), Quote.id.desc()).limit(limit))
    return lines, total


def expiring_this_week(session: Session, user: User, *, now: datetime | None = None
                       ) -> list[QuoteLine]:
    """The user's sent quotes whose validity ends within EXPIRING_WITHIN_DAYS days
    (today included), soonest first."""
    soon = _per_market(now, lambda today: Quote.valid_until.between(
        today, today + timedelta(days=EXPIRING_WITHIN_DAYS)))
    return _lines(session, _quotes_with_follow_up()
                  .where(Quote.owner_id == user.id, Quote.status == S.SENT, soon)
                  .order_by(Quote.valid_until, Quote.id))


def follow_ups_due(session: Session, user: User, *, now: datetime | None = None,
                   limit: int | None = None) -> list[QuoteLine]:
    """The user's quotes whose follow-up day is today or has passed, oldest first."""
    due = _per_market(now, lambda today: QuoteFollowUp.follow_up_on <= today)
    statement = (select(Quote, QuoteFollowUp.follow_up_on)
                 .join(QuoteFollowUp, QuoteFollowUp.quote_id == Quote.id)
                 .where(Quote.owner_id == user.id, Quote.status != S.DELETED, due)
                 .order_by(QuoteFollowUp.follow_up_on, Quote.id))
    return _lines(session, statement if limit is None else statement.limit(limit))


def approval_inbox(session: Session, user: User, *, limit: int = INBOX_LIMIT
                   ) -> list[WaitingApproval]:
    """Discounts this finance or admin user may decide, the longest waiting first:
    quotes awaiting approval they neither own nor last revised."""
    if user.role not in MANAGERS:
        raise PermissionDenied(
            f"{user.email} is {user.role}: only finance or admin users decide on discounts",
            code="not_approver", email=user.email, role=user.role)
    rows = session.execute(
        select(Quote, QuoteRevision, User)
        .join(QuoteRevision, (QuoteRevision.quote_id == Quote.id)
              & (QuoteRevision.revision == Quote.current_revision))
        .join(User, User.id == QuoteRevision.author_id)
        .where(Quote.status == S.PENDING_APPROVAL, Quote.owner_id != user.id,
               QuoteRevision.author_id != user.id)
        .order_by(QuoteRevision.created_at, Quote.id).limit(limit)
    ).all()
    return [
        WaitingApproval(
            ref=quote.ref, market=quote.market, client_name=quote.client_name,
            program_currency=revision.program_currency, program_total=revision.program_total,
            license_currency=revision.license_currency, license_total=revision.license_total,
            discount_percent=Decimal(str(revision.priced["program"]["discount_percent"])),
            author_name=author.name, author_email=author.email,
            waiting_since=revision.created_at)
        for quote, revision, author in rows
    ]


def home_for(session: Session, user: User, *, now: datetime | None = None) -> Home:
    lines, total = open_quotes(session, user)
    return Home(
        open_quotes=lines, open_total=total,
        expiring=expiring_this_week(session, user, now=now),
        follow_ups=follow_ups_due(session, user, now=now),
        waiting=approval_inbox(session, user) if user.role in MANAGERS else None,
    )
