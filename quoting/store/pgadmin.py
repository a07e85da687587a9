"""Create and drop throwaway PostgreSQL databases (test runs, benchmarks).

    python -m quoting.store.pgadmin create [SERVER_URL]   # prints the new database's URL
    python -m quoting.store.pgadmin drop DATABASE_URL

Fails loudly (exit 1) when the server cannot be reached: a test run that
asked for PostgreSQL must not quietly fall back to SQLite.
"""

from __future__ import annotations

import os
import sys
import uuid

import psycopg
from psycopg import sql
from sqlalchemy.engine import URL, make_url

from quoting.store.db import database_url

DEFAULT_SERVER_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _connect(url: URL) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(
        host=url.host or "127.0.0.1", port=url.port or 5432, user=url.username or "postgres",
        password=url.password, dbname="postgres", autocommit=True, connect_timeout=10,
    )


def create_database(server_url: str | None = None, prefix: str = "quoting_test") -> str:
    """Create an empty database on the server and return its SQLAlchemy URL."""
    url = make_url(database_url(server_url or os.environ.get("PG_SERVER_URL")
                                or DEFAULT_SERVER_URL))
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with _connect(url) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return url.set(database=name).render_as_string(hide_password=False)


def drop_database(url_text: str) -> None:
    url = make_url(database_url(url_text))
    with _connect(url) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(url.database or "")))


def main(argv: list[str]) -> int:
    if len(argv) < 1 or argv[0] not in {"create", "drop"} or (argv[0] == "drop" and len(argv) < 2):
        print(__doc__, file=sys.stderr)
        return 2
    try:
        if argv[0] == "create":
            print(create_database(argv[1] if len(argv) > 1 else None))
        else:
            drop_database(argv[1])
    except psycopg.Error as exc:
        print(f"PostgreSQL is required but not usable: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
