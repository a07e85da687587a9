"""The migration chain builds exactly the schema the models describe, and its
latest step can be undone and redone."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlalchemy.orm import Session

from quoting import services
from quoting.store import migrate
from quoting.store.db import make_engine
from quoting.store.models import Base


@pytest.fixture
def empty_engine(fresh_database_url: str) -> Iterator[Engine]:
    engine = make_engine(fresh_database_url)
    yield engine
    engine.dispose()


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def test_upgrading_an_empty_database_reaches_head_with_the_models_schema(
        empty_engine: Engine) -> None:
    assert migrate.current_revision(empty_engine) is None

    migrate.upgrade(empty_engine)

    assert migrate.current_revision(empty_engine) == migrate.head_revision()
    assert _tables(empty_engine) == set(Base.metadata.tables)
    with empty_engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_the_latest_step_can_be_downgraded_and_upgraded_again(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine)
    head = migrate.head_revision()

    migrate.downgrade(empty_engine, "-1")
    assert migrate.current_revision(empty_engine) not in (None, head)
    migrate.upgrade(empty_engine)

    assert migrate.current_revision(empty_engine) == head


def test_downgrading_to_base_leaves_no_table_behind(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine)

    migrate.downgrade(empty_engine, "base")

    assert _tables(empty_engine) == set()


def test_a_database_with_quotes_migrates_from_0004_keeping_every_quote_and_reference(
        empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine, "0004")
    now = "2026-11-20 12:00:00"
    request = json.dumps({"client": {"name": "Peña Ñandú S.A."}})
    statements = [
        "INSERT INTO users (id, email, name, role, password_hash, active, created_at) "
        f"VALUES (1, 'ana@example.com', 'Ana', 'sales', '!', true, '{now}')",
        "INSERT INTO clients (id, country, tax_id, legal_name, created_at) "
        f"VALUES (1, 'AR', '20267565393', 'Peña Ñandú S.A.', '{now}')",
        "INSERT INTO quotes (id, number, market, year, sequence, client_id, owner_id, status, "
        "current_revision, quote_date, valid_until, created_at, updated_at) VALUES (1, "
        f"'AR-2026-0001', 'AR', 2026, 1, 1, 1, 'sent', 1, '2026-11-20', '2026-12-20', '{now}', "
        f"'{now}')",
        "INSERT INTO quote_revisions (id, quote_id, revision, request, priced, rules_version, "
        "exchange_rates, language, quote_date, valid_until, requires_approval, "
        "program_currency, program_total_minor, license_currency, license_total_minor, "
        f"author_id, created_at) VALUES (1, 1, 1, '{request}', '{{}}', 'AR-2025-01', '[]', "
        f"'es', '2026-11-20', '2026-12-20', false, 'ARS', 100, 'USD', 0, 1, '{now}')",
        "INSERT INTO audit_events (at, actor_id, actor, action, quote_id, revision, detail) "
        f"VALUES ('{now}', 1, 'ana@example.com', 'quote.create', 1, 1, '{{}}')",
        "INSERT INTO approval_decisions (quote_id, revision, decision, reason, decided_by_id, "
        f"decided_at) VALUES (1, 1, 'approved', 'ok', 1, '{now}')",
    ]
    with empty_engine.begin() as connection:
        for statement in statements:
            connection.exec_driver_sql(statement)

    migrate.upgrade(empty_engine)

    with empty_engine.connect() as connection:
        row = connection.exec_driver_sql(
            "SELECT number, status, client_name, client_name_folded FROM quotes").one()
        assert tuple(row) == ("AR-2026-0001", "sent", "Peña Ñandú S.A.", "pena nandu s.a.")
        assert connection.exec_driver_sql(
            "SELECT name_folded FROM clients").scalar_one() == "pena nandu s.a."
        for table in ("quote_revisions", "audit_events", "approval_decisions"):
            assert connection.exec_driver_sql(
                f"SELECT count(*) FROM {table} WHERE quote_id = 1").scalar_one() == 1
    # The migrated quote is a quote like any other.
    with Session(empty_engine) as session:
        quote = services.get_quote(session, "AR-2026-0001")
        assert (quote.client_name, quote.ref) == ("Peña Ñandú S.A.", "AR-2026-0001")
        assert [r.revision for r in quote.revisions] == [1]
