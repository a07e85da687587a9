"""Alembic environment: runs on the connection handed over by quoting.store.migrate,
or on DATABASE_URL when Alembic is invoked by hand."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from quoting.store.db import make_engine
from quoting.store.models import Base


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine()
    try:
        with engine.connect() as fresh:
            _run(fresh)
            fresh.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run `quoting db upgrade`")
run_migrations_online()
