"""Revision PDFs: the bytes of each sent revision's proposal, kept as sent.

Until now a sent revision kept only its PDF's SHA-256 and the PDF was rendered
again when asked for, so a new renderer (fonts, wording, WeasyPrint) made the
archived hash stop matching. The bytes are now stored once, when the revision
is sent, and the table is append-only like the audit trail.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "revision_pdfs"
APPEND_ONLY_MESSAGE = f"{TABLE} is append-only: rows cannot be changed or deleted"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("revision_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["revision_id"], ["quote_revisions.id"],
                                name=op.f("fk_revision_pdfs_revision_id_quote_revisions")),
        sa.PrimaryKeyConstraint("revision_id", name=op.f("pk_revision_pdfs")),
    )
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("update", "delete"):
            op.execute(f"""
                CREATE TRIGGER trg_{TABLE}_no_{verb}
                BEFORE {verb.upper()} ON {TABLE} FOR EACH ROW
                BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END
            """)
        return
    # refuse_change() comes from migration 0002.
    op.execute(f"""
        CREATE TRIGGER trg_{TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE}
        FOR EACH ROW EXECUTE FUNCTION refuse_change()
    """)
    op.execute(f"""
        CREATE TRIGGER trg_{TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE}
        FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()
    """)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("update", "delete"):
            op.execute(f"DROP TRIGGER trg_{TABLE}_no_{verb}")
    else:
        op.execute(f"DROP TRIGGER trg_{TABLE}_append_only ON {TABLE}")
        op.execute(f"DROP TRIGGER trg_{TABLE}_no_truncate ON {TABLE}")
    op.drop_table(TABLE)
