"""The CSV export neutralises formula injection (OWASP): a text cell a spreadsheet
would run as a formula gets a leading apostrophe; amounts and dates are untouched."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from quoting.services import history as quote_history
from quoting.store.models import Quote
from tests.api.conftest import example

CSV = "/api/v1/exports/quotes.csv"
NDJSON = "/api/v1/exports/quotes.ndjson"
FORMULA = '=HYPERLINK("http://x","y")'


def _rows(client: FlaskClient, auth: dict[str, str]) -> list[dict[str, str]]:
    response = client.get(CSV, headers=auth)
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_a_client_name_that_is_a_formula_is_exported_as_text(
        client: FlaskClient, auth: dict[str, str], make_quote: Callable[..., Quote]) -> None:
    client_data = {**example("MX")["client"], "name": FORMULA}
    make_quote("MX", client=client_data)
    [row] = _rows(client, auth)
    assert row["client_name"] == "'" + FORMULA
    # The NDJSON export is data, not a spreadsheet: the name is kept as it is.
    [line] = client.get(NDJSON, headers=auth).get_data(as_text=True).splitlines()
    assert json.loads(line)["client"]["name"] == FORMULA


def test_amounts_and_dates_in_the_csv_are_not_prefixed(
        client: FlaskClient, auth: dict[str, str], make_quote: Callable[..., Quote]) -> None:
    make_quote("MX", client={**example("MX")["client"], "name": FORMULA})
    [row] = _rows(client, auth)
    for column in ("program_net", "program_tax", "program_total", "license_net",
                   "license_tax", "license_total", "current_revision"):
        assert row[column][0].isdigit(), (column, row[column])
    for column in ("quote_date", "valid_until", "created_at", "updated_at"):
        assert row[column].startswith("2026-"), (column, row[column])


def _item(**text: str) -> dict[str, Any]:
    return {
        "number": text.get("number", "MX-2026-0001"), "market": "MX", "status": "draft",
        "current_revision": 1,
        "client": {"name": text.get("name", "Acme"), "tax_id": text.get("tax_id", "X1"),
                   "country": "MX"},
        "owner": {"email": text.get("email", "ana@example.com"), "name": "Ana"},
        "program": {"currency": "MXN", "net": "-5.00", "tax": "0.00", "total": "-5.00"},
        "licenses": {"currency": "USD", "net": "+1", "tax": "0", "total": "1"},
        "rules_version": "2026-01", "language": "es", "quote_date": "2026-11-25",
        "valid_until": "2026-12-25", "created_at": "2026-11-25T15:00:00+00:00",
        "updated_at": "2026-11-25T15:00:00+00:00", "sent_at": None,
    }


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
@pytest.mark.parametrize("cell", ["name", "tax_id", "email", "number"])
def test_every_text_cell_starting_like_a_formula_gets_an_apostrophe(
        start: str, cell: str) -> None:
    values = dict(zip(quote_history.CSV_COLUMNS,
                      quote_history.csv_values(_item(**{cell: f"{start}1+1"})), strict=True))
    column = {"name": "client_name", "tax_id": "client_tax_id", "email": "owner_email",
              "number": "number"}[cell]
    assert values[column] == f"'{start}1+1"


def test_numeric_cells_are_never_prefixed_even_when_signed() -> None:
    values = dict(zip(quote_history.CSV_COLUMNS, quote_history.csv_values(_item()),
                      strict=True))
    assert values["program_net"] == "-5.00"
    assert values["program_total"] == "-5.00"
    assert values["license_net"] == "+1"
    assert values["current_revision"] == 1
    assert values["client_name"] == "Acme"  # ordinary text is left alone
