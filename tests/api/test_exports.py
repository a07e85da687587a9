"""CSV and NDJSON exports: the list's filters, every matching quote, streamed."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from flask.testing import FlaskClient

from quoting.services import history as quote_history
from quoting.store.models import Quote
from quoting.web.api.schemas import QuoteItem

CSV = "/api/v1/exports/quotes.csv"
NDJSON = "/api/v1/exports/quotes.ndjson"


@pytest.fixture
def quarter(make_quote: Callable[..., Quote]) -> list[str]:
    """Five quotes in the fourth quarter of 2026 (two of them sent, so numbered), one in
    the third; their references (the number once sent, else the draft reference)."""
    inside = []
    for market, day, status in [("MX", date(2026, 10, 1), "sent"),
                                ("AR", date(2026, 10, 15), "draft"),
                                ("CO", date(2026, 11, 2), "sent"),
                                ("CL", date(2026, 11, 20), "draft"),
                                ("ES", date(2026, 12, 31), "draft")]:
        inside.append(make_quote(market, status, day=day,
                                 now=datetime(2026, 10, 1, 9, tzinfo=UTC)).ref)
    make_quote("PE", day=date(2026, 9, 30))
    return inside


def test_a_quarter_exports_to_csv_with_one_row_per_quote(
        client: FlaskClient, auth: dict[str, str], quarter: list[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(quote_history, "EXPORT_BATCH", 2)  # several batches
    response = client.get(f"{CSV}?quote_date_from=2026-10-01&quote_date_to=2026-12-31",
                          headers=auth)
    assert response.status_code == 200
    assert response.is_streamed
    assert response.mimetype == "text/csv"
    assert 'filename="quotes.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert sorted(row["reference"] for row in rows) == sorted(quarter)
    # A draft has no number yet: the column is empty and the reference names it.
    assert sorted(row["number"] for row in rows) == ["", "", "", "CO-2026-0001", "MX-2026-0001"]
    assert {row["reference"][:2] for row in rows if not row["number"]} == {"D-"}
    assert list(rows[0]) == list(quote_history.CSV_COLUMNS)
    chile = next(row for row in rows if row["market"] == "CL")
    assert chile["program_currency"] == "CLP"
    assert chile["program_total"].isdigit()


def test_ndjson_has_one_list_item_per_line(client: FlaskClient, auth: dict[str, str],
                                           quarter: list[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(quote_history, "EXPORT_BATCH", 2)
    response = client.get(f"{NDJSON}?sort=number", headers=auth)
    assert response.status_code == 200
    assert response.mimetype == "application/x-ndjson"
    lines = response.get_data(as_text=True).splitlines()
    items = [QuoteItem.model_validate(json.loads(line)) for line in lines]
    assert len(items) == 6
    # Drafts (no number) first, oldest first, then the numbers in order.
    drafts = sorted((item for item in items if item.number is None),
                    key=lambda item: int(item.reference[2:]))
    assert [item.reference for item in items] == (
        [item.reference for item in drafts] + ["CO-2026-0001", "MX-2026-0001"])
    assert all(item.reference == item.number for item in items if item.number)


def test_the_export_and_the_list_agree_on_the_same_filters(
        client: FlaskClient, auth: dict[str, str], quarter: list[str]) -> None:
    query = "market=MX&created_from=2026-10-01"
    listed = client.get(f"/api/v1/quotes?{query}", headers=auth).get_json()["items"]
    exported = [json.loads(line) for line in
                client.get(f"{NDJSON}?{query}", headers=auth).get_data(as_text=True).splitlines()]
    assert exported == listed


def test_an_empty_export_still_has_the_header(client: FlaskClient, auth: dict[str, str]) -> None:
    response = client.get(f"{CSV}?market=PE", headers=auth)
    assert response.get_data(as_text=True).strip() == ",".join(quote_history.CSV_COLUMNS)


def test_a_bad_filter_is_refused_before_anything_is_streamed(
        client: FlaskClient, auth: dict[str, str]) -> None:
    response = client.get(f"{CSV}?amount_max=10", headers=auth)
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == "amount_max"
