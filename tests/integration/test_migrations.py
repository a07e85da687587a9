"""The migration chain builds exactly the schema the models describe, and its
latest step can be undone and redone."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

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
