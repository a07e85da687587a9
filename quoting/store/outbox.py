"""The outbox: every email is written here first, in the transaction that decides
to send it, and delivered afterwards (quoting.services.outbox). Three kinds:
`proposal` (to the client: the sent PDF and a private link), `receipt` (to the
client: the acceptance or refusal receipt) and `notice` (to a desk user: the
client opened, accepted or declined, a discount waits, a quote expires soon).

A proposal names the revision whose PDF it carries (`attachment_revision`): the
bytes attached are the ones kept when that revision was sent, fetched at
delivery, so their SHA-256 is the revision's `pdf_sha256`. A receipt carries
the receipt PDF kept with the decision (`receipt_id`); a notice attaches nothing. A failed attempt
keeps the message queued with its next attempt later (exponential backoff), and
the SMTP server's answer in `last_error`; after the last attempt it is `failed`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quoting.store.models import Base, JSONDocument, Quote, User, UTCDateTime, utcnow

MESSAGE_STATES = ("queued", "sent", "failed")
MESSAGE_KINDS = ("proposal", "receipt", "notice")


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint("state IN ('queued', 'sent', 'failed')", name="state"),
        CheckConstraint("kind IN ('proposal', 'receipt', 'notice')", name="kind"),
        Index("ix_outbox_messages_state_next_attempt_at", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("quotes.id"), index=True)
    # The quote's current revision when the message was written.
    revision: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    recipients: Mapped[list[Any]] = mapped_column(JSONDocument)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(5))
    # A proposal's: the sent revision whose kept PDF is attached.
    attachment_revision: Mapped[int | None] = mapped_column(Integer)
    # A receipt's: the client receipt attached.
    receipt_id: Mapped[int | None] = mapped_column(ForeignKey("client_receipts.id"))
    link_id: Mapped[int | None] = mapped_column(ForeignKey("client_links.id"))
    state: Mapped[str] = mapped_column(String(10), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The SMTP server's answer to the last failed attempt.
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Who wrote it; None for what the system writes (receipts, notices).
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    quote: Mapped[Quote] = relationship()
    created_by: Mapped[User | None] = relationship()
