"""The outbox: emails to clients, written in the transaction that decides to send
them and delivered afterwards (`quoting worker`, or right after the request).

- `outbox_messages`: recipients (JSON list), subject, body, language, the sent
  revision whose kept PDF is attached, the client link the body carries, state
  (queued, sent, failed), attempts, next attempt, the SMTP server's last answer.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "outbox_messages"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("quote_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("recipients", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
                  nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("attachment_revision", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.CheckConstraint("state IN ('queued', 'sent', 'failed')",
                           name=op.f("ck_outbox_messages_state")),
        sa.CheckConstraint("kind IN ('proposal')", name=op.f("ck_outbox_messages_kind")),
        sa.ForeignKeyConstraint(["quote_id"], ["quotes.id"],
                                name=op.f("fk_outbox_messages_quote_id_quotes")),
        sa.ForeignKeyConstraint(["link_id"], ["client_links.id"],
                                name=op.f("fk_outbox_messages_link_id_client_links")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"],
                                name=op.f("fk_outbox_messages_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_messages")),
    )
    op.create_index(op.f("ix_outbox_messages_quote_id"), TABLE, ["quote_id"])
    op.create_index(op.f("ix_outbox_messages_state_next_attempt_at"), TABLE,
                    ["state", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_outbox_messages_state_next_attempt_at"), table_name=TABLE)
    op.drop_index(op.f("ix_outbox_messages_quote_id"), table_name=TABLE)
    op.drop_table(TABLE)
