"""What is stored: users, clients, quotes, their immutable revisions, the
append-only audit trail, exchange rates and the per-market quote counters.

Money is stored as integer minor units (exact and sortable on every
database); full figures live in each revision's priced JSON.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Mapper,
    mapped_column,
    relationship,
    validates,
)
from sqlalchemy.types import TypeDecorator, TypeEngine

from quoting.money import minor_units
from quoting.store.errors import RevisionImmutable

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in Python on every database (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("store timezone-aware datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONDocument: TypeEngine[Any] = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Role(StrEnum):
    SALES = "sales"
    FINANCE = "finance"
    ADMIN = "admin"


class QuoteStatus(StrEnum):
    DRAFT = "draft"
    PENDING_APPROVAL = "pending_approval"
    DISCOUNT_REJECTED = "discount_rejected"
    SENT = "sent"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"
    # A draft that was never sent, thrown away: it never had a number, so no gap.
    DELETED = "deleted"


def _in(values: type[StrEnum]) -> str:
    return ", ".join(f"'{v.value}'" for v in values)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(f"role IN ({_in(Role)})", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    # Part of the sign-in cookies' user id: raising it (sign out, a new password,
    # deactivation) ends every session and remember-me cookie of the user.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    # The language the user chose on the desk (es, en, pt): their notices by mail use it.
    language: Mapped[str] = mapped_column(String(5), default="es")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class Client(Base):
    __tablename__ = "clients"
    __table_args__ = (UniqueConstraint("country", "tax_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    country: Mapped[str] = mapped_column(String(2))
    # Compact form (no dots or dashes), validated for the country.
    tax_id: Mapped[str] = mapped_column(String(40))
    legal_name: Mapped[str] = mapped_column(String(200))
    # legal_name without accents or case, for search on every database.
    name_folded: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    contacts: Mapped[list[ClientContact]] = relationship(
        back_populates="client", order_by="ClientContact.id"
    )


class ClientContact(Base):
    __tablename__ = "client_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))

    client: Mapped[Client] = relationship(back_populates="contacts")


class QuoteCounter(Base):
    """The last number issued per market and year; bumped inside the
    transaction that creates the quote, so a rollback gives the number back."""

    __tablename__ = "quote_counters"

    market: Mapped[str] = mapped_column(String(2), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_sequence: Mapped[int] = mapped_column(Integer)


class Quote(Base):
    __tablename__ = "quotes"
    __table_args__ = (
        UniqueConstraint("market", "year", "sequence"),
        CheckConstraint(f"status IN ({_in(QuoteStatus)})", name="status"),
        Index("ix_quotes_market_created_at", "market", "created_at"),
        Index("ix_quotes_market_quote_date", "market", "quote_date", "id"),
        Index("ix_quotes_quote_date", "quote_date", "id"),
        Index("ix_quotes_status_valid_until", "status", "valid_until"),
        # Finance's summary (quoting.services.reports) groups on the first five columns in
        # this order and sums the next two; the rest are there for its filters, so that
        # it reads this index alone.
        Index("ix_quotes_summary", "market", "status", "quote_month", "program_currency",
              "license_currency", "program_total_minor", "license_total_minor", "quote_date",
              "created_at", "owner_id", "client_id"),
        # The desk's search ("contains", accents and case ignored): a trigram index on
        # PostgreSQL (extension pg_trgm). SQLite has no such index: there it is an empty
        # stand-in (WHERE 0), which keeps one schema for both and costs next to nothing.
        Index("ix_quotes_search", "client_name_folded", "number", postgresql_using="gin",
              postgresql_ops={"client_name_folded": "gin_trgm_ops",
                              "number": "gin_trgm_ops"}, sqlite_where=text("0")),
        # The desk's sorts and its owner filter ("Mine"), newest first; the status sort's
        # index is declared below the class (it sorts the id descending).
        Index("ix_quotes_client_name_folded", "client_name_folded", "id"),
        Index("ix_quotes_updated_at", "updated_at", "id"),
        Index("ix_quotes_owner_id_quote_date", "owner_id", "quote_date", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Given when the quote is first sent (per market and year, gapless); until then
    # the quote is known by its draft reference (`ref`).
    number: Mapped[str | None] = mapped_column(String(20), unique=True)
    market: Mapped[str] = mapped_column(String(2))
    year: Mapped[int | None] = mapped_column(Integer)
    sequence: Mapped[int | None] = mapped_column(Integer)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(20))
    current_revision: Mapped[int] = mapped_column(Integer)
    # Copied from the current revision, for listing and expiry without a join.
    quote_date: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    # The client's name as the current revision quotes it (a later rename of the
    # client record does not rewrite what was quoted), and folded for search.
    client_name: Mapped[str] = mapped_column(String(200), default="")
    client_name_folded: Mapped[str] = mapped_column(String(200), default="")
    # Copied from the current revision too (quoting.services.quotes keeps them in
    # step), so finance's summary and the desk's list read this table alone.
    program_currency: Mapped[str] = mapped_column(String(3))
    program_total_minor: Mapped[int] = mapped_column(BigInteger)
    license_currency: Mapped[str] = mapped_column(String(3))
    license_total_minor: Mapped[int] = mapped_column(BigInteger)
    # The month of quote_date as year * 100 + month (202611), set with it (below).
    quote_month: Mapped[int] = mapped_column(Integer)
    # The current revision's program discount as the request wrote it ("12.5"), so the
    # pipeline's discount distribution groups this table rather than reading each
    # revision's JSON (a string: exact, and SQLite keeps no decimals).
    discount_percent: Mapped[str] = mapped_column(String(16), default="0", server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    client: Mapped[Client] = relationship()
    owner: Mapped[User] = relationship()
    revisions: Mapped[list[QuoteRevision]] = relationship(
        back_populates="quote", order_by="QuoteRevision.revision"
    )

    @property
    def ref(self) -> str:
        """The number once sent; before that the draft reference (D-00042)."""
        return self.number or draft_reference(self.id)

    @validates("quote_date")
    def _set_quote_month(self, _key: str, value: date) -> date:
        self.quote_month = month_number(value)
        return value


def month_number(day: date) -> int:
    """The month a day falls in, as finance's summary groups it: 2026-11-25 -> 202611."""
    return day.year * 100 + day.month


