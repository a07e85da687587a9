"""The proposal emailed to the client, through an outbox: never lost.

- `send_to_client`: send the quote if it is still a draft (it gets its number and
  its PDF kept, see lifecycle.send_quote), make a private link to the sent
  revision, and write the email (recipients, subject, body with the link, the
  revision whose kept PDF is attached) to `outbox_messages`, in the transaction
  the caller commits: the message exists if and only if the link does.
- `deliver_due`: take the queued messages whose next attempt has come, one at a
  time under a row lock, and hand each to a mailer (SMTP at MAIL_URL, or .eml
  files under OUTBOX_DIR when MAIL_URL is unset). A failure leaves the message
  queued with the server's answer and the next attempt 1, 2, 4, 8 minutes later;
  the fifth failure marks it failed.
- `default_message`: the subject and body in the proposal's language (the `web`
  gettext domain; Spain's Spanish says "presupuesto", message context "ES").
- `queue_message`: any other email (a client's receipt, a desk user's notice),
  in the caller's transaction. A notice's body may say `{desk}` where the desk's
  address goes (PUBLIC_URL, known to the mailer): it is filled in at delivery.

Refusal codes: those of send_quote and create_client_link; a bad recipient list is
a QuoteInputError on field "recipients".
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from babel.dates import format_date
from sqlalchemy import select
from sqlalchemy.orm import Session

from quoting.errors import QuoteInputError
from quoting.i18n import MARKET_LOCALES
from quoting.services.common import begin_write, now_or, record
from quoting.services.delivery import client_link_url, create_client_link, find_link
from quoting.services.documents import archived_pdf
from quoting.services.errors import NotFound, Refused
from quoting.services.lifecycle import send_quote
from quoting.services.messages import (
    DEFAULT_DESK_URL,
    DESK_PLACEHOLDER,
    MAX_BODY,
    MAX_SUBJECT,
    OUTBOX_WRITTEN,
    translations_for,
)
from quoting.services.quotes import current_revision, get_quote
from quoting.store.client_links import ClientReceipt
from quoting.store.models import AuditEvent, Quote, QuoteStatus, User
from quoting.store.outbox import OutboxMessage

log = logging.getLogger(__name__)

MAX_RECIPIENTS = 10
MAX_ATTEMPTS = 5
MAX_ERROR = 2000
# While one worker is delivering a message, no other takes it (a crash mid-send
# makes it due again after this long: delivered at least once, never lost).
LEASE = timedelta(minutes=10)
SMTP_TIMEOUT = 30
EMAIL = re.compile(r"[^@\s,;<>\"()\[\]]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?"
                   r"\.[A-Za-z]{2,63}")
# Each email names its outbox message (FileMailer names its file after it).
MESSAGE_HEADER = "X-Quoting-Message"
# Typed where the link goes in a message written before the link exists (the desk's
# form); replaced by the link's address when the message is queued.
LINK_PLACEHOLDER = "{link}"
# Likewise where a draft's number goes: it gets one when it is sent.
NUMBER_PLACEHOLDER = "{number}"

__all__ = [
    "LINK_PLACEHOLDER",
    "NUMBER_PLACEHOLDER",
    "DeliveryFailed",
    "FileMailer",
    "Mailer",
    "SmtpMailer",
    "default_message",
    "deliver_due",
    "get_message",
    "mailer_for",
    "message_view",
    "outbox_view",
    "parse_recipients",
    "send_current_to_earlier_recipients",
    "send_to_client",
]


# ---------------------------------------------------------------- writing a message


def parse_recipients(recipients: str | Iterable[str]) -> list[str]:
    """1 to 10 email addresses (a text may separate them with commas, semicolons or
    spaces), each once; QuoteInputError on "recipients" naming a bad one."""
    items = re.split(r"[,;\s]+", recipients) if isinstance(recipients, str) else [
        part for item in recipients for part in re.split(r"[,;\s]+", item)]
    addresses: list[str] = []
    for item in items:
        address = item.strip()
        if not address:
            continue
        if len(address) > 254 or not EMAIL.fullmatch(address):
            raise QuoteInputError.single(
                "recipients", f"{address[:100]!r} is not an email address")
        if address.lower() not in (a.lower() for a in addresses):
            addresses.append(address)
    if not addresses:
        raise QuoteInputError.single("recipients", "at least one email address is required")
    if len(addresses) > MAX_RECIPIENTS:
        raise QuoteInputError.single(
            "recipients", f"at most {MAX_RECIPIENTS} email addresses (got {len(addresses)})")
    return addresses


def send_to_client(session: Session, ref: str, actor: User, *,
                   recipients: str | Iterable[str], subject: str | None,
                   body: str | None, seen_revision: int | None, public_url: str,
                   today: date | None = None, now: datetime | None = None) -> OutboxMessage:
    """Email the proposal to the client: a draft is sent first (send_quote, which
    commits its numbering step itself), then a private link to the sent revision is
    made and the message is queued with the link in its body, in the transaction
    the caller commits. An empty subject or body gets the default one in the
    proposal's language; `{link}` in the body is replaced by the link's address
    (which is added at the end if the body does not say where)."""
    now = now_or(now)
    addresses = parse_recipients(recipients)
    quote = get_quote(session, ref)
    seen = seen_revision
    if quote.status != QuoteStatus.SENT:  # refused there unless it may be sent
        quote = send_quote(session, ref, actor, today, seen_revision=seen_revision, now=now)
        seen = quote.current_revision
    link, token = create_client_link(session, quote.ref, actor, seen_revision=seen, now=now)
    quote = link.quote
    url = client_link_url(public_url, token)
    stored = current_revision(quote)
    default_subject, default_body = default_message(quote, url, stored.language)
    # A message written for a draft names its number as {number} (it has none yet).
    subject = (" ".join((subject or "").split())[:MAX_SUBJECT] or default_subject).replace(
        NUMBER_PLACEHOLDER, str(quote.number))
    text = ((body or "").strip()[:MAX_BODY] or default_body).replace(
        NUMBER_PLACEHOLDER, str(quote.number))
    text = text.replace(LINK_PLACEHOLDER, url) if LINK_PLACEHOLDER in text else (
        f"{text}\n\n{url}")
    message = OutboxMessage(
        quote_id=quote.id, revision=stored.revision, kind="proposal", recipients=addresses,
        subject=subject, body=text, language=stored.language,
        attachment_revision=stored.revision, link_id=link.id, state="queued", attempts=0,
        next_attempt_at=now, created_at=now, created_by_id=actor.id)
    session.add(message)
    session.flush()
    session.info[OUTBOX_WRITTEN] = True
    record(session, actor, "message.queue", quote, stored.revision,
           detail={"message_id": message.id, "recipients": addresses,
                   "link_id": link.id}, now=now)
    session.flush()
    return message


RESEND_INTERVAL = timedelta(hours=1)


def send_current_to_earlier_recipients(session: Session, token: str, *, public_url: str,
                                       now: datetime | None = None) -> OutboxMessage:
    """A superseded link's visitor asks for the current proposal: it is emailed, with a
    new link, to the addresses the superseded one was emailed to (never to an address
    the visitor types), at most once an hour per link. Refused (`no_current_proposal`)
    unless the quote's current revision is sent; (`not_emailed`) if the old link was
    never emailed; (`resent_recently`) within the hour."""
    now = now_or(now)
    link, quote = find_link(session, token)
    stored = current_revision(quote)
    if (link.revision >= quote.current_revision or quote.status != QuoteStatus.SENT
            or stored.sent_at is None):
        raise Refused("the quote has no later sent proposal", code="no_current_proposal",
                      language=stored.language, market=quote.market)
    recipients: list[str] = []
    for addresses in session.scalars(select(OutboxMessage.recipients).where(
            OutboxMessage.link_id == link.id, OutboxMessage.kind == "proposal")):
        recipients += [a for a in addresses if a.lower() not in map(str.lower, recipients)]
    if not recipients:
        raise Refused("the link was not emailed: there is nobody to send the current "
                      "proposal to", code="not_emailed", language=stored.language,
                      market=quote.market)
    begin_write(session)
    recent = session.scalar(select(AuditEvent.id).where(
        AuditEvent.quote_id == quote.id, AuditEvent.action == "link.resend",
        AuditEvent.at > now - RESEND_INTERVAL,
        AuditEvent.detail["from_link_id"].as_integer() == link.id).limit(1))
    if recent is not None:
        raise Refused("the current proposal was sent for this link within the hour",
                      code="resent_recently", language=stored.language,
                      market=quote.market)
    message = send_to_client(session, str(quote.number), quote.owner, recipients=recipients,
                             subject=None, body=None, seen_revision=quote.current_revision,
                             public_url=public_url, now=now)
    record(session, None, "link.resend", quote, quote.current_revision,
           detail={"from_link_id": link.id, "message_id": message.id,
                   "recipients": recipients}, now=now)
    session.flush()
    return message


def default_message(quote: Quote, link_url: str, language: str,
                    number: str | None = None) -> tuple[str, str]:
    """The default subject and body of the proposal's email, in `language` (es, en,
    pt; Spain's Spanish says "presupuesto" where the rest say "propuesta")."""
    translations = translations_for(language)
    spain = quote.market == "ES" and language == "es"

    def _(message: str, **variables: Any) -> str:
        text = str(translations.pgettext("ES", message) if spain
                   else translations.gettext(message))
        return text % variables if variables else text

    stored = current_revision(quote)
    locale = MARKET_LOCALES.get(quote.market, "es_ES") if language == "es" else (
        {"pt": "pt_BR", "en": "en_US"}.get(language, "en_US"))
    contact = str((stored.request.get("client") or {}).get("contact") or "").strip()
    number = number or quote.number or quote.ref
    subject = _("Proposal %(number)s for %(client)s", number=number, client=quote.client_name)
    greeting = _("Dear %(name)s,", name=contact) if contact else _("Dear Sir or Madam,")
    body = _("Please find attached our proposal %(number)s (revision %(revision)s), valid "
             "until %(valid_until)s.\n\nYou can read it, download it and accept or decline "
             "it online at this private link:\n%(link)s\n\nIf you have any questions, "
             "simply reply to this email.\n\nKind regards,\n%(sender)s",
             number=number, revision=stored.revision,
             valid_until=format_date(stored.valid_until, format="long", locale=locale),
             link=link_url, sender=quote.owner.name)
    return subject, f"{greeting}\n\n{body}"


