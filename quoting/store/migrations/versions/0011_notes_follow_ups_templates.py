"""What a salesperson keeps beside a quote: notes, a follow-up day, and templates.

- `quote_notes`: append-only notes on a quote, with author and time (triggers refuse
  UPDATE and DELETE, as on the audit trail); read newest first per quote through
  `ix_quote_notes_quote_id_id`.
- `quote_follow_ups`: at most one follow-up day per quote (its primary key is the
  quote's), with who set it and when; `ix_quote_follow_ups_follow_up_on` finds what
  is due. A table of its own, so this migration adds no column to `quotes` (no table
  rebuild on SQLite, no lock on it on PostgreSQL) and setting a day never rewrites a
  quote row.
- `quote_templates`: named scopes to start quotes from, unique per author by the
  folded name.

Only new tables: instant on any size of database. The downgrade drops them (and
what they hold).

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOTES = "quote_notes"
FOLLOW_UPS = "quote_follow_ups"
TEMPLATES = "quote_templates"
APPEND_ONLY_MESSAGE = f"{NOTES} is append-only: rows cannot be changed or deleted"
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        NOTES,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("quote_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["quote_id"], ["quotes.id"],
                                name=op.f("fk_quote_notes_quote_id_quotes")),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"],
                                name=op.f("fk_quote_notes_author_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quote_notes")),
    )
    op.create_index("ix_quote_notes_quote_id_id", NOTES, ["quote_id", "id"])
    op.create_table(
        FOLLOW_UPS,
        sa.Column("quote_id", sa.Integer(), nullable=False),
        sa.Column("follow_up_on", sa.Date(), nullable=False),
        sa.Column("set_by_id", sa.Integer(), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["quote_id"], ["quotes.id"],
                                name=op.f("fk_quote_follow_ups_quote_id_quotes")),
        sa.ForeignKeyConstraint(["set_by_id"], ["users.id"],
                                name=op.f("fk_quote_follow_ups_set_by_id_users")),
        sa.PrimaryKeyConstraint("quote_id", name=op.f("pk_quote_follow_ups")),
    )
    op.create_index("ix_quote_follow_ups_follow_up_on", FOLLOW_UPS, ["follow_up_on"])
    op.create_table(
        TEMPLATES,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("name_folded", sa.String(length=120), nullable=False),
        sa.Column("market", sa.String(length=2), nullable=False),
        sa.Column("request", JSON, nullable=False),
        sa.Column("source_ref", sa.String(length=20), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"],
                                name=op.f("fk_quote_templates_owner_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quote_templates")),
        sa.UniqueConstraint("owner_id", "name_folded",
                            name=op.f("uq_quote_templates_owner_id_name_folded")),
    )
    op.create_index(op.f("ix_quote_templates_owner_id"), TEMPLATES, ["owner_id"])
    _append_only(NOTES)


def _append_only(table: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("update", "delete"):
            op.execute(f"""
                CREATE TRIGGER trg_{table}_no_{verb}
                BEFORE {verb.upper()} ON {table} FOR EACH ROW
                BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END
            """)
        return
    # refuse_change() comes from migration 0002.
    op.execute(f"""
        CREATE TRIGGER trg_{table}_append_only BEFORE UPDATE OR DELETE ON {table}
        FOR EACH ROW EXECUTE FUNCTION refuse_change()
    """)
    op.execute(f"""
        CREATE TRIGGER trg_{table}_no_truncate BEFORE TRUNCATE ON {table}
        FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()
    """)


def downgrade() -> None:
    # Dropping a table drops its triggers on both databases.
    op.drop_index(op.f("ix_quote_templates_owner_id"), table_name=TEMPLATES)
    op.drop_table(TEMPLATES)
    op.drop_index("ix_quote_follow_ups_follow_up_on", table_name=FOLLOW_UPS)
    op.drop_table(FOLLOW_UPS)
    op.drop_index("ix_quote_notes_quote_id_id", table_name=NOTES)
    op.drop_table(NOTES)
