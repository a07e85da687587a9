"""Quotes are numbered when first sent; drafts can be deleted; clients are records.

- `quotes.number`, `year` and `sequence` may be empty: a quote gets its number
  (per market and year, gapless) when it is first sent, and is known by its
  draft reference until then. Quotes numbered before this migration keep their
  numbers.
- `quotes.status` may be `deleted`: a never-sent draft thrown away.
- `quotes.client_name` keeps the client's name as the current revision quotes
  it, so renaming the client record never rewrites a listing; it and
  `clients.name_folded` hold the names without accents or case, for search.
- `audit_events.client_id`: changes to a client record are audited too.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Literal

import sqlalchemy as sa
from alembic import op

from quoting.store.models import fold_for_search

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATUSES = ("draft", "pending_approval", "discount_rejected", "sent", "accepted",
                "declined", "expired", "withdrawn")
NEW_STATUSES = (*OLD_STATUSES, "deleted")


def _status_check(statuses: Sequence[str]) -> str:
    return "status IN (" + ", ".join(f"'{s}'" for s in statuses) + ")"


def _rebuild_on_sqlite(bind: sa.Connection) -> Literal["always", "auto"]:
    """SQLite changes nullability and CHECKs only by rebuilding the table; PostgreSQL
    alters it in place (a rebuild there would drop what depends on its key)."""
    return "always" if bind.dialect.name == "sqlite" else "auto"


def upgrade() -> None:
    bind = op.get_bind()
    # SQLite rebuilds the quotes table (it cannot change a column's nullability in
    # place); quoting.store.migrate runs this with foreign keys off and checks every
    # reference before committing.
    with op.batch_alter_table("quotes", recreate=_rebuild_on_sqlite(bind)) as batch:
        batch.alter_column("number", existing_type=sa.String(20), nullable=True)
        batch.alter_column("year", existing_type=sa.Integer(), nullable=True)
        batch.alter_column("sequence", existing_type=sa.Integer(), nullable=True)
        batch.drop_constraint(op.f("ck_quotes_status"), type_="check")
        batch.create_check_constraint(op.f("ck_quotes_status"), _status_check(NEW_STATUSES))
        batch.add_column(sa.Column("client_name", sa.String(200), nullable=False,
                                   server_default=""))
        batch.add_column(sa.Column("client_name_folded", sa.String(200), nullable=False,
                                   server_default=""))
    with op.batch_alter_table("clients") as batch:
        batch.add_column(sa.Column("name_folded", sa.String(200), nullable=False,
                                   server_default=""))
    # audit_events is append-only (triggers refuse UPDATE): ADD COLUMN rewrites no row.
    if bind.dialect.name == "sqlite":  # a batch rebuild would drop the table's triggers
        op.execute("ALTER TABLE audit_events ADD COLUMN client_id INTEGER "
                   "CONSTRAINT fk_audit_events_client_id_clients REFERENCES clients (id)")
    else:
        op.add_column("audit_events", sa.Column(
            "client_id", sa.Integer(),
            sa.ForeignKey("clients.id", name="fk_audit_events_client_id_clients"),
            nullable=True))
    op.create_index("ix_audit_events_client_id", "audit_events", ["client_id"])
    _backfill(bind)


def _backfill(bind: sa.Connection) -> None:
    clients = sa.table("clients", sa.column("id", sa.Integer),
                       sa.column("legal_name", sa.String), sa.column("name_folded", sa.String))
    for ident, name in bind.execute(sa.select(clients.c.id, clients.c.legal_name)).all():
        bind.execute(clients.update().where(clients.c.id == ident)
                     .values(name_folded=fold_for_search(name)))
    quotes = sa.table("quotes", sa.column("id", sa.Integer),
                      sa.column("current_revision", sa.Integer),
                      sa.column("client_name", sa.String),
                      sa.column("client_name_folded", sa.String))
    revisions = sa.table("quote_revisions", sa.column("quote_id", sa.Integer),
                         sa.column("revision", sa.Integer), sa.column("request", sa.Text))
    request_text = sa.cast(revisions.c.request, sa.Text)
    rows = bind.execute(
        sa.select(quotes.c.id, request_text)
        .join(revisions, (revisions.c.quote_id == quotes.c.id)
              & (revisions.c.revision == quotes.c.current_revision))
    ).all()
    for ident, request in rows:
        name = str(json.loads(request).get("client", {}).get("name", ""))[:200]
        bind.execute(quotes.update().where(quotes.c.id == ident)
                     .values(client_name=name, client_name_folded=fold_for_search(name)))


def downgrade() -> None:
    bind = op.get_bind()
    op.drop_index("ix_audit_events_client_id", "audit_events")
    if bind.dialect.name == "sqlite":
        op.execute("ALTER TABLE audit_events DROP COLUMN client_id")
    else:
        op.drop_constraint("fk_audit_events_client_id_clients", "audit_events",
                           type_="foreignkey")
        op.drop_column("audit_events", "client_id")
    with op.batch_alter_table("clients") as batch:
        batch.drop_column("name_folded")
    with op.batch_alter_table("quotes", recreate=_rebuild_on_sqlite(bind)) as batch:
        batch.drop_column("client_name_folded")
        batch.drop_column("client_name")
        batch.drop_constraint(op.f("ck_quotes_status"), type_="check")
        batch.create_check_constraint(op.f("ck_quotes_status"), _status_check(OLD_STATUSES))
        batch.alter_column("number", existing_type=sa.String(20), nullable=False)
        batch.alter_column("year", existing_type=sa.Integer(), nullable=False)
        batch.alter_column("sequence", existing_type=sa.Integer(), nullable=False)
