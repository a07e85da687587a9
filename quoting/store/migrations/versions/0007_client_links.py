"""The client's side: private links to a sent revision and the client's decision.

- `client_links`: one row per link made for a sent revision; only the SHA-256 of
  the token is stored. Views are counted on the row; a link made for a later
  sent revision marks the earlier ones superseded.
- `client_decisions`: the client's acceptance or refusal through a link, with
  its evidence (signer, position, authority, PO number, reason, time, address,
  browser, and the SHA-256 of the PDF kept when the revision was sent).
  Append-only like the audit trail: triggers refuse UPDATE and DELETE (and
  TRUNCATE on PostgreSQL).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LINKS = "client_links"
DECISIONS = "client_decisions"
APPEND_ONLY_MESSAGE = f"{DECISIONS} is append-only: rows cannot be changed or deleted"


def upgrade() -> None:
    op.create_table(
        LINKS,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("quote_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_viewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("view_count", sa.Integer(), nullable=False),
        sa.Column("superseded_by_revision", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["quote_id"], ["quotes.id"],
                                name=op.f("fk_client_links_quote_id_quotes")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"],
                                name=op.f("fk_client_links_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_links")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_client_links_token_sha256")),
    )
    op.create_index(op.f("ix_client_links_quote_id"), LINKS, ["quote_id"])
    op.create_table(
        DECISIONS,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("quote_id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("signer_name", sa.String(length=200), nullable=True),
        sa.Column("signer_position", sa.String(length=200), nullable=True),
        sa.Column("authorised", sa.Boolean(), nullable=False),
        sa.Column("po_number", sa.String(length=100), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=500), nullable=True),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=False),
        sa.CheckConstraint("decision IN ('accepted', 'declined')",
                           name=op.f("ck_client_decisions_decision")),
        sa.ForeignKeyConstraint(["quote_id"], ["quotes.id"],
                                name=op.f("fk_client_decisions_quote_id_quotes")),
        sa.ForeignKeyConstraint(["link_id"], ["client_links.id"],
                                name=op.f("fk_client_decisions_link_id_client_links")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_decisions")),
        sa.UniqueConstraint("quote_id", "revision",
                            name=op.f("uq_client_decisions_quote_id_revision")),
    )
    op.create_index(op.f("ix_client_decisions_quote_id"), DECISIONS, ["quote_id"])
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("update", "delete"):
            op.execute(f"""
                CREATE TRIGGER trg_{DECISIONS}_no_{verb}
                BEFORE {verb.upper()} ON {DECISIONS} FOR EACH ROW
                BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END
            """)
        return
    # refuse_change() comes from migration 0002.
    op.execute(f"""
        CREATE TRIGGER trg_{DECISIONS}_append_only BEFORE UPDATE OR DELETE ON {DECISIONS}
        FOR EACH ROW EXECUTE FUNCTION refuse_change()
    """)
    op.execute(f"""
        CREATE TRIGGER trg_{DECISIONS}_no_truncate BEFORE TRUNCATE ON {DECISIONS}
        FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()
    """)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("update", "delete"):
            op.execute(f"DROP TRIGGER trg_{DECISIONS}_no_{verb}")
    else:
        op.execute(f"DROP TRIGGER trg_{DECISIONS}_append_only ON {DECISIONS}")
        op.execute(f"DROP TRIGGER trg_{DECISIONS}_no_truncate ON {DECISIONS}")
    op.drop_index(op.f("ix_client_decisions_quote_id"), table_name=DECISIONS)
    op.drop_table(DECISIONS)
    op.drop_index(op.f("ix_client_links_quote_id"), table_name=LINKS)
    op.drop_table(LINKS)