def outbox_view(session: Session, quote: Quote) -> list[dict[str, Any]]:
    """The quote's messages as JSON-ready data (oldest first)."""
    messages = session.scalars(select(OutboxMessage).where(OutboxMessage.quote_id == quote.id)
                               .order_by(OutboxMessage.id)).all()
    return [message_view(m) for m in messages]


def get_message(session: Session, quote: Quote, message_id: int) -> OutboxMessage:
    """One of the quote's messages (NotFound otherwise)."""
    message = session.get(OutboxMessage, message_id)
    if message is None or message.quote_id != quote.id:
        raise NotFound(f"{quote.ref} has no email {message_id}", code="message_unknown")
    return message


def message_view(m: OutboxMessage) -> dict[str, Any]:
    """A message as JSON-ready data."""
    return {
        "id": m.id, "kind": m.kind, "revision": m.revision, "recipients": list(m.recipients),
        "subject": m.subject, "body": m.body, "language": m.language,
        "attachment_revision": m.attachment_revision, "receipt_id": m.receipt_id,
        "state": m.state,
        "attempts": m.attempts, "next_attempt_at": m.next_attempt_at.isoformat(),
        "last_error": m.last_error, "created_at": m.created_at.isoformat(),
        "sent_at": m.sent_at.isoformat() if m.sent_at else None,
        "created_by": m.created_by.email if m.created_by else None,
    }


