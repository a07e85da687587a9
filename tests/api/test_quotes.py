"""GET /api/v1/quotes and /api/v1/quotes/{number}: filters, sort, keyset pages,
the detail with every revision and event, and JSON errors for bad input."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from quoting import services
from quoting.store.models import Quote, User
from quoting.web.api.schemas import QuoteDetail, QuotePage
from tests.api.conftest import NOW, QUOTE_DAY, example

LIST = "/api/v1/quotes"


def items(client: FlaskClient, auth: dict[str, str], query: str = "") -> list[dict[str, Any]]:
    response = client.get(f"{LIST}?{query}", headers=auth)
    assert response.status_code == 200, response.get_json()
    QuotePage.model_validate(response.get_json())
    listed: list[dict[str, Any]] = response.get_json()["items"]
    return listed


def numbers(client: FlaskClient, auth: dict[str, str], query: str = "") -> list[str]:
    """The references listed: the number once sent, else the draft reference (D-00042)."""
    return [item["reference"] for item in items(client, auth, query)]


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
    assert [item["market"] for item in items(client, auth, query)] == expected


def test_an_amount_range_without_a_currency_is_refused(client: FlaskClient,
                                                      auth: dict[str, str]) -> None:
    response = client.get(f"{LIST}?amount_min=100", headers=auth)
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == "amount_min"


def test_pages_follow_the_cursor_without_skipping_or_repeating(
        client: FlaskClient, auth: dict[str, str], make_quote: Callable[..., Quote]) -> None:
    # Same day and same creation time for all: only the tie-breaker orders them.
    drafts = [make_quote(market).ref for market in ("MX", "AR", "CO", "PE")]
    sent = [make_quote(market, "sent").ref for market in ("EC", "ES", "CL")]
    made = drafts + sent
    for sort in ("-quote_date", "created_at", "number", "-number"):
        seen: list[str] = []
        cursor = None
        while True:
            query = f"limit=3&sort={sort}" + (f"&cursor={cursor}" if cursor else "")
            page = client.get(f"{LIST}?{query}", headers=auth).get_json()
            seen += [item["reference"] for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert sorted(seen) == sorted(made), sort
        assert len(seen) == len(set(seen))
    # Drafts have no number yet: they come first by number, oldest first.
    assert numbers(client, auth, "sort=number") == drafts + sorted(sent)
    assert numbers(client, auth, "sort=-number") == sorted(sent, reverse=True) + drafts[::-1]


def test_sorting_by_amount_needs_a_currency(client: FlaskClient, auth: dict[str, str],
                                            make_quote: Callable[..., Quote]) -> None:
    assert client.get(f"{LIST}?sort=-program_total", headers=auth).status_code == 400
    small = make_quote("MX", participants={"technical": 1, "business": 1, "leadership": 1})
    large = make_quote("MX")
    assert numbers(client, auth, "sort=-program_total&currency=MXN&limit=1") == [large.ref]
    assert numbers(client, auth, "sort=program_total&currency=MXN") == [small.ref, large.ref]


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
    quote = make_quote("MX", "sent")
    services.revise_quote(session, quote.ref, example("MX", date="2026-11-25", cases=2),
                          users["sales"], QUOTE_DAY, now=NOW)
    session.commit()
    kept = services.archived_pdf(session, quote.ref, 1)
    assert kept is not None

    response = client.get(f"/api/v1/quotes/{quote.ref.lower()}", headers=auth)
    assert response.status_code == 200
    detail = response.get_json()
    QuoteDetail.model_validate(detail)
    assert (detail["number"], detail["reference"]) == (quote.number, quote.number)
    assert [r["revision"] for r in detail["revisions"]] == [1, 2]
    first, second = detail["revisions"]
    assert first["pdf_sha256"] == hashlib.sha256(kept).hexdigest()
    assert first["sent_at"] == NOW.isoformat()
    assert (second["pdf_sha256"], second["sent_at"]) == (None, None)
    assert first["exchange_rates"][0]["rate"] == "18.2345"
    assert first["priced"]["program"]["lines"]
    assert first["request"]["market"] == "MX"
    assert [e["action"] for e in detail["events"]] == ["quote.create", "quote.number",
                                                       "quote.send", "quote.revise"]


def test_a_draft_is_listed_and_found_by_its_draft_reference_with_no_number(
        client: FlaskClient, auth: dict[str, str], session: Session,
        make_quote: Callable[..., Quote]) -> None:
    draft = make_quote("AR")
    draft_ref = draft.ref
    assert re.fullmatch(r"D-\d{5}", draft_ref)
    [item] = items(client, auth)
    assert (item["number"], item["reference"]) == (None, draft_ref)
    detail = client.get(f"/api/v1/quotes/{draft_ref.lower()}", headers=auth).get_json()
    QuoteDetail.model_validate(detail)
    assert (detail["number"], detail["reference"], detail["status"]) == (
        None, draft_ref, "draft")

    services.send_quote(session, draft_ref, draft.owner, QUOTE_DAY, now=NOW)
    session.commit()
    [item] = items(client, auth)
    assert item["number"] == item["reference"] == "AR-2026-0001"
    # Links made while it was a draft keep working.
    again = client.get(f"/api/v1/quotes/{draft_ref}", headers=auth).get_json()
    assert (again["number"], again["reference"]) == ("AR-2026-0001", "AR-2026-0001")


def test_deleted_drafts_are_left_out_unless_asked_for(
        client: FlaskClient, auth: dict[str, str], session: Session, users: dict[str, User],
        make_quote: Callable[..., Quote]) -> None:
    kept, deleted = make_quote("MX"), make_quote("MX")
    services.delete_draft(session, deleted.ref, users["sales"], now=NOW)
    session.commit()
    assert numbers(client, auth) == [kept.ref]
    assert numbers(client, auth, "status=deleted") == [deleted.ref]
    exported = client.get("/api/v1/exports/quotes.ndjson", headers=auth).get_data(as_text=True)
    assert deleted.ref not in exported
    summary = client.get("/api/v1/reports/summary", headers=auth).get_json()
    assert summary["count"] == 1
    detail = client.get(f"/api/v1/quotes/{deleted.ref}", headers=auth).get_json()
    assert detail["status"] == "deleted"


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


