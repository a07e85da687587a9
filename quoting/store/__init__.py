"""Persistence: SQLAlchemy models, engine/session factory, Alembic migrations."""

# The models first: they import the modules of their other tables (client links,
# notifications, outbox, tokens) at their end, which in turn import the models.
from quoting.store import models as _models  # noqa: F401
