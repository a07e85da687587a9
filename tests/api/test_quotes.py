"""GET /api/v1/quotes and /api/v1/quotes/{number}: filters, sort, keyset pages,
the detail with every revision and event, and JSON errors for bad input."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from quoting import services
from quoting.store.models import Quote, User
from quoting.web.api.schemas import QuoteDetail, QuotePage
from tests.api.conftest import NOW, QUOTE_DAY, example

LIST = "/api/v1/quotes"


def numbers(client: FlaskClient, auth: dict[str, str], query: str = "") -> list[str]:
    response = client.get(f"{LIST}?{query}", headers=auth)
    assert response.status_code == 200, response.get_json()
    QuotePage.model_validate(response.get_json())
    return [item["number"] for item in response.get_json()["items"]]


def test_finance_gets_the_accepted_mexican_quotes(
        client: FlaskClient, auth: dict[str, str], make_quote: Callable[..., Quote]) -> None:
    accepted = make_quote("MX", "accepted")
    make_quote("MX", "sent")
    make_quote("AR", "accepted")
    assert numbers(client, auth, "market=MX&status=accepted") == [accepted.ref]


def test_an_item_carries_totals_as_decimal_strings_with_currencies_and_zoned_times(
        client: FlaskClient, auth: dict[str, str], make_quote: Callable[..., Quote]) -> None:
    make_quote("MX", "sent")
    item = client.get(LIST, headers=auth).get_json()["items"][0]
    assert item["program"] == {"currency": "MXN", "net": "818900.00", "tax": "131024.00",
                               "total": "949924.00"}
    assert item["licenses"]["currency"] == "USD"
    assert item["licenses"]["total"] == "37416.96"
    assert item["client"] == {"name": "Grupo Industrial Norteño S.A. de C.V.",
                              "tax_id": "GODE561231GR8", "country": "MX"}
    assert item["owner"]["email"] == "sales@example.com"
    assert item["rules_version"] == "MX-2025-01"
    assert item["created_at"] == "2026-11-25T15:00:00+00:00"
    assert item["sent_at"] == "2026-11-25T15:00:00+00:00"
    assert item["quote_date"] == "2026-11-25"


def test_chilean_pesos_have_no_decimals(client: FlaskClient, auth: dict[str, str],
                                        make_quote: Callable[..., Quote]) -> None:
    make_quote("CL")
    program = client.get(LIST, headers=auth).get_json()["items"][0]["program"]
    assert program["currency"] == "CLP"
    assert "." not in program["total"]


@pytest.mark.parametrize(("query", "expected"), [
    ("currency=ARS", ["AR"]),
    ("client_tax_id=GODE-561231-GR8", ["MX"]),
    ("owner=SALES@example.com", ["MX", "AR"]),
    ("owner=nobody@example.com", []),
    ("quote_date_from=2026-11-01&quote_date_to=2026-11-30", ["MX"]),
    ("created_from=2026-10-01&created_to=2026-10-31", ["AR"]),
    ("created_from=2026-11-25T14:00:00-01:00", ["MX"]),
    ("sent_from=2026-11-25&sent_to=2026-11-25", ["MX"]),
    ("currency=MXN&amount_min=949924&amount_max=949924.00", ["MX"]),
    ("currency=MXN&amount_min=949924.01", []),
])
def test_each_filter_narrows_the_list(client: FlaskClient, auth: dict[str, str],
                                      make_quote: Callable[..., Quote], query: str,
                                      expected: list[str]) -> None:
    make_quote("MX", "sent")
    make_quote("AR", day=date(2026, 10, 1), now=datetime(2026, 10, 1, 12, tzinfo=UTC))
    assert [n[:2] for n in numbers(client, auth, query)] == expected


def test_an_amount_range_without_a_currency_is_refused(client: FlaskClient,
                                                      auth: dict[str, str]) -> None:
    response = client.get(f"{LIST}?amount_min=100", headers=auth)
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == "amount_min"


def test_pages_follow_the_cursor_without_skipping_or_repeating(
        client: FlaskClient, auth: dict[str, str], make_quote: Callable[..., Quote]) -> None:
    # Same day and same creation time for all: only the tie-breaker orders them.
    made = {make_quote(market).number for market in ("MX", "AR", "CO", "PE", "EC", "ES", "CL")}
    for sort in ("-quote_date", "created_at", "number", "-number"):
        seen: list[str] = []
        cursor = None
        while True:
            query = f"limit=3&sort={sort}" + (f"&cursor={cursor}" if cursor else "")
            page = client.get(f"{LIST}?{query}", headers=auth).get_json()
            seen += [item["number"] for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert sorted(seen) == sorted(made), sort
        assert len(seen) == len(set(seen))
    by_number = numbers(client, auth, "sort=number")
    assert by_number == sorted(made)


def test_sorting_by_amount_needs_a_currency(client: FlaskClient, auth: dict[str, str],
                                            make_quote: Callable[..., Quote]) -> None:
    assert client.get(f"{LIST}?sort=-program_total", headers=auth).status_code == 400
    small = make_quote("MX", participants={"technical": 1, "business": 1, "leadership": 1})
    large = make_quote("MX")
    assert numbers(client, auth, "sort=-program_total&currency=MXN&limit=1") == [large.number]
    assert numbers(client, auth, "sort=program_total&currency=MXN") == [small.number,
                                                                        large.number]


def test_a_cursor_from_another_sort_is_refused(client: FlaskClient, auth: dict[str, str],
                                               make_quote: Callable[..., Quote]) -> None:
    make_quote("MX")
    make_quote("AR")
    cursor = client.get(f"{LIST}?limit=1", headers=auth).get_json()["next_cursor"]
    response = client.get(f"{LIST}?limit=1&sort=number&cursor={cursor}", headers=auth)
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == "cursor"


@pytest.mark.parametrize(("query", "field"), [
    ("market=XX", "market"),
    ("status=lost", "status"),
    ("currency=XYZ", "currency"),
    ("limit=0", "limit"),
    ("limit=501", "limit"),
    ("limit=ten", "limit"),
    ("created_from=yesterday", "created_from"),
    ("created_from=2026-11-25T10:00:00", "created_from"),
    ("created_from=0001-01-01T00:00:00%2B05:00", "created_from"),
    ("quote_date_to=2026-02-30", "quote_date_to"),
    ("amount_min=-5&currency=USD", "amount_min"),
    ("amount_min=1e400&currency=USD", "amount_min"),
    ("amount_max=NaN&currency=USD", "amount_max"),
    ("cursor=not-a-cursor", "cursor"),
    ("cursor=W10", "cursor"),
    ("owner=a%00b@example.com", "owner"),
    ("sort=price", "sort"),
    ("markt=MX", "markt"),
    ("market=MX&market=AR", "market"),
])
def test_a_bad_parameter_is_a_400_json_error_naming_it(client: FlaskClient,
                                                       auth: dict[str, str], query: str,
                                                       field: str) -> None:
    response = client.get(f"{LIST}?{query}", headers=auth)
    assert response.status_code == 400
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error["code"] == "invalid_parameter"
    assert error["field"] == field
    assert error["message"]


def test_the_detail_has_every_revision_with_its_lines_rates_and_pdf_hash_and_the_events(
        client: FlaskClient, auth: dict[str, str], session: Session,
        users: dict[str, User], make_quote: Callable[..., Quote]) -> None:
    services.import_rates_csv(session, "pair,date,rate,source\n"
                              "USD/MXN,2026-11-24,18.2345,Banxico FIX\n")
    quote = make_quote("MX")
    services.revise_quote(session, quote.ref, example("MX", date="2026-11-25", cases=2),
                          users["sales"], QUOTE_DAY, now=NOW)
    services.record_pdf_sha256(session, quote.ref, 1, "a" * 64)
    session.commit()

    response = client.get(f"/api/v1/quotes/{quote.ref.lower()}", headers=auth)
    assert response.status_code == 200
    detail = response.get_json()
    QuoteDetail.model_validate(detail)
    assert [r["revision"] for r in detail["revisions"]] == [1, 2]
    first = detail["revisions"][0]
    assert first["pdf_sha256"] == "a" * 64
    assert first["exchange_rates"][0]["rate"] == "18.2345"
    assert first["priced"]["program"]["lines"]
    assert first["request"]["market"] == "MX"
    assert [e["action"] for e in detail["events"]] == ["quote.create", "quote.revise",
                                                       "revision.pdf"]


@pytest.mark.parametrize("path", [
    "/api/v1/quotes/MX-2026-9999",
    "/api/v1/quotes/not%20a%20number",
    "/api/v1/quotes/MX-2026-0001%00",
    "/api/v1/quotes/MX-2026-9999/revisions/1/pdf",
    "/api/v1/quotes/MX-2026-0001/revisions/99999999999999999999/pdf",
    "/api/v1/nothing-here",
])
def test_what_does_not_exist_is_a_404_json_error(client: FlaskClient, auth: dict[str, str],
                                                 make_quote: Callable[..., Quote],
                                                 path: str) -> None:
    make_quote("MX")
    response = client.get(path, headers=auth)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_a_revision_without_an_archived_pdf_says_so(client: FlaskClient, auth: dict[str, str],
                                                    make_quote: Callable[..., Quote]) -> None:
    quote = make_quote("MX")
    response = client.get(f"/api/v1/quotes/{quote.ref}/revisions/1/pdf", headers=auth)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "pdf_not_archived"


def test_a_wrong_method_is_a_405_json_error(client: FlaskClient, auth: dict[str, str]) -> None:
    response = client.post(LIST, headers=auth)
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]


