"""What a salesperson keeps beside a quote: notes (append-only, with author and
time), the day to follow it up, and named templates of a scope to start new quotes
from (quoting.services.notes, quoting.services.templates)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quoting.store.models import Base, JSONDocument, Quote, User, UTCDateTime, utcnow

NOTE_MAX_LENGTH = 2000
TEMPLATE_NAME_MAX_LENGTH = 120


class QuoteNote(Base):
    """Append-only (database triggers refuse UPDATE and DELETE, migration 0011)."""

    __tablename__ = "quote_notes"
    __table_args__ = (Index("ix_quote_notes_quote_id_id", "quote_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("quotes.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    author: Mapped[User] = relationship()


class QuoteFollowUp(Base):
    """The day a quote's owner means to get back to the client; one per quote, its
    changes audited (follow_up.set, follow_up.clear). A table of its own, so that
    setting one never rewrites the quotes table or takes its lock."""

    __tablename__ = "quote_follow_ups"
    __table_args__ = (Index("ix_quote_follow_ups_follow_up_on", "follow_up_on"),)

    quote_id: Mapped[int] = mapped_column(ForeignKey("quotes.id"), primary_key=True)
    follow_up_on: Mapped[date] = mapped_column(Date)
    set_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    quote: Mapped[Quote] = relationship()


class QuoteTemplate(Base):
    """A named scope (a quote's request without the client and the dates) to start
    new quotes from; names are unique per author, ignoring accents and case."""

    __tablename__ = "quote_templates"
    __table_args__ = (UniqueConstraint("owner_id", "name_folded"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(TEMPLATE_NAME_MAX_LENGTH))
    name_folded: Mapped[str] = mapped_column(String(TEMPLATE_NAME_MAX_LENGTH))
    market: Mapped[str] = mapped_column(String(2))
    request: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    # The quote it was saved from (its reference as it was then), for the list.
    source_ref: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    owner: Mapped[User] = relationship()
