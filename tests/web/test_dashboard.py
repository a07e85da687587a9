"""The pipeline dashboard (/dashboard): for finance and admin only, in es/en/pt, charts
drawn on the server as SVG with their numbers in a table beside them."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from quoting import services
from quoting.store.models import Quote
from quoting.web import create_app
from tests.web.conftest import FINANCE, OTHER_SALES, PASSWORD, SALES, app_config

DASHBOARD = "/dashboard"
ADMIN = "ada@example.com"


@pytest.fixture
def admin(engine: Engine) -> str:
    with Session(engine) as session:
        services.create_user(session, ADMIN, "Ada Admin", "admin", PASSWORD)
        session.commit()
    return ADMIN


def page(client: FlaskClient, url: str = DASHBOARD, language: str | None = None) -> str:
    if language:
        client.post("/language", data={"language": language, "next": "/"})
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def charts(html: str) -> list[str]:
    return [base64.b64decode(data).decode("utf-8")
            for data in re.findall(r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', html)]


def test_a_sales_user_is_refused_and_sees_no_link(
        sign_in: Callable[..., FlaskClient]) -> None:
    client = sign_in(SALES)

    assert client.get(DASHBOARD).status_code == 403
    assert 'data-testid="dashboard-link"' not in client.get("/quotes").get_data(as_text=True)


def test_finance_and_admin_see_the_dashboard_and_its_link(
        sign_in: Callable[..., FlaskClient], make_quote: Callable[..., Quote],
        admin: str) -> None:
    make_quote("MX", sent=True)
    for email in (FINANCE, admin):
        client = sign_in(email)
        html = page(client)
        assert 'data-testid="dashboard-link"' in html
        assert 'data-testid="kpi-count">1<' in html
        client.post("/logout")


def test_every_chart_is_an_inline_svg_with_a_title_a_description_and_no_script(
        sign_in: Callable[..., FlaskClient], make_quote: Callable[..., Quote]) -> None:
    make_quote("MX", sent=True)
    html = page(sign_in(FINANCE), language="en")

    drawn = charts(html)
    assert len(drawn) == 5  # status, month, market, owner, discounts
    for svg in drawn:
        assert svg.startswith("<svg")
        assert "<script" not in svg
        assert re.search(r"<title>[^<]+</title><desc>[^<]+</desc>", svg)
    assert "<title>Quotes by status</title>" in drawn[0]
    # Nothing on the page comes from another host.
    assert not re.search(r'(src|href)="(https?:)?//', html)


def test_the_numbers_are_in_a_table_beside_each_chart_in_the_interface_format(
        sign_in: Callable[..., FlaskClient], make_quote: Callable[..., Quote]) -> None:
    make_quote("MX", sent=True)
    client = sign_in(FINANCE)

    english = page(client, language="en")
    spanish = page(client, language="es")
    portuguese = page(client, language="pt")

    assert "873,930.08\xa0MXN" in english
    assert "873.930,08\xa0MXN" in spanish
    assert "873.930,08\xa0MXN" in portuguese
    assert 'data-testid="table-status"' in english


@pytest.mark.parametrize(("language", "words"), [
    ("es", ["Embudo", "Tasa de cierre", "Cotizaciones por estado", "Vencen pronto"]),
    ("en", ["Pipeline", "Win rate", "Quotes by status", "Expiring soon"]),
    ("pt", ["Funil", "Taxa de fechamento", "Cotações por status", "Vencem em breve"]),
])
def test_the_dashboard_and_its_charts_speak_the_interface_language(
        sign_in: Callable[..., FlaskClient], make_quote: Callable[..., Quote],
        language: str, words: list[str]) -> None:
    make_quote("MX", sent=True)
    html = page(sign_in(FINANCE), language=language)

    for word in words:
        assert word in html
    assert f"<title>{words[2]}</title>" in charts(html)[0]


def test_the_filters_narrow_the_figures(
        sign_in: Callable[..., FlaskClient], make_quote: Callable[..., Quote]) -> None:
    make_quote("MX")
    make_quote("AR", owner=OTHER_SALES)
    client = sign_in(FINANCE)

    assert 'data-testid="kpi-count">1<' in page(client, f"{DASHBOARD}?market=AR")
    assert 'data-testid="kpi-count">1<' in page(client, f"{DASHBOARD}?owner={OTHER_SALES}")
    assert 'data-testid="kpi-count">0<' in page(client, f"{DASHBOARD}?to=2000-01-01")


def test_bad_filters_are_named_beside_their_field_not_a_server_error(
        sign_in: Callable[..., FlaskClient]) -> None:
    client = sign_in(FINANCE)
    client.post("/language", data={"language": "en", "next": "/"})

    response = client.get(f"{DASHBOARD}?from=2026-13-45&to=2026-01-01&in=XYZ&days=0"
                          f"&threshold=abc&market=ZZ")

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    for field in ("from", "in", "days", "threshold", "market"):
        assert f'id="problem-{field}"' in html
    assert "Dates look like 2026-11-25." in html
    reversed_period = client.get(f"{DASHBOARD}?from=2026-12-01&to=2026-11-01")
    assert reversed_period.status_code == 400
    assert "The period ends before it starts." in reversed_period.get_data(as_text=True)


def test_converting_names_what_could_not_be_converted(
        sign_in: Callable[..., FlaskClient], make_quote: Callable[..., Quote]) -> None:
    make_quote("AR")
    html = page(sign_in(FINANCE), f"{DASHBOARD}?in=USD", language="en")

    assert "Converted to USD" in html
    unconverted = html.split('data-testid="unconverted"')[1].split("</table>")[0]
    assert "ARS" in unconverted


def test_open_quotes_without_a_stored_rate_are_listed_under_no_rate_stored(
        sign_in: Callable[..., FlaskClient], make_quote: Callable[..., Quote]) -> None:
    quote = make_quote("MX")  # licenses in USD, no USD/MXN rate stored
    html = page(sign_in(FINANCE), language="en")

    assert "No rate stored" in html
    assert quote.ref in html.split('data-testid="table-no-rate"')[1]


def test_a_drifted_rate_is_flagged_on_the_dashboard(
        engine: Engine, sign_in: Callable[..., FlaskClient],
        make_quote: Callable[..., Quote]) -> None:
    with Session(engine) as session:
        services.import_rates_csv(session, "pair,date,rate,source\n"
                                           "USD/MXN,2020-01-01,20.00,Banxico FIX\n")
        session.commit()
    quote = make_quote("MX")
    with Session(engine) as session:
        services.import_rates_csv(session, "pair,date,rate,source\n"
                                           "USD/MXN,2099-01-01,23.00,Banxico FIX\n")
        session.commit()

    html = page(sign_in(FINANCE), language="en")

    flagged = html.split('data-testid="table-drift"')[1].split("</table>")[0]
    assert quote.ref in flagged
    assert "+15.00 %" in flagged


def test_with_own_quotes_only_finance_still_sees_every_owner(
        engine: Engine, make_quote: Callable[..., Quote]) -> None:
    make_quote("MX")
    make_quote("MX", owner=OTHER_SALES)
    app: Flask = create_app(app_config(engine, SALES_OWN_QUOTES_ONLY=True))
    client = app.test_client()
    client.post("/login", data={"email": FINANCE, "password": PASSWORD})

    assert 'data-testid="kpi-count">2<' in page(client)
    sales = app.test_client()
    sales.post("/login", data={"email": SALES, "password": PASSWORD})
    assert sales.get(DASHBOARD).status_code == 403