# The desk's sort by status, most recent first within a status (QUOTE_SORTS).
Index("ix_quotes_status_id", Quote.status, Quote.id.desc())

DRAFT_REFERENCE_PREFIX = "D-"


def draft_reference(quote_id: int) -> str:
    return f"{DRAFT_REFERENCE_PREFIX}{quote_id:05d}"


class QuoteRevision(Base):
    """An immutable snapshot: everything needed to reproduce what was sent.

    Only `sent_at` (once, when sent) and `pdf_sha256` (once) can ever be set
    after insert; the ORM guard in quoting.store.guards and database triggers
    (migration 0002) refuse anything else, and refuse deletes.
    """

    __tablename__ = "quote_revisions"
    __table_args__ = (
        UniqueConstraint("quote_id", "revision"),
        CheckConstraint("revision >= 1", name="revision_positive"),
        Index("ix_quote_revisions_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("quotes.id"))
    revision: Mapped[int] = mapped_column(Integer)
    request: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    priced: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    rules_version: Mapped[str] = mapped_column(String(20))
    exchange_rates: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument)
    language: Mapped[str] = mapped_column(String(5))
    quote_date: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    requires_approval: Mapped[bool] = mapped_column()
    program_currency: Mapped[str] = mapped_column(String(3))
    program_total_minor: Mapped[int] = mapped_column(BigInteger)
    license_currency: Mapped[str] = mapped_column(String(3))
    license_total_minor: Mapped[int] = mapped_column(BigInteger)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))

    quote: Mapped[Quote] = relationship(back_populates="revisions")
    author: Mapped[User] = relationship()

    @property
    def program_total(self) -> Decimal:
        return from_minor(self.program_total_minor, self.program_currency)

    @property
    def license_total(self) -> Decimal:
        return from_minor(self.license_total_minor, self.license_currency)


