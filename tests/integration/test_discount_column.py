"""Quotes carry their current revision's program discount (migration 0012): the
pipeline's discount distribution groups the quotes table instead of reading each
revision's JSON."""

from __future__ import annotations

import json
from collections.abc import Callable

from sqlalchemy import Engine, inspect
from sqlalchemy.orm import Session

from quoting import services
from quoting.services.pipeline import PipelineFilters, pipeline
from quoting.store import migrate
from quoting.store.db import make_engine
from quoting.store.models import User
from tests.integration.conftest import example


def test_a_quote_carries_the_discount_its_current_revision_wrote(
        session: Session, make_user: Callable[..., User]) -> None:
    sales = make_user("sales")
    quote = services.create_quote(session, example("mx", discount_percent="8"), sales)
    assert quote.discount_percent == "8"

    services.revise_quote(session, quote.ref, example("mx", discount_percent="12.5"), sales)
    assert quote.discount_percent == "12.5"
    services.revise_quote(session, quote.ref, example("mx", discount_percent="0"), sales)
    assert quote.discount_percent == "0"


def test_migration_0012_fills_the_discount_from_each_current_revision_and_goes_back(
        fresh_database_url: str) -> None:
    engine: Engine = make_engine(fresh_database_url)
    try:
        migrate.upgrade(engine, "0011")
        now = "2026-11-20 12:00:00"
        revision_columns = (
            "INSERT INTO quote_revisions (quote_id, revision, request, priced, rules_version, "
            "exchange_rates, language, quote_date, valid_until, requires_approval, "
            "program_currency, program_total_minor, license_currency, license_total_minor, "
            "author_id, created_at) VALUES ")

        def quote(quote_id: int, current: int) -> str:
            return (
                "INSERT INTO quotes (id, number, market, year, sequence, client_id, owner_id, "
                "status, current_revision, quote_date, valid_until, created_at, updated_at, "
                "client_name, client_name_folded, program_currency, program_total_minor, "
                "license_currency, license_total_minor, quote_month) VALUES "
                f"({quote_id}, NULL, 'AR', NULL, NULL, 1, 1, 'draft', {current}, "
                f"'2026-11-20', '2026-12-20', '{now}', '{now}', 'Peña S.A.', 'pena s.a.', "
                "'ARS', 100, 'USD', 7, 202611)")

        def revision(quote_id: int, number: int, request: dict[str, object]) -> str:
            return revision_columns + (
                f"({quote_id}, {number}, '{json.dumps(request)}', '{{}}', 'AR-2025-01', '[]', "
                f"'es', '2026-11-20', '2026-12-20', false, 'ARS', 100, 'USD', 7, 1, '{now}')")

        statements = [
            "INSERT INTO users (id, email, name, role, password_hash, active, created_at, "
            f"language) VALUES (1, 'ana@example.com', 'Ana', 'sales', '!', true, '{now}', 'es')",
            "INSERT INTO clients (id, country, tax_id, legal_name, name_folded, created_at) "
            f"VALUES (1, 'AR', '20267565393', 'Peña S.A.', 'pena s.a.', '{now}')",
            # Revised from 5% to 12.5%: the current revision's discount is the one kept.
            quote(1, 2),
            revision(1, 1, {"discount_percent": "5"}),
            revision(1, 2, {"discount_percent": "12.5"}),
            # A request that never wrote a discount, and one that wrote zero.
            quote(2, 1), revision(2, 1, {"client": {"name": "Peña S.A."}}),
            quote(3, 1), revision(3, 1, {"discount_percent": "0"}),
        ]
        with engine.begin() as connection:
            for statement in statements:
                connection.exec_driver_sql(statement)

        migrate.upgrade(engine)

        with engine.connect() as connection:
            rows = connection.exec_driver_sql(
                "SELECT id, discount_percent FROM quotes ORDER BY id").all()
        assert [tuple(row) for row in rows] == [(1, "12.5"), (2, "0"), (3, "0")]
        with Session(engine) as session:
            buckets = {bucket["key"]: bucket["count"]
                       for bucket in pipeline(session, PipelineFilters())["discounts"]}
        assert (buckets["0"], buckets["10-15"]) == (2, 1)

        migrate.downgrade(engine, "0011")
        columns = {column["name"] for column in inspect(engine).get_columns("quotes")}
        assert "discount_percent" not in columns
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == migrate.head_revision()
    finally:
        engine.dispose()
