from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy.orm import Session

from quoting import services
from quoting.errors import QuoteInputError
from quoting.services import QuoteQuery
from quoting.store.models import User
from tests.integration.conftest import QUOTE_DAY, example


@pytest.fixture
def stored(session: Session, sales: User, make_user: Callable[..., User]) -> list[str]:
    other = make_user("sales", "other@example.com")
    numbers = []
    for market, day, owner in [("ar", "2026-11-01", sales), ("ar", "2026-11-10", sales),
                               ("mx", "2026-11-10", other), ("ar", "2026-11-20", other),
                               ("cl", "2026-11-25", sales)]:
        quote = services.create_quote(session, example(market, date=day), owner, QUOTE_DAY)
        services.send_quote(session, quote.ref, owner, QUOTE_DAY)
        numbers.append(quote.ref)
    services.accept_quote(session, numbers[1], sales, QUOTE_DAY)
    return numbers


def _numbers(page: services.HistoryPage) -> list[str]:
    return [item["reference"] for item in page.items]


def _desk(session: Session, query: QuoteQuery) -> list[str]:
    return [item.ref for item in services.search_quotes(session, query).items]


def test_quotes_are_listed_newest_quote_date_first(session: Session, stored: list[str]) -> None:
    expected = ["CL-2026-0001", "AR-2026-0003", "MX-2026-0001", "AR-2026-0002", "AR-2026-0001"]
    assert _numbers(services.list_history(session, QuoteQuery())) == expected
    assert _desk(session, QuoteQuery()) == expected


AR_TAX_ID = services.compact_tax_id_for_query("AR", "20-26756539-3")


@pytest.mark.parametrize(("query", "expected"), [
    (QuoteQuery(market="AR"), ["AR-2026-0003", "AR-2026-0002", "AR-2026-0001"]),
    (QuoteQuery(status="accepted"), ["AR-2026-0002"]),
    (QuoteQuery(owner_email="Other@example.com"), ["AR-2026-0003", "MX-2026-0001"]),
    (QuoteQuery(market="AR", client_tax_id=AR_TAX_ID),
     ["AR-2026-0003", "AR-2026-0002", "AR-2026-0001"]),
    (QuoteQuery(client_tax_id=AR_TAX_ID), ["AR-2026-0003", "AR-2026-0002", "AR-2026-0001"]),
    (QuoteQuery(quote_date_from=date(2026, 11, 10), quote_date_to=date(2026, 11, 20)),
     ["AR-2026-0003", "MX-2026-0001", "AR-2026-0002"]),
    (QuoteQuery(market="AR", quote_date_from=date(2026, 11, 5)),
     ["AR-2026-0003", "AR-2026-0002"]),
])
def test_one_quote_query_filters_the_desk_the_cli_and_the_api_alike(
        session: Session, stored: list[str], query: QuoteQuery, expected: list[str]) -> None:
    assert _numbers(services.list_history(session, query)) == expected
    assert _desk(session, query) == expected


def test_pages_follow_each_other_by_cursor_without_repeats_or_holes(
        session: Session, stored: list[str]) -> None:
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        page = services.list_history(session, QuoteQuery(), limit=2, cursor=cursor)
        seen += _numbers(page)
        cursor = page.next_cursor
        if cursor is None:
            break

    assert seen == _numbers(services.list_history(session, QuoteQuery()))


def test_a_desk_row_carries_the_totals_finance_reports_on(session: Session,
                                                         stored: list[str]) -> None:
    item = services.search_quotes(session, QuoteQuery(market="MX")).items[0]

    assert item.to_dict() | {"created_at": None} == {
        "number": "MX-2026-0001", "reference": "MX-2026-0001", "market": "MX",
        "status": "sent", "revision": 1,
        "quote_date": "2026-11-10", "valid_until": "2026-12-10",
        "client_name": "Grupo Industrial Norteño S.A. de C.V.", "client_tax_id": "GODE561231GR8",
        "owner_email": "other@example.com", "program_currency": "MXN",
        "program_total": "873930.08", "license_currency": "USD", "license_total": "37416.96",
        "created_at": None}


def test_a_tax_id_that_is_not_valid_for_the_market_is_refused_naming_the_field() -> None:
    with pytest.raises(QuoteInputError) as raised:
        services.compact_tax_id_for_query("AR", "123")
    assert raised.value.problems[0].field == "client_tax_id"


def test_a_cursor_from_elsewhere_is_refused_naming_the_field(session: Session) -> None:
    with pytest.raises(QuoteInputError) as raised:
        services.list_history(session, QuoteQuery(), cursor="yesterday")
    assert raised.value.problems[0].field == "cursor"


def test_drafts_are_listed_by_reference_and_deleted_ones_only_when_asked_for(
        session: Session, stored: list[str], sales: User) -> None:
    kept = services.create_quote(session, example("pe"), sales, QUOTE_DAY)
    thrown = services.create_quote(session, example("pe"), sales, QUOTE_DAY)
    services.delete_draft(session, thrown.ref, sales)

    assert _numbers(services.list_history(session, QuoteQuery(market="PE"))) == [kept.ref]
    assert _desk(session, QuoteQuery(market="PE")) == [kept.ref]
    assert kept.ref.startswith("D-")
    assert _numbers(services.list_history(session, QuoteQuery(status="deleted"))) == [
        thrown.ref]
    found = services.search_quotes(session, text=kept.ref)
    assert [item.ref for item in found.items] == [kept.ref]
