"""GET /api/v1/reports/summary: counts and totals by market, currency, status and
month, and a conversion that names its rates and lists what it could not convert."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from quoting import services
from quoting.store.models import Quote
from quoting.web.api.schemas import Summary

SUMMARY = "/api/v1/reports/summary"


def bucket(summary: dict[str, Any], dimension: str, key: str) -> dict[str, Any]:
    return next(b for b in summary[dimension] if b["key"] == key)


def test_counts_and_totals_by_market_currency_status_and_month(
        client: FlaskClient, auth: dict[str, str], make_quote: Callable[..., Quote]) -> None:
    make_quote("MX", "accepted")
    make_quote("MX", "sent")
    make_quote("AR", day=date(2026, 10, 5))
    response = client.get(SUMMARY, headers=auth)
    assert response.status_code == 200
    summary = response.get_json()
    Summary.model_validate(summary)
    assert summary["count"] == 3
    assert summary["converted"] is None
    mexico = bucket(summary, "by_market", "MX")
    assert mexico["count"] == 2
    assert mexico["program_totals"] == [{"currency": "MXN", "amount": "1899848.00"}]
    assert mexico["license_totals"] == [{"currency": "USD", "amount": "74833.92"}]
    assert bucket(summary, "by_status", "accepted")["count"] == 1
    assert bucket(summary, "by_month", "2026-10")["count"] == 1
    assert bucket(summary, "by_month", "2026-11")["count"] == 2
    assert bucket(summary, "by_currency", "MXN")["count"] == 2
    assert bucket(summary, "by_currency", "USD")["license_totals"][0]["currency"] == "USD"


def test_the_summary_takes_the_list_filters(client: FlaskClient, auth: dict[str, str],
                                            make_quote: Callable[..., Quote]) -> None:
    make_quote("MX", "accepted")
    make_quote("AR")
    summary = client.get(f"{SUMMARY}?status=accepted", headers=auth).get_json()
    assert summary["count"] == 1
    assert [b["key"] for b in summary["by_market"]] == ["MX"]


def test_conversion_uses_stored_rates_says_which_and_lists_what_it_could_not_convert(
        client: FlaskClient, auth: dict[str, str], session: Session,
        make_quote: Callable[..., Quote]) -> None:
    services.import_rates_csv(session, "pair,date,rate,source\n"
                              "USD/MXN,2026-11-20,20.00,Banxico FIX\n"
                              "USD/MXN,2026-12-01,25.00,Banxico FIX\n")
    session.commit()
    make_quote("MX")  # 949924.00 MXN program, 37416.96 USD licenses
    make_quote("AR")  # ARS program: no ARS rate stored
    summary = client.get(f"{SUMMARY}?convert_to=USD", headers=auth).get_json()
    converted = summary["converted"]
    # The November rate (in force at the month's end), divided: the pair is USD/MXN.
    assert converted["rates_used"] == [{
        "from_currency": "MXN", "month": "2026-11", "pair": "USD/MXN", "rate": "20.00",
        "inverted": True, "source": "Banxico FIX", "date": "2026-11-20"}]
    assert converted["program_total"] == "47496.20"
    assert converted["license_total"] == "47871.36"  # both quotes' USD licenses
    assert [(u["currency"], u["section"]) for u in converted["unconverted"]] == [
        ("ARS", "program")]
    assert "no stored ARS/USD or USD/ARS rate" in converted["unconverted"][0]["reason"]


def test_converting_to_an_unknown_currency_is_a_400(client: FlaskClient,
                                                   auth: dict[str, str]) -> None:
    response = client.get(f"{SUMMARY}?convert_to=BTC", headers=auth)
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == "convert_to"


def test_the_summary_filters_by_client_and_owner_too(client: FlaskClient, auth: dict[str, str],
                                                     make_quote: Callable[..., Quote]) -> None:
    make_quote("MX")
    make_quote("AR")
    by_client = client.get(f"{SUMMARY}?client_tax_id=GODE561231GR8", headers=auth).get_json()
    assert [b["key"] for b in by_client["by_market"]] == ["MX"]
    by_owner = client.get(f"{SUMMARY}?owner=sales@example.com", headers=auth).get_json()
    assert by_owner["count"] == 2
    assert client.get(f"{SUMMARY}?owner=x@example.com", headers=auth).get_json()["count"] == 0
