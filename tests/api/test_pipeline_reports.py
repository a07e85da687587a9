"""GET /api/v1/reports/pipeline and /api/v1/reports/exchange-drift: the dashboard's
figures for finance's scripts, parameters checked with errors naming the field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from quoting import services
from quoting.store.models import Quote
from quoting.web.api.pipeline import ExchangeDrift, PipelineReport

PIPELINE = "/api/v1/reports/pipeline"
DRIFT = "/api/v1/reports/exchange-drift"


def bucket(report: dict[str, Any], dimension: str, key: str) -> dict[str, Any]:
    return next(b for b in report[dimension] if b["key"] == key)


def test_the_pipeline_reports_counts_amounts_win_rate_and_discounts(
        client: FlaskClient, auth: dict[str, str], make_quote: Callable[..., Quote]) -> None:
    make_quote("MX", "accepted")
    make_quote("MX", "declined")
    make_quote("AR", "sent")

    response = client.get(PIPELINE, headers=auth)

    assert response.status_code == 200
    report = response.get_json()
    PipelineReport.model_validate(report)
    assert report["count"] == 3
    assert bucket(report, "by_market", "MX")["program_totals"] == [
        {"currency": "MXN", "amount": "1899848.00"}]
    assert bucket(report, "by_owner", "sales@example.com")["count"] == 3
    assert report["win_rate"]["rate"] == "0.5000"
    assert report["win_rate"]["definition"] == "accepted / (accepted + declined + expired)"
    assert sum(b["count"] for b in report["discounts"]) == 3


def test_the_pipeline_takes_period_market_and_owner(
        client: FlaskClient, auth: dict[str, str], make_quote: Callable[..., Quote]) -> None:
    make_quote("MX", "sent")
    make_quote("AR")

    only_mexico = client.get(f"{PIPELINE}?market=mx&from=2026-11-01&to=2026-11-30"
                             f"&owner=sales@example.com", headers=auth).get_json()
    before = client.get(f"{PIPELINE}?to=2026-10-31", headers=auth).get_json()

    assert only_mexico["count"] == 1
    assert only_mexico["filters"]["market"] == "MX"
    assert before["count"] == 0


def test_converting_names_the_rates_and_what_could_not_be_converted(
        client: FlaskClient, auth: dict[str, str], session: Session,
        make_quote: Callable[..., Quote]) -> None:
    services.import_rates_csv(session, "pair,date,rate,source\n"
                                       "USD/MXN,2026-11-20,20.00,Banxico FIX\n")
    session.commit()
    make_quote("MX")
    make_quote("AR")

    report = client.get(f"{PIPELINE}?in=usd", headers=auth).get_json()

    converted = report["converted"]
    assert converted["currency"] == "USD"
    assert converted["rates_used"][0]["pair"] == "USD/MXN"
    assert [u["currency"] for u in converted["unconverted"]] == ["ARS"]
    assert bucket(report, "by_market", "MX")["converted_total"] == "84913.16"


@pytest.mark.parametrize(("query", "field"), [
    ("from=2026-13-01", "from"),
    ("to=25/11/2026", "to"),
    ("from=2026-12-01&to=2026-11-01", "to"),
    ("market=ZZ", "market"),
    ("in=XYZ", "in"),
    ("owner=nobody@example.com", "owner"),
    ("expiring_days=0", "expiring_days"),
    ("limit=100000", "limit"),
    ("colour=blue", "colour"),
    ("market=MX&market=AR", "market"),
])
def test_a_bad_pipeline_parameter_is_a_400_naming_it(
        client: FlaskClient, auth: dict[str, str], query: str, field: str) -> None:
    response = client.get(f"{PIPELINE}?{query}", headers=auth)

    assert response.status_code == 400
    error = response.get_json()["error"]
    assert (error["code"], error["field"]) == ("invalid_parameter", field)


def test_the_reports_need_a_token_with_the_reports_scope(
        client: FlaskClient, make_token: Callable[..., str]) -> None:
    quotes_only = {"Authorization": f"Bearer {make_token(scopes='quotes:read')}"}
    for path in (PIPELINE, DRIFT):
        assert client.get(path).status_code == 401
        assert client.get(path, headers=quotes_only).status_code == 403


def test_exchange_drift_flags_open_quotes_past_the_threshold(
        client: FlaskClient, auth: dict[str, str], session: Session,
        make_quote: Callable[..., Quote]) -> None:
    services.import_rates_csv(session, "pair,date,rate,source\n"
                                       "USD/MXN,2026-11-20,20.00,Banxico FIX\n")
    session.commit()
    quote = make_quote("MX", "sent")
    services.import_rates_csv(session, "pair,date,rate,source\n"
                                       "USD/MXN,2026-11-27,21.50,Banxico FIX\n")
    session.commit()

    default = client.get(DRIFT, headers=auth).get_json()
    strict = client.get(f"{DRIFT}?threshold=8", headers=auth).get_json()

    ExchangeDrift.model_validate(default)
    assert default["threshold_percent"] == "5"
    assert [(f["reference"], f["drift_percent"]) for f in default["flagged"]] == [
        (quote.number, "7.50")]
    assert strict["flagged"] == []


def test_the_drift_threshold_default_comes_from_the_app_config(
        make_app: Callable[..., Flask], auth: dict[str, str]) -> None:
    client = make_app(EXCHANGE_DRIFT_PERCENT="2.5").test_client()

    assert client.get(DRIFT, headers=auth).get_json()["threshold_percent"] == "2.5"


def test_exchange_drift_lists_open_quotes_without_a_rate_apart(
        client: FlaskClient, auth: dict[str, str], make_quote: Callable[..., Quote]) -> None:
    quote = make_quote("MX")

    report = client.get(DRIFT, headers=auth).get_json()

    assert report["no_rate_count"] == 1
    assert report["no_rate"][0]["reference"] == quote.ref


@pytest.mark.parametrize(("query", "field"), [
    ("threshold=-1", "threshold"),
    ("threshold=abc", "threshold"),
    ("threshold=150", "threshold"),
    ("market=XX", "market"),
    ("owner=nobody@example.com", "owner"),
])
def test_a_bad_drift_parameter_is_a_400_naming_it(
        client: FlaskClient, auth: dict[str, str], query: str, field: str) -> None:
    response = client.get(f"{DRIFT}?{query}", headers=auth)

    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == field


def test_both_reports_are_in_the_openapi_document(client: FlaskClient) -> None:
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]

    names = {p["name"] for p in paths["/api/v1/reports/pipeline"]["get"]["parameters"]}
    assert {"from", "to", "market", "owner", "in", "expiring_days"} <= names
    assert "threshold" in {p["name"] for p in
                           paths["/api/v1/reports/exchange-drift"]["get"]["parameters"]}