# Columns that may be set after insert, each only once (from NULL).
REVISION_WRITE_ONCE = ("sent_at", "pdf_sha256")


class ApprovalDecision(Base):
    """Finance's answer to a discount above the market's limit, for one revision."""

    __tablename__ = "approval_decisions"
    __table_args__ = (
        CheckConstraint("decision IN ('approved', 'rejected')", name="decision"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("quotes.id"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    decision: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text)
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    decided_by: Mapped[User] = relationship()


class AuditEvent(Base):
    """Append-only (database triggers refuse UPDATE and DELETE)."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_quote_id_at", "quote_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Who acted, as text: a user's email or "system" for scheduled jobs.
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(40))
    quote_id: Mapped[int | None] = mapped_column(ForeignKey("quotes.id"))
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"), index=True)
    revision: Mapped[int | None] = mapped_column(Integer)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)


class RevisionPdf(Base):
    """The proposal PDF of a sent revision, byte for byte as it was sent: what the
    finance API and the sales desk serve from then on, whatever later versions of
    the renderer would produce. Append-only (database triggers, migration 0004)."""

    __tablename__ = "revision_pdfs"

    revision_id: Mapped[int] = mapped_column(ForeignKey("quote_revisions.id"),
                                             primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ExchangeRate(Base):
    """1 `base_currency` = `rate` `quote_currency`, published by `source` on `rate_date`."""

    __tablename__ = "exchange_rates"
    __table_args__ = (
        UniqueConstraint("base_currency", "quote_currency", "rate_date"),
        CheckConstraint("base_currency <> quote_currency", name="distinct_currencies"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    base_currency: Mapped[str] = mapped_column(String(3))
    quote_currency: Mapped[str] = mapped_column(String(3))
    rate_date: Mapped[date] = mapped_column(Date)
    # Exact decimal text: a rate is quoted, never computed here.
    rate: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(200))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def pair(self) -> str:
        return f"{self.base_currency}/{self.quote_currency}"


def fold_for_search(text: str) -> str:
    """Lower case without accents ("Peña Ñandú" -> "pena nandu"), so search ignores
    both on SQLite and PostgreSQL alike (neither folds accents on its own)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def to_minor(amount: Decimal, currency: str) -> int:
    return int(amount.scaleb(minor_units(currency)))


def from_minor(amount: int, currency: str) -> Decimal:
    return Decimal(amount).scaleb(-minor_units(currency))


@event.listens_for(QuoteRevision, "before_update")
def _refuse_revision_rewrite(mapper: Mapper[QuoteRevision], _connection: Connection,
                             target: QuoteRevision) -> None:
    """First line of defence (the database triggers are the second): a flush that
    would change a stored revision fails here with a readable error."""
    state = inspect(target)
    for attribute in mapper.column_attrs:
        history = state.attrs[attribute.key].history
        if not history.has_changes():
            continue
        previous = history.deleted[0] if history.deleted else None
        if attribute.key in REVISION_WRITE_ONCE and previous is None:
            continue
        raise RevisionImmutable(
            f"revision {target.revision} of quote id {target.quote_id} cannot be changed "
            f"({attribute.key}); edit the quote to create a new revision"
        )


# API tokens, client links, client decisions and the outbox live in their own modules; imported
# here so they join Base.metadata.
from quoting.store.client_links import (  # noqa: E402, F401
    ClientDecision,
    ClientLink,
    ClientReceipt,
)
from quoting.store.notifications import Notification  # noqa: E402, F401
from quoting.store.outbox import OutboxMessage  # noqa: E402, F401
from quoting.store.tokens import ApiToken  # noqa: E402, F401
from quoting.store.workbench import (  # noqa: E402, F401
    QuoteFollowUp,
    QuoteNote,
    QuoteTemplate,
)