# ---------------------------------------------------------------- mailers


class DeliveryFailed(Exception):
    """A message was not delivered; the text is the server's answer."""


class Mailer(Protocol):
    @property
    def sender(self) -> str:
        """The From address (MAIL_FROM)."""

    @property
    def desk_url(self) -> str:
        """The desk's address (PUBLIC_URL), for the links in notices."""

    def send(self, message: EmailMessage) -> None:
        """Deliver the message (its From, To, Subject already set) or raise."""


@dataclass(frozen=True, slots=True)
class SmtpMailer:
    """smtp://host:port, smtps://user:pass@host:port (TLS from the start), or
    smtp://…?starttls=1 (STARTTLS after connecting)."""

    url: str
    sender: str
    timeout: float = SMTP_TIMEOUT
    desk_url: str = DEFAULT_DESK_URL

    def send(self, message: EmailMessage) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise DeliveryFailed(f"MAIL_URL must look like smtp://host:port or "
                                 f"smtps://user:password@host:port (got scheme "
                                 f"{parts.scheme!r})")
        secure = parts.scheme == "smtps"
        port = parts.port or (465 if secure else 25)
        starttls = parse_qs(parts.query).get("starttls", ["0"])[0].lower() in (
            "1", "true", "yes", "on")
        try:
            smtp: smtplib.SMTP = (
                smtplib.SMTP_SSL(parts.hostname, port, timeout=self.timeout,
                                 context=ssl.create_default_context())
                if secure else smtplib.SMTP(parts.hostname, port, timeout=self.timeout))
            with smtp:
                if starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if parts.username:
                    smtp.login(unquote(parts.username), unquote(parts.password or ""))
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryFailed("; ".join(
                f"{rcpt}: {code} {_text(answer)}"
                for rcpt, (code, answer) in exc.recipients.items())) from exc
        except smtplib.SMTPResponseException as exc:
            raise DeliveryFailed(f"{exc.smtp_code} {_text(exc.smtp_error)}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc


@dataclass(frozen=True, slots=True)
class FileMailer:
    """Without MAIL_URL: each message is written as an .eml file (for development)."""

    directory: Path
    sender: str
    desk_url: str = DEFAULT_DESK_URL

    def send(self, message: EmailMessage) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path_for(int(str(message[MESSAGE_HEADER]))).write_bytes(message.as_bytes())

    def path_for(self, message_id: int) -> Path:
        """Where the outbox message `message_id` is written (the desk reads it there)."""
        return self.directory / f"message-{message_id}.eml"


def mailer_for(mail_url: str | None, mail_from: str, outbox_dir: Path,
               desk_url: str = DEFAULT_DESK_URL) -> Mailer:
    """SMTP at MAIL_URL, else .eml files under OUTBOX_DIR."""
    desk_url = desk_url.rstrip("/")
    if mail_url and mail_url.strip():
        return SmtpMailer(mail_url.strip(), mail_from, desk_url=desk_url)
    return FileMailer(outbox_dir, mail_from, desk_url=desk_url)


def _text(answer: bytes | str) -> str:
    return answer.decode("utf-8", "replace") if isinstance(answer, bytes) else str(answer)


# ---------------------------------------------------------------- delivering


@dataclass(frozen=True, slots=True)
class Delivery:
    """What one attempt did: the message, its state after it and the error if any."""

    message_id: int
    state: str
    error: str | None


def deliver_due(session_factory: Callable[[], Session], *, mailer: Mailer,
                now: datetime | None = None, limit: int = 100) -> list[Delivery]:
    """Deliver the queued messages whose next attempt has come, one at a time: each is
    taken under a row lock and leased (committed), sent with no lock held, and its
    outcome committed. Returns what was attempted."""
    done: list[Delivery] = []
    for _ in range(limit):
        moment = now_or(now)
        claimed = _claim(session_factory, moment, mailer)
        if claimed is None:
            break
        message_id, email = claimed
        error: str | None = None
        if email is None:
            error = "the PDF to attach was not kept"
        else:
            try:
                mailer.send(email)
            except DeliveryFailed as exc:
                error = str(exc)
            except Exception as exc:  # a mailer's own failure: recorded, retried
                log.exception("delivering outbox message %s", message_id)
                error = f"{type(exc).__name__}: {exc}"
        done.append(_finish(session_factory, message_id, moment, error))
    return done


def _claim(session_factory: Callable[[], Session], now: datetime,
           mailer: Mailer) -> tuple[int, EmailMessage | None] | None:
    with session_factory() as session:
        begin_write(session)
        message = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.state == "queued", OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(1)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)).one_or_none()
        if message is None:
            session.rollback()
            return None
        email = _email(session, message, mailer, now)
        message.next_attempt_at = now + LEASE
        message_id = message.id
        session.commit()
        return message_id, email


