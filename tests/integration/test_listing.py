from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy.orm import Session

from quoting import services
from quoting.errors import QuoteInputError
from quoting.services import QuoteFilter
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


def _numbers(page: services.QuotePage) -> list[str]:
    return [item.ref for item in page.items]


def test_quotes_are_listed_newest_quote_date_first(session: Session, stored: list[str]) -> None:
    assert _numbers(services.list_quotes(session)) == [
        "CL-2026-0001", "AR-2026-0003", "MX-2026-0001", "AR-2026-0002", "AR-2026-0001"]


@pytest.mark.parametrize(("filters", "expected"), [
    (QuoteFilter(market="ar"), ["AR-2026-0003", "AR-2026-0002", "AR-2026-0001"]),
    (QuoteFilter(status="accepted"), ["AR-2026-0002"]),
    (QuoteFilter(owner_email="Other@example.com"), ["AR-2026-0003", "MX-2026-0001"]),
    (QuoteFilter(market="AR", client_tax_id="20-26756539-3"),
     ["AR-2026-0003", "AR-2026-0002", "AR-2026-0001"]),
    (QuoteFilter(client_tax_id="20-26756539-3"), ["AR-2026-0003", "AR-2026-0002",
                                                  "AR-2026-0001"]),
    (QuoteFilter(date_from=date(2026, 11, 10), date_to=date(2026, 11, 20)),
     ["AR-2026-0003", "MX-2026-0001", "AR-2026-0002"]),
    (QuoteFilter(market="AR", date_from=date(2026, 11, 5)), ["AR-2026-0003", "AR-2026-0002"]),
])
def test_quotes_can_be_filtered(session: Session, stored: list[str], filters: QuoteFilter,
                                expected: list[str]) -> None:
    assert _numbers(services.list_quotes(session, filters)) == expected


def test_pages_follow_each_other_by_cursor_without_repeats_or_holes(
        session: Session, stored: list[str]) -> None:
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        page = services.list_quotes(session, limit=2, after=cursor)
        seen += _numbers(page)
        cursor = page.next_cursor
        if cursor is None:
            break

    assert seen == _numbers(services.list_quotes(session))


def test_a_summary_carries_the_totals_finance_reports_on(session: Session,
                                                        stored: list[str]) -> None:
    item = services.list_quotes(session, QuoteFilter(market="MX")).items[0]

    assert item.to_dict() | {"created_at": None} == {
        "number": "MX-2026-0001", "reference": "MX-2026-0001", "market": "MX",
        "status": "sent", "revision": 1,
        "quote_date": "2026-11-10", "valid_until": "2026-12-10",
        "client_name": "Grupo Industrial Norteño S.A. de C.V.", "client_tax_id": "GODE561231GR8",
        "owner_email": "other@example.com", "program_currency": "MXN",
        "program_total": "873930.08", "license_currency": "USD", "license_total": "37416.96",
        "created_at": None}


@pytest.mark.parametrize(("filters", "after", "field"), [
    (QuoteFilter(status="lost"), None, "status"),
    (QuoteFilter(market="AR", client_tax_id="123"), None, "client_tax_id"),
    (QuoteFilter(), "yesterday", "after"),
])
def test_bad_list_parameters_are_refused_naming_the_field(
        session: Session, filters: QuoteFilter, after: str | None, field: str) -> None:
    with pytest.raises(QuoteInputError) as raised:
        services.list_quotes(session, filters, after=after)
    assert raised.value.problems[0].field == field


def test_drafts_are_listed_by_reference_and_deleted_ones_only_when_asked_for(
        session: Session, stored: list[str], sales: User) -> None:
    kept = services.create_quote(session, example("pe"), sales, QUOTE_DAY)
    thrown = services.create_quote(session, example("pe"), sales, QUOTE_DAY)
    services.delete_draft(session, thrown.ref, sales)

    listed = _numbers(services.list_quotes(session, QuoteFilter(market="PE")))
    assert listed == [kept.ref]
    assert kept.ref.startswith("D-")
    assert _numbers(services.list_quotes(session, QuoteFilter(status="deleted"))) == [
        thrown.ref]
    found = services.search_quotes(session, text=kept.ref)
    assert [item.ref for item in found.items] == [kept.ref]
