"""The client's side of a sent quote: private links and the client's decision.

A link shows one sent revision. Only the SHA-256 of its token is stored (the
token is shown once, when the link is made), so the table alone opens nothing.
A decision made through a link is evidence: who accepted or declined, in what
capacity, when, from where, and the SHA-256 of the exact PDF they were sent.
`client_decisions` is append-only (database triggers, migration 0007). Each
decision gets a receipt, a one-page PDF/A kept byte for byte (`client_receipts`,
append-only too, migration 0009).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quoting.store.models import Base, Quote, User, UTCDateTime, utcnow

DECISIONS = ("accepted", "declined")


class ClientLink(Base):
    __tablename__ = "client_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("quotes.id"), index=True)
    # The sent revision the link shows.
    revision: Mapped[int] = mapped_column(Integer)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # The end (UTC) of the day the revision is valid until.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    first_viewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    view_count: Mapped[int] = mapped_column(Integer, default=0)
    # Set when a link is made for a later sent revision of the same quote.
    superseded_by_revision: Mapped[int | None] = mapped_column(Integer)

    quote: Mapped[Quote] = relationship()
    created_by: Mapped[User] = relationship()


class ClientDecision(Base):
    """The client's acceptance or refusal of one sent revision, as evidence.
    Append-only: database triggers refuse UPDATE and DELETE (migration 0007)."""

    __tablename__ = "client_decisions"
    __table_args__ = (
        UniqueConstraint("quote_id", "revision"),
        CheckConstraint("decision IN ('accepted', 'declined')", name="decision"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("quotes.id"), index=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("client_links.id"))
    revision: Mapped[int] = mapped_column(Integer)
    decision: Mapped[str] = mapped_column(String(10))
    signer_name: Mapped[str | None] = mapped_column(String(200))
    signer_position: Mapped[str | None] = mapped_column(String(200))
    authorised: Mapped[bool] = mapped_column()
    po_number: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(500))
    # The SHA-256 recorded on the revision for the PDF kept when it was sent.
    pdf_sha256: Mapped[str] = mapped_column(String(64))

    quote: Mapped[Quote] = relationship()
    link: Mapped[ClientLink] = relationship()


class ClientReceipt(Base):
    """The receipt of a client's decision: the PDF/A the client was given (on the page
    and by mail), kept byte for byte. Append-only (migration 0009)."""

    __tablename__ = "client_receipts"

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("client_decisions.id"), unique=True)
    language: Mapped[str] = mapped_column(String(5))
    sha256: Mapped[str] = mapped_column(String(64))
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    decision: Mapped[ClientDecision] = relationship()
