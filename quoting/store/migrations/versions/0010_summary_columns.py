"""Finance's summary and the desk's list read the quotes table alone, with indexes
to match.

- `quotes.program_currency`, `program_total_minor`, `license_currency` and
  `license_total_minor` are copied from the current revision, as `quote_date`
  already is; `quotes.quote_month` is the month of `quote_date` (202611). Filled
  here from each quote's current revision; kept in step by quoting.services.quotes
  from then on.
- `ix_quotes_summary`: what the summary groups (in that order), sums and filters
  on, so it reads this index alone: no join, no sort.
- `ix_quotes_search`: on PostgreSQL a trigram GIN index (extension pg_trgm,
  created here if missing: a trusted extension, which the database's owner may
  create) on the folded client name and the number, for the desk's "contains"
  search. SQLite has no such index: there it is an empty stand-in (WHERE 0).
- The desk's sorts by client, status and last change, and its owner filter
  ("Mine", newest first): `ix_quotes_client_name_folded`, `ix_quotes_status_id`,
  `ix_quotes_updated_at`, and `ix_quotes_owner_id_quote_date`, which replaces
  the index on owner_id alone.

The quotes table is locked against writes while this runs: about 3 s on SQLite
and 8 s on PostgreSQL for 100,000 quotes. Every quote row is rewritten: on
PostgreSQL autovacuum reclaims the old versions (or `VACUUM (ANALYZE) quotes`
right after; until then the summary reads twice the pages). The downgrade leaves
pg_trgm installed (other objects may use it).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TOTALS = ("program_currency", "program_total_minor", "license_currency", "license_total_minor")
NEW_COLUMNS: dict[str, sa.types.TypeEngine[Any]] = {
    "program_currency": sa.String(3), "program_total_minor": sa.BigInteger(),
    "license_currency": sa.String(3), "license_total_minor": sa.BigInteger(),
    "quote_month": sa.Integer()}
SUMMARY_COLUMNS = ["market", "status", "quote_month", "program_currency", "license_currency",
                   "program_total_minor", "license_total_minor", "quote_date", "created_at",
                   "owner_id", "client_id"]
SEARCH_COLUMNS = ["client_name_folded", "number"]
# The desk's sorts and its owner filter; ix_quotes_owner_id_quote_date replaces the
# index on owner_id alone.
SORT_INDEXES = {"ix_quotes_client_name_folded": ["client_name_folded", "id"],
                "ix_quotes_updated_at": ["updated_at", "id"],
                "ix_quotes_owner_id_quote_date": ["owner_id", "quote_date", "id"]}


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    with op.batch_alter_table("quotes") as batch:
        for name, type_ in NEW_COLUMNS.items():
            batch.add_column(sa.Column(name, type_, nullable=True))
    _backfill(bind)
    # SQLite changes nullability only by rebuilding the table (quoting.store.migrate
    # runs this with foreign keys off and checks every reference before committing).
    with op.batch_alter_table("quotes", recreate="always" if bind.dialect.name == "sqlite"
                              else "auto") as batch:
        for name, type_ in NEW_COLUMNS.items():
            batch.alter_column(name, existing_type=type_, nullable=False)
    op.create_index("ix_quotes_summary", "quotes", SUMMARY_COLUMNS)
    op.create_index("ix_quotes_search", "quotes", SEARCH_COLUMNS, postgresql_using="gin",
                    postgresql_ops=dict.fromkeys(SEARCH_COLUMNS, "gin_trgm_ops"),
                    sqlite_where=sa.text("0"))
    for name, columns in SORT_INDEXES.items():
        op.create_index(name, "quotes", columns)
    op.create_index("ix_quotes_status_id", "quotes", ["status", sa.text("id DESC")])
    op.drop_index("ix_quotes_owner_id", table_name="quotes")
    _refresh_statistics()


def _refresh_statistics() -> None:
    """Every row was rewritten (and on SQLite the table rebuilt, which drops its
    statistics while the other tables keep theirs: the planner then starts joins from
    the wrong table). Fresh statistics for the new columns and indexes."""
    op.execute("ANALYZE quotes")


def _backfill(bind: sa.Connection) -> None:
    quotes = sa.table("quotes", sa.column("id", sa.Integer),
                      sa.column("current_revision", sa.Integer),
                      sa.column("quote_date", sa.Date),
                      *(sa.column(name, type_) for name, type_ in NEW_COLUMNS.items()))
    revisions = sa.table("quote_revisions", sa.column("quote_id", sa.Integer),
                         sa.column("revision", sa.Integer),
                         *(sa.column(name, NEW_COLUMNS[name]) for name in TOTALS))
    current = ((revisions.c.quote_id == quotes.c.id)
               & (revisions.c.revision == quotes.c.current_revision))
    month = (sa.cast(sa.extract("year", quotes.c.quote_date), sa.Integer) * 100
             + sa.cast(sa.extract("month", quotes.c.quote_date), sa.Integer))
    if bind.dialect.name == "postgresql":  # UPDATE ... FROM: one join
        bind.execute(quotes.update().where(current).values(
            quote_month=month, **{name: revisions.c[name] for name in TOTALS}))
    else:  # portable to any SQLite: one correlated lookup per column
        bind.execute(quotes.update().values(
            quote_month=month,
            **{name: sa.select(revisions.c[name]).where(current).scalar_subquery()
               for name in TOTALS}))


def downgrade() -> None:
    op.create_index("ix_quotes_owner_id", "quotes", ["owner_id"])
    op.drop_index("ix_quotes_status_id", table_name="quotes")
    for name in SORT_INDEXES:
        op.drop_index(name, table_name="quotes")
    op.drop_index("ix_quotes_search", table_name="quotes")
    op.drop_index("ix_quotes_summary", table_name="quotes")
    with op.batch_alter_table("quotes") as batch:
        for name in reversed(NEW_COLUMNS):
            batch.drop_column(name)
    _refresh_statistics()
