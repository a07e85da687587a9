"""What the desk tells its users, on the desk and by mail.

- The owner, when the client opens a proposal's link (the first time), accepts
  it or declines it (`client_opened`, `client_accepted`, `client_declined`).
- Every active finance and admin user but the author, when a revision's discount
  waits for approval (`approval_needed`); the owner, when it is decided
  (`discount_approved`, `discount_rejected`).
- The owner, some days before a sent quote the client has not decided on expires
  (`expiring`, from `remind_expiring`: `quoting remind`, for cron).

A user is told each thing once (one notification per user, quote, kind and
revision); each notification is also queued as an email in the user's desk
language, in the same transaction as what it tells.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from quoting.errors import QuoteInputError
from quoting.i18n import MARKET_TIMEZONES, market_today
from quoting.services.common import MANAGERS, begin_write, now_or
from quoting.services.messages import DESK_PLACEHOLDER, queue_message, translations_for
from quoting.store.models import Quote, QuoteStatus, User
from quoting.store.notifications import Notification

Gettext = Callable[[str], str]
LOCALES = {"es": "es_ES", "en": "en_GB", "pt": "pt_BR"}
MAX_LISTED = 50
MAX_REMIND_DAYS = 60

__all__ = ["NoticeView", "mark_read", "notice_text", "notices_for", "notify",
           "notify_approval_needed", "remind_expiring", "unread_count"]


def notify(session: Session, users: Iterable[User], quote: Quote, kind: str, revision: int,
           detail: dict[str, Any] | None = None, *, now: datetime | None = None) -> int:
    """Tell each active user (once per quote, kind and revision) and queue the email;
    returns how many were told now."""
    now = now_or(now)
    detail = {**(detail or {}), "ref": quote.ref, "client": quote.client_name}
    told = 0
    for user in {u.id: u for u in users if u.active}.values():
        already = session.scalar(select(Notification.id).where(
            Notification.user_id == user.id, Notification.quote_id == quote.id,
            Notification.kind == kind, Notification.revision == revision))
        if already is not None:
            continue
        session.add(Notification(user_id=user.id, quote_id=quote.id, revision=revision,
                                 kind=kind, detail=detail, created_at=now))
        subject, body = notice_email(kind, detail, user.language)
        queue_message(session, quote, kind="notice", recipients=[user.email], subject=subject,
                      body=body, language=user.language, revision=revision, now=now)
        told += 1
    session.flush()
    return told


def notify_approval_needed(session: Session, quote: Quote, author: User,
                           discount_percent: str, *, now: datetime | None = None) -> int:
    """A revision waits for a discount decision: tell the finance and admin users who
    may decide it (not its author)."""
    deciders = session.scalars(select(User).where(User.role.in_(MANAGERS),
                                                  User.active.is_(True),
                                                  User.id != author.id)).all()
    return notify(session, deciders, quote, "approval_needed", quote.current_revision,
                  {"author": author.name, "discount_percent": discount_percent,
                   "market": quote.market}, now=now)


def remind_expiring(session: Session, days: int, today: date | None = None, *,
                    now: datetime | None = None) -> list[Quote]:
    """Tell the owners of sent quotes whose validity ends within `days` days (today
    included, in each market's calendar) and the client has not decided on; each
    owner is told once per quote revision. Returns the quotes whose owner was told now."""
    if not 0 <= days <= MAX_REMIND_DAYS:
        raise QuoteInputError.single("days", f"a whole number from 0 to {MAX_REMIND_DAYS}")
    begin_write(session)
    # Every market's today is within a day of UTC's.
    latest = (today or datetime.now(UTC).date() + timedelta(days=1)) + timedelta(days=days)
    told: list[Quote] = []
    candidates = session.scalars(select(Quote).where(
        Quote.status == QuoteStatus.SENT, Quote.valid_until <= latest)
        .order_by(Quote.valid_until, Quote.id)).all()
    for quote in candidates:
        day = today or market_today(quote.market)
        left = (quote.valid_until - day).days
        if not 0 <= left <= days:
            continue
        if notify(session, [quote.owner], quote, "expiring", quote.current_revision,
                  {"valid_until": quote.valid_until.isoformat(), "days_left": left}, now=now):
            told.append(quote)
    return told


# ---------------------------------------------------------------- reading


@dataclass(frozen=True, slots=True)
class NoticeView:
    id: int
    ref: str
    market: str
    kind: str
    text: str
    created_at: datetime
    read: bool


def notices_for(session: Session, user: User, language: str,
                limit: int = MAX_LISTED) -> list[NoticeView]:
    """The user's latest notifications, newest first, worded in `language`."""
    rows = session.scalars(select(Notification).where(Notification.user_id == user.id)
                           .order_by(Notification.created_at.desc(), Notification.id.desc())
                           .limit(limit)).all()
    return [NoticeView(n.id, n.quote.ref, n.quote.market, n.kind,
                       notice_text(n.kind, n.detail, language),
                       n.created_at, n.read_at is not None) for n in rows]


def unread_count(session: Session, user: User) -> int:
    return session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def mark_read(session: Session, user: User, *, now: datetime | None = None) -> int:
    """Mark all of the user's notifications read; returns how many were unread."""
    result = session.execute(
        update(Notification).where(Notification.user_id == user.id,
                                   Notification.read_at.is_(None))
        .values(read_at=now_or(now)).execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


# ---------------------------------------------------------------- wording


def notice_text(kind: str, detail: dict[str, Any], language: str) -> str:
    """The one-line notice, in es, en or pt."""
    return _wording(kind, detail, language)[0]


def notice_email(kind: str, detail: dict[str, Any], language: str) -> tuple[str, str]:
    """The notice as an email: the line as subject, a body with more and a link to the
    quote on the desk (`{desk}` is filled in at delivery)."""
    subject, more = _wording(kind, detail, language)
    _ = translations_for(language).gettext
    link = f"{DESK_PLACEHOLDER}/quotes/{detail['ref']}"
    body = "\n\n".join(part for part in (
        subject + ".", more, _("Open the quote on the sales desk: %(link)s") % {"link": link},
        _("You receive this because you use the sales desk; the desk lists every notice."))
        if part)
    return subject, body


def _wording(kind: str, detail: dict[str, Any], language: str) -> tuple[str, str]:
    gettext = translations_for(language).gettext
    locale = LOCALES.get(language, "es_ES")

    def _(message: str, **variables: Any) -> str:
        return gettext(message) % variables if variables else gettext(message)

    ref, client = detail.get("ref", ""), detail.get("client", "")
    if kind == "client_opened":
        return (_("%(client)s opened proposal %(ref)s", client=client, ref=ref),
                _("First opened on %(when)s (revision %(revision)s).",
                  when=_when(detail.get("at"), detail.get("market"), locale),
                  revision=detail.get("revision", "")))
    if kind in ("client_accepted", "client_declined"):
        line = (_("%(client)s accepted proposal %(ref)s", client=client, ref=ref)
                if kind == "client_accepted"
                else _("%(client)s declined proposal %(ref)s", client=client, ref=ref))
        parts = []
        if detail.get("signer_name"):
            parts.append(_("Signed by %(name)s (%(position)s) on %(when)s.",
                           name=detail["signer_name"], position=detail.get("signer_position")
                           or "-", when=_when(detail.get("decided_at"), detail.get("market"),
                                              locale)))
        if detail.get("po_number"):
            parts.append(_("Purchase order: %(po)s.", po=detail["po_number"]))
        if detail.get("reason"):
            parts.append(_("Reason given: %(reason)s", reason=detail["reason"]))
        return line, "\n".join(parts)
    if kind == "approval_needed":
        return (_("%(ref)s for %(client)s waits for your discount approval", ref=ref,
                  client=client),
                _("%(author)s quoted a %(percent)s%% discount, above the %(market)s limit: "
                  "approve or reject it.", author=detail.get("author", ""),
                  percent=detail.get("discount_percent", ""), market=detail.get("market", "")))
    if kind in ("discount_approved", "discount_rejected"):
        line = (_("%(name)s approved the discount on %(ref)s", name=detail.get("by", ""), ref=ref)
                if kind == "discount_approved"
                else _("%(name)s rejected the discount on %(ref)s", name=detail.get("by", ""),
                       ref=ref))
        return line, _("Reason given: %(reason)s", reason=detail.get("reason", ""))
    if kind == "expiring":
        valid_until = date.fromisoformat(str(detail.get("valid_until")))
        return (_("%(ref)s for %(client)s expires on %(date)s", ref=ref, client=client,
                  date=format_date(valid_until, format="long", locale=locale)),
                _("The client has not accepted or declined it yet."))
    return f"{kind} {ref}", ""


def _when(value: Any, market: Any, locale: str) -> str:
    if not value:
        return ""
    moment = datetime.fromisoformat(str(value))
    zone = MARKET_TIMEZONES.get(str(market), "UTC")
    return str(format_datetime(moment, format="medium", tzinfo=ZoneInfo(zone), locale=locale))

