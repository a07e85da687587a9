"""The services the quote list uses (text search, sorting, numbered pages, clients),
on the database the suite runs on: SQLite, or PostgreSQL when TEST_DATABASE_URL is set."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from quoting import services
from quoting.errors import QuoteInputError
from quoting.store import migrate, pgadmin
from quoting.store.db import make_engine
from tests.conftest import quick_pdf
from tests.web.conftest import PASSWORD, example


@pytest.fixture(scope="module")
def stocked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    server = os.environ.get("TEST_DATABASE_URL")
    url = (pgadmin.create_database(server, prefix="quoting_web") if server
           else f"sqlite:///{Path(tmp_path_factory.mktemp('search')) / 'search.db'}")
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        with Session(engine) as session:
            owner = services.create_user(session, "ana@example.com", "Ana", "sales", PASSWORD)
            other = services.create_user(session, "bo@example.com", "Bo", "sales", PASSWORD)
            for market in ("MX", "CL", "PE", "ES", "CO", "EC", "AR"):
                services.create_quote(session, example(market), owner)
            services.create_quote(session, example("MX"), other)
            session.commit()
            # The two Mexican quotes are sent, so they have numbers (MX-2026-0001...).
            for ref, sender in (("D-00001", owner), ("D-00008", other)):
                services.send_quote(session, ref, sender, render=quick_pdf)
                session.commit()
        yield engine
    finally:
        engine.dispose()
        if server:
            pgadmin.drop_database(url)


def test_text_search_matches_number_client_name_and_tax_id_in_any_format(
        stocked: Engine) -> None:
    with Session(stocked) as session:
        by_name = services.search_quotes(session, text="viña los")
        folded = services.search_quotes(session, text="VINA LOS")
        by_tax_id = services.search_quotes(session, text="76.086.428-5")
        by_number = services.search_quotes(session, text="mx-")
        by_draft_reference = services.search_quotes(session, text="d-00002")
    assert [q.client_name for q in by_name.items] == ["Viña Los Andes SpA"]
    assert [q.client_name for q in folded.items] == ["Viña Los Andes SpA"]
    assert [q.market for q in by_tax_id.items] == ["CL"]
    assert by_number.total == 2
    assert sorted(q.ref[-4:] for q in by_number.items) == ["0001", "0002"]
    assert all(q.ref == q.number and q.ref.startswith("MX-") for q in by_number.items)
    assert [(q.ref, q.number, q.market) for q in by_draft_reference.items] == [
        ("D-00002", None, "CL")]


def test_search_sorts_and_counts_pages_with_the_filters_applied(stocked: Engine) -> None:
    with Session(stocked) as session:
        first = services.search_quotes(session, sort="client", per_page=3)
        last = services.search_quotes(session, sort="client", per_page=3, page=3)
        mine = services.search_quotes(session, services.QuoteQuery(owner_email="bo@example.com"))
    assert first.total == 8
    assert first.pages == 3
    names = [q.client_name for q in first.items]
    assert names == sorted(names)
    assert len(last.items) == 2
    assert [q.owner_email for q in mine.items] == ["bo@example.com"]


def test_search_refuses_an_unknown_sort(stocked: Engine) -> None:
    with Session(stocked) as session, pytest.raises(QuoteInputError):
        services.search_quotes(session, sort="password")


def test_known_clients_are_found_within_their_market_only(stocked: Engine) -> None:
    with Session(stocked) as session:
        found = services.find_clients(session, "MX", "norteño")
        elsewhere = services.find_clients(session, "CL", "norteño")
        blank = services.find_clients(session, "MX", "  ")
        users = services.list_users(session)
    assert [c.legal_name for c in found] == ["Grupo Industrial Norteño S.A. de C.V."]
    assert elsewhere == []
    assert blank == []
    assert [u.name for u in users] == ["Ana", "Bo"]