def _attachment(session: Session, message: OutboxMessage) -> tuple[bytes, str] | None:
    """The PDF a message carries and its file name; None if it should carry one that
    is not kept."""
    number = str(message.quote.number)
    if message.kind == "receipt" and message.receipt_id is not None:
        receipt = session.get(ClientReceipt, message.receipt_id)
        return (receipt.pdf, f"{number}-r{message.revision}-receipt.pdf") if receipt else None
    if message.attachment_revision is None:
        return None
    pdf = archived_pdf(session, number, message.attachment_revision)
    return (pdf, f"{number}-r{message.attachment_revision}.pdf") if pdf is not None else None


def _email(session: Session, message: OutboxMessage, mailer: Mailer,
           now: datetime) -> EmailMessage | None:
    attachment = None
    if message.kind != "notice":
        attachment = _attachment(session, message)
        if attachment is None:
            return None
    sender = mailer.sender
    email = EmailMessage()
    email["From"] = sender
    email["To"] = ", ".join(message.recipients)
    email["Subject"] = message.subject
    email["Date"] = format_datetime(now)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    email["Message-ID"] = make_msgid(f"outbox{message.id}", domain=domain)
    email[MESSAGE_HEADER] = str(message.id)
    email.set_content(message.body.replace(DESK_PLACEHOLDER, mailer.desk_url.rstrip("/"))
                      if message.kind == "notice" else message.body)
    if attachment is not None:
        pdf, filename = attachment
        email.add_attachment(pdf, maintype="application", subtype="pdf", filename=filename)
    email["Content-Language"] = message.language  # after the content, which resets Content-*
    return email


def _finish(session_factory: Callable[[], Session], message_id: int, now: datetime,
            error: str | None) -> Delivery:
    with session_factory() as session:
        begin_write(session)
        message = session.scalars(
            select(OutboxMessage).where(OutboxMessage.id == message_id).with_for_update()
            .execution_options(populate_existing=True)).one()
        message.attempts += 1
        # A desk user's notice is not part of the quote's story; the client's emails are.
        audited = message.kind != "notice"
        if error is None:
            message.state, message.sent_at, message.last_error = "sent", now, None
            if audited:
                record(session, None, "message.send", message.quote, message.revision,
                       detail={"message_id": message.id,
                               "recipients": list(message.recipients)}, now=now)
        else:
            message.last_error = error[:MAX_ERROR]
            if message.attempts >= MAX_ATTEMPTS:
                message.state = "failed"
                if audited:
                    record(session, None, "message.fail", message.quote, message.revision,
                           detail={"message_id": message.id, "error": message.last_error},
                           now=now)
            else:
                message.next_attempt_at = now + timedelta(minutes=2 ** (message.attempts - 1))
        session.commit()
        return Delivery(message_id, message.state, error)
