"""What the desk tells its users: the client opened, accepted or declined a
proposal; a discount waits for approval, or was decided; a sent quote expires
soon. One row per user, quote, kind and revision (told once), read or not; the
same notice is also emailed through the outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quoting.store.models import Base, JSONDocument, Quote, User, UTCDateTime, utcnow

NOTIFICATION_KINDS = ("client_opened", "client_accepted", "client_declined",
                      "approval_needed", "discount_approved", "discount_rejected", "expiring")


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint("kind IN ('client_opened', 'client_accepted', 'client_declined', "
                        "'approval_needed', 'discount_approved', 'discount_rejected', "
                        "'expiring')", name="kind"),
        UniqueConstraint("user_id", "quote_id", "kind", "revision"),
        Index("ix_notifications_user_id_read_at", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    quote_id: Mapped[int] = mapped_column(ForeignKey("quotes.id"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(30))
    # What the notice says beyond its kind (the signer, the decider, the days left...).
    detail: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()
    quote: Mapped[Quote] = relationship()
