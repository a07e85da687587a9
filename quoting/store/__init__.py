"""Persistence: SQLAlchemy models, engine/session factory, Alembic migrations."""
