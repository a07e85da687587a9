"""Engine and session factory. `DATABASE_URL` picks the database; without it,
a SQLite file in the instance folder (quoting.paths: `instance/` in the checkout,
else in the current directory, or `QUOTING_INSTANCE`).

SQLite is opened with foreign keys on, WAL journaling and a busy timeout.
Transactions are deferred, so reads never wait for a writer nor block one; a
use case that writes starts with `begin_write(session)`, which on SQLite opens
the transaction with BEGIN IMMEDIATE: the writer takes the write lock up front
instead of failing half-way when two writers meet (that is what keeps quote
numbers gapless under concurrency). PostgreSQL needs no such step: row locks
(SELECT ... FOR UPDATE) order the writers there.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from quoting import paths

DEFAULT_SQLITE_PATH = paths.instance_dir() / "quoting.db"
SQLITE_BUSY_TIMEOUT_MS = 60_000
# Execution option naming how a SQLite transaction begins (see begin_write).
SQLITE_BEGIN = "quoting_sqlite_begin"
# Session.info key: this transaction has flushed a change (so it holds the write lock).
_FLUSHED = "quoting_flushed"


def database_url(url: str | None = None) -> str:
    """The URL to use: the argument, else DATABASE_URL, else the SQLite file."""
    chosen = url or os.environ.get("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH}"
    # psycopg 3 is the driver we ship; accept the bare scheme people usually write.
    for bare in ("postgresql://", "postgres://"):
        if chosen.startswith(bare):
            chosen = "postgresql+psycopg://" + chosen[len(bare):]
    return chosen


def is_sqlite(engine_or_url: Engine | str) -> bool:
    url = engine_or_url.url if isinstance(engine_or_url, Engine) else make_url(engine_or_url)
    return url.get_backend_name() == "sqlite"


CONNECT_TIMEOUT_SECONDS = 5


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    resolved = database_url(url)
    if not is_sqlite(resolved):
        # A server that never answers fails the connection after this long, instead of
        # holding a request (or /readyz) for the operating system's TCP timeout.
        connect_args = {"connect_timeout": CONNECT_TIMEOUT_SECONDS,
                        **kwargs.pop("connect_args", {})}
        return create_engine(resolved, pool_pre_ping=True, connect_args=connect_args,
                             **kwargs)
    path = make_url(resolved).database
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        resolved,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
        **kwargs,
    )
    _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the driver so SAVEPOINT works and
        # BEGIN is ours to write (below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get(SQLITE_BEGIN, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


def begin_write(session: Session) -> None:
    """Make the session's transaction a write transaction from its first statement.

    On SQLite a deferred transaction that has only read is ended (it holds nothing
    and has nothing pending) and a new one begins with BEGIN IMMEDIATE, so the
    change is made on data read under the write lock, never upgraded half-way (an
    upgrade fails at once when another writer came in between). A transaction that
    already wrote holds the lock and goes on. Elsewhere this does nothing.
    """
    if session.get_bind().dialect.name != "sqlite":
        return
    if session.in_transaction():
        connection = session.connection()
        if connection.get_execution_options().get(SQLITE_BEGIN) == "IMMEDIATE":
            return
        if session.new or session.dirty or session.deleted or session.info.get(_FLUSHED):
            return
        session.rollback()
    session.connection(execution_options={SQLITE_BEGIN: "IMMEDIATE"})


@event.listens_for(Session, "after_flush")
def _remember_flush(session: Session, _context: Any) -> None:
    session.info[_FLUSHED] = True


@event.listens_for(Session, "after_transaction_end")
def _forget_flush(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_FLUSHED, None)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)
