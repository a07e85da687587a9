"""Receipts for the client's decisions, the desk's notifications, and emails of
three kinds.

- `client_receipts`: the one-page PDF/A receipt of each client decision, kept
  byte for byte; append-only (triggers refuse UPDATE and DELETE).
- `notifications`: what a desk user is told (client opened, accepted, declined;
  a discount waits or was decided; a quote expires soon), once per user, quote,
  kind and revision, with when it was read.
- `outbox_messages`: kind may also be `receipt` (attaching a client receipt,
  `receipt_id`) or `notice` (to a desk user, nothing attached); the attached
  revision and the author become optional (the system writes receipts and notices).
- `users.language`: the desk language the user chose; their notices use it.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RECEIPTS = "client_receipts"
NOTIFICATIONS = "notifications"
OUTBOX = "outbox_messages"
APPEND_ONLY_MESSAGE = f"{RECEIPTS} is append-only: rows cannot be changed or deleted"
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
OLD_KINDS = "kind IN ('proposal')"
NEW_KINDS = "kind IN ('proposal', 'receipt', 'notice')"


def _outbox_as_in_0008(kinds: str) -> sa.Table:
    """The table as migration 0008 made it (SQLite's batch mode copies it from this,
    since it does not read CHECK constraints back)."""
    return sa.Table(
        OUTBOX, sa.MetaData(),
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("quote_id", sa.Integer(), sa.ForeignKey("quotes.id"), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("recipients", JSON, nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("attachment_revision", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), sa.ForeignKey("client_links.id"), nullable=True),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.CheckConstraint("state IN ('queued', 'sent', 'failed')",
                           name="ck_outbox_messages_state"),
        sa.CheckConstraint(kinds, name="ck_outbox_messages_kind"),
        sa.Index("ix_outbox_messages_quote_id", "quote_id"),
        sa.Index("ix_outbox_messages_state_next_attempt_at", "state", "next_attempt_at"),
    )


def upgrade() -> None:
    op.create_table(
        RECEIPTS,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["decision_id"], ["client_decisions.id"],
                                name=op.f("fk_client_receipts_decision_id_client_decisions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_receipts")),
        sa.UniqueConstraint("decision_id", name=op.f("uq_client_receipts_decision_id")),
    )
    op.create_table(
        NOTIFICATIONS,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("quote_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("detail", JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('client_opened', 'client_accepted', 'client_declined', "
            "'approval_needed', 'discount_approved', 'discount_rejected', 'expiring')",
            name=op.f("ck_notifications_kind")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_notifications_user_id_users")),
        sa.ForeignKeyConstraint(["quote_id"], ["quotes.id"],
                                name=op.f("fk_notifications_quote_id_quotes")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("user_id", "quote_id", "kind", "revision",
                            name=op.f("uq_notifications_user_id_quote_id_kind_revision")),
    )
    op.create_index(op.f("ix_notifications_quote_id"), NOTIFICATIONS, ["quote_id"])
    op.create_index("ix_notifications_user_id_read_at", NOTIFICATIONS, ["user_id", "read_at"])
    with op.batch_alter_table(OUTBOX, copy_from=_outbox_as_in_0008(OLD_KINDS)) as batch:
        batch.drop_constraint(op.f("ck_outbox_messages_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_outbox_messages_kind"), NEW_KINDS)
        batch.alter_column("attachment_revision", existing_type=sa.Integer(), nullable=True)
        batch.alter_column("created_by_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("receipt_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_outbox_messages_receipt_id_client_receipts"),
                                 RECEIPTS, ["receipt_id"], ["id"])
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("language", sa.String(length=5), nullable=False,
                                   server_default="es"))
    with op.batch_alter_table("users") as batch:
        batch.alter_column("language", existing_type=sa.String(length=5),
                           server_default=None)
    _append_only(RECEIPTS)


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
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("update", "delete"):
            op.execute(f"DROP TRIGGER trg_{RECEIPTS}_no_{verb}")
    else:
        op.execute(f"DROP TRIGGER trg_{RECEIPTS}_append_only ON {RECEIPTS}")
        op.execute(f"DROP TRIGGER trg_{RECEIPTS}_no_truncate ON {RECEIPTS}")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("language")
    # Receipts and notices cannot be written in 0008's table: they go with it.
    op.execute(f"DELETE FROM {OUTBOX} WHERE kind <> 'proposal'")
    new_outbox = _outbox_as_in_0008(NEW_KINDS)
    new_outbox.c.attachment_revision.nullable = True
    new_outbox.c.created_by_id.nullable = True
    new_outbox.append_column(sa.Column("receipt_id", sa.Integer(),
                                       sa.ForeignKey(f"{RECEIPTS}.id",
                                                     name="fk_outbox_messages_receipt_id_client_receipts")))
    with op.batch_alter_table(OUTBOX, copy_from=new_outbox) as batch:
        batch.drop_constraint(op.f("fk_outbox_messages_receipt_id_client_receipts"),
                              type_="foreignkey")
        batch.drop_column("receipt_id")
        batch.alter_column("created_by_id", existing_type=sa.Integer(), nullable=False)
        batch.alter_column("attachment_revision", existing_type=sa.Integer(), nullable=False)
        batch.drop_constraint(op.f("ck_outbox_messages_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_outbox_messages_kind"), OLD_KINDS)
    op.drop_index("ix_notifications_user_id_read_at", table_name=NOTIFICATIONS)
    op.drop_index(op.f("ix_notifications_quote_id"), table_name=NOTIFICATIONS)
    op.drop_table(NOTIFICATIONS)
    op.drop_table(RECEIPTS)
