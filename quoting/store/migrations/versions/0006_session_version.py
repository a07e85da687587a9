"""Sessions end: a per-user session version.

`users.session_version` is part of the user id the sales desk keeps in its
session and remember-me cookies (`<id>:<version>`). Signing out, changing the
password or deactivating the user raises it, so every cookie issued before stops
opening the desk, on every device. Existing users start at 1; cookies issued
before this migration carry no version and are refused (everyone signs in again).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "users"
COLUMN = "session_version"


def upgrade() -> None:
    # users has no triggers; ADD COLUMN with a constant default rewrites no row and
    # needs no table rebuild on either database.
    op.add_column(TABLE, sa.Column(COLUMN, sa.Integer(), nullable=False,
                                   server_default="1"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # In place (SQLite 3.35+): a batch rebuild would drop and recreate users,
        # which quotes, audit events and API tokens refer to.
        op.execute(f"ALTER TABLE {TABLE} DROP COLUMN {COLUMN}")
    else:
        op.drop_column(TABLE, COLUMN)
