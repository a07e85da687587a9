"""History guards: revisions cannot be rewritten, audit records are append-only.

The service layer never rewrites a revision; these triggers make sure a bug
elsewhere (or a hand-written UPDATE) cannot either. After insert, a revision
accepts exactly two writes, each once and only from NULL: `sent_at` when it is
sent and `pdf_sha256` when its PDF is rendered. Audit events and approval
decisions accept no UPDATE or DELETE at all.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every column of quote_revisions except the two write-once ones. A test
# updates each of them by raw SQL to prove the list is complete.
REVISION_CONTENT_COLUMNS = (
    "id", "quote_id", "revision", "request", "priced", "rules_version", "exchange_rates",
    "language", "quote_date", "valid_until", "requires_approval", "program_currency",
    "program_total_minor", "license_currency", "license_total_minor", "author_id", "created_at",
)
APPEND_ONLY_TABLES = ("audit_events", "approval_decisions")

REWRITE_MESSAGE = ("quote revisions are immutable: only sent_at and pdf_sha256 may be set, "
                   "once each; edit the quote to create a new revision")
DELETE_MESSAGE = "quote revisions cannot be deleted"


def _append_only_message(table: str) -> str:
    return f"{table} is append-only: rows cannot be changed or deleted"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_upgrade()
    else:
        _postgresql_upgrade()


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("trg_quote_revisions_no_rewrite", "trg_quote_revisions_no_delete"):
            op.execute(f"DROP TRIGGER {name}")
        for table in APPEND_ONLY_TABLES:
            op.execute(f"DROP TRIGGER trg_{table}_no_update")
            op.execute(f"DROP TRIGGER trg_{table}_no_delete")
        return
    op.execute("DROP TRIGGER trg_quote_revisions_guard ON quote_revisions")
    op.execute("DROP TRIGGER trg_quote_revisions_no_truncate ON quote_revisions")
    for table in APPEND_ONLY_TABLES:
        op.execute(f"DROP TRIGGER trg_{table}_append_only ON {table}")
        op.execute(f"DROP TRIGGER trg_{table}_no_truncate ON {table}")
    op.execute("DROP FUNCTION quote_revisions_guard()")
    op.execute("DROP FUNCTION refuse_change()")


def _sqlite_upgrade() -> None:
    unchanged = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in REVISION_CONTENT_COLUMNS)
    op.execute(f"""
        CREATE TRIGGER trg_quote_revisions_no_rewrite
        BEFORE UPDATE ON quote_revisions FOR EACH ROW
        WHEN NOT ({unchanged}
                  AND (OLD.sent_at IS NULL OR NEW.sent_at IS OLD.sent_at)
                  AND (OLD.pdf_sha256 IS NULL OR NEW.pdf_sha256 IS OLD.pdf_sha256))
        BEGIN SELECT RAISE(ABORT, '{REWRITE_MESSAGE}'); END
    """)
    op.execute(f"""
        CREATE TRIGGER trg_quote_revisions_no_delete
        BEFORE DELETE ON quote_revisions FOR EACH ROW
        BEGIN SELECT RAISE(ABORT, '{DELETE_MESSAGE}'); END
    """)
    for table in APPEND_ONLY_TABLES:
        for verb in ("update", "delete"):
            op.execute(f"""
                CREATE TRIGGER trg_{table}_no_{verb}
                BEFORE {verb.upper()} ON {table} FOR EACH ROW
                BEGIN SELECT RAISE(ABORT, '{_append_only_message(table)}'); END
            """)


def _postgresql_upgrade() -> None:
    # Compare whole rows minus the write-once columns, so a column added later
    # is protected without touching this function.
    op.execute(f"""
        CREATE FUNCTION quote_revisions_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' OR TG_OP = 'TRUNCATE' THEN
                RAISE EXCEPTION '{DELETE_MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            IF (to_jsonb(NEW) - 'sent_at' - 'pdf_sha256')
                   IS DISTINCT FROM (to_jsonb(OLD) - 'sent_at' - 'pdf_sha256')
               OR (OLD.sent_at IS NOT NULL AND NEW.sent_at IS DISTINCT FROM OLD.sent_at)
               OR (OLD.pdf_sha256 IS NOT NULL AND NEW.pdf_sha256 IS DISTINCT FROM OLD.pdf_sha256)
            THEN
                RAISE EXCEPTION '{REWRITE_MESSAGE}'
                    USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            RETURN NEW;
        END $$
    """)
    op.execute("""
        CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '% is append-only: rows cannot be changed or deleted', TG_TABLE_NAME
                USING ERRCODE = 'integrity_constraint_violation';
        END $$
    """)
    op.execute("""
        CREATE TRIGGER trg_quote_revisions_guard BEFORE UPDATE OR DELETE ON quote_revisions
        FOR EACH ROW EXECUTE FUNCTION quote_revisions_guard()
    """)
    op.execute("""
        CREATE TRIGGER trg_quote_revisions_no_truncate BEFORE TRUNCATE ON quote_revisions
        FOR EACH STATEMENT EXECUTE FUNCTION quote_revisions_guard()
    """)
    for table in APPEND_ONLY_TABLES:
        op.execute(f"""
            CREATE TRIGGER trg_{table}_append_only BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION refuse_change()
        """)
        op.execute(f"""
            CREATE TRIGGER trg_{table}_no_truncate BEFORE TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()
        """)
