"""The pipeline's discount distribution reads the quotes table alone.

- `quotes.discount_percent`: the current revision's program discount as its request
  wrote it ("12.5"), "0" by default; kept in step by quoting.services.quotes.
  Filled here from each quote's current revision where that wrote a discount other
  than zero.

Adding the column with a default is instant on PostgreSQL (11 and later) and SQLite
(no table rebuild); the fill rewrites only the quotes that have a discount.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("quotes", sa.Column("discount_percent", sa.String(16), nullable=False,
                                      server_default="0"))
    quotes = sa.table("quotes", sa.column("id", sa.Integer),
                      sa.column("current_revision", sa.Integer),
                      sa.column("discount_percent", sa.String(16)))
    revisions = sa.table("quote_revisions", sa.column("quote_id", sa.Integer),
                         sa.column("revision", sa.Integer), sa.column("request", sa.JSON))
    written = revisions.c.request["discount_percent"].as_string()
    current = ((revisions.c.quote_id == quotes.c.id)
               & (revisions.c.revision == quotes.c.current_revision))
    discounted = sa.and_(written.is_not(None), sa.cast(written, sa.Numeric) != 0)
    op.get_bind().execute(quotes.update()
                          .where(sa.exists().where(current, discounted))
                          .values(discount_percent=sa.select(written).where(current)
                                  .scalar_subquery()))


def downgrade() -> None:
    with op.batch_alter_table("quotes") as batch:
        batch.drop_column("discount_percent")
