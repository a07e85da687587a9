"""The desk's pricing tools: compare markets (a quote's page and the quote form) and
the price list simulation for finance and admin."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, text

from quoting.i18n import market_today
from quoting.store.models import Quote
from tests.web.conftest import FINANCE, form_data

ROOT = Path(__file__).resolve().parents[2]
MX_RULES = ROOT / "pricing_rules" / "MX" / "MX-2025-01.toml"
TABLES = ("quotes", "quote_revisions", "audit_events", "clients", "users")


def page(response: Any) -> str:
    return str(response.get_data(as_text=True))


def period() -> dict[str, str]:
    today = market_today("MX")
    return {"from": (today - timedelta(days=1)).isoformat(),
            "to": (today + timedelta(days=1)).isoformat()}


def mx_rules(*replacements: tuple[str, str]) -> bytes:
    content = MX_RULES.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in content
        content = content.replace(old, new, 1)
    return content.encode("utf-8")


def without_coding_assistant() -> bytes:
    content = MX_RULES.read_text(encoding="utf-8")
    start = content.index('[[licenses.products]]\ncode = "coding-assistant"')
    end = content.index("[[licenses.products]]", start + 10)
    return (content[:start] + content[end:]).encode("utf-8")


def fingerprint(engine: Engine) -> dict[str, str]:
    with engine.connect() as connection:
        return {table: hashlib.sha256(repr(connection.execute(
            text(f"SELECT * FROM {table} ORDER BY id")).all()).encode()).hexdigest()
            for table in TABLES}


def upload(client: FlaskClient, content: bytes, name: str = "MX-2027-01.toml",
           **fields: Any) -> Any:
    data = {**period(), "status": ["draft", "sent"], **fields,
            "upload": (io.BytesIO(content), name)}
    return client.post("/pricing/simulate", data=data, content_type="multipart/form-data")


@pytest.fixture
def finance(sign_in: Callable[..., FlaskClient]) -> FlaskClient:
    return sign_in(FINANCE)


# ---------------------------------------------------------------- compare markets


def test_a_quote_page_offers_compare_markets_and_it_shows_each_market(
        signed_in: FlaskClient, make_quote: Callable[..., Quote]) -> None:
    quote = make_quote("MX")
    shown = page(signed_in.get(f"/quotes/{quote.ref}"))
    assert f'href="/quotes/{quote.ref}/compare"' in shown
    response = signed_in.get(f"/quotes/{quote.ref}/compare?markets=AR&markets=MX"
                             f"&markets=ES&markets=CL")
    assert response.status_code == 200
    body = page(response)
    table = body[body.index('data-testid="compare-table"'):]
    for code in ("ARS", "MXN", "EUR", "CLP"):
        assert code in table
    assert "Comparar mercados" in body  # Spanish by default
    # Each market's own format: Mexico's 873,930.08, Chile's whole pesos with dots.
    assert "873,930.08" in table
    assert re.search(r"\$\s?41\.720\.344", table)


def test_comparing_in_another_currency_lists_what_has_no_stored_rate(
        signed_in: FlaskClient, make_quote: Callable[..., Quote]) -> None:
    quote = make_quote("MX")
    body = page(signed_in.get(f"/quotes/{quote.ref}/compare?markets=MX&markets=CL&in=USD"))
    unconverted = body[body.index('data-testid="unconverted"'):]
    assert "CL" in unconverted
    assert "CLP" in unconverted
    assert "no convertido" in body


def test_an_unknown_market_or_currency_is_said_beside_its_field(
        signed_in: FlaskClient, make_quote: Callable[..., Quote]) -> None:
    quote = make_quote("MX")
    body = page(signed_in.get(f"/quotes/{quote.ref}/compare?markets=XX&in=ZZZ"))
    assert "Mercado desconocido: XX." in body
    assert "Elige una moneda de la lista." in body
    assert 'data-testid="compare-table"' not in body


def test_another_users_quote_cannot_be_compared_when_sales_see_their_own_only(
        engine: Engine, make_quote: Callable[..., Quote],
        sign_in: Callable[..., FlaskClient]) -> None:
    from flask import Flask

    from quoting.web import create_app
    from tests.web.conftest import OTHER_SALES, app_config

    quote = make_quote("MX")
    app: Flask = create_app(app_config(engine, SALES_OWN_QUOTES_ONLY=True))
    client = app.test_client()
    client.post("/login", data={"email": OTHER_SALES, "password": "correct horse battery"})
    assert client.get(f"/quotes/{quote.ref}/compare").status_code == 404


def test_the_form_compares_the_scope_as_typed_even_with_another_markets_tax_id(
        signed_in: FlaskClient) -> None:
    form = page(signed_in.get("/quotes/new"))
    assert 'formaction="/quotes/form/compare"' in form
    response = signed_in.post("/quotes/form/compare", data=form_data("MX"))
    assert response.status_code == 200
    body = page(response)
    table = body[body.index('data-testid="compare-table"'):]
    assert "EUR" in table
    assert "No se puede cotizar" not in table
    # The page posts the scope back to change markets or currency.
    scope = re.search(r'name="scope" value="([^"]+)"', body)
    assert scope is not None
    import html

    again = signed_in.post("/quotes/form/compare", data={
        "scope": html.unescape(scope.group(1)), "markets": ["ES"]})
    table = page(again)[page(again).index('data-testid="compare-table"'):]
    assert "EUR" in table
    assert "MXN" not in table


# ---------------------------------------------------------------- simulation


def test_sales_neither_see_nor_open_the_simulation(signed_in: FlaskClient) -> None:
    assert 'href="/pricing/simulate"' not in page(signed_in.get("/"))
    assert signed_in.get("/pricing/simulate").status_code == 403
    assert signed_in.get("/pricing/simulate.csv").status_code == 403


def test_finance_finds_the_simulation_in_the_menu(finance: FlaskClient) -> None:
    assert 'href="/pricing/simulate"' in page(finance.get("/"))
    body = page(finance.get("/pricing/simulate"))
    assert "MX/MX-2025-01.toml" in body
    assert 'name="upload"' in body


def test_a_picked_price_list_simulates_the_periods_quotes(
        finance: FlaskClient, make_quote: Callable[..., Quote], engine: Engine) -> None:
    quotes = [make_quote("MX"), make_quote("MX", discount_percent="0")]
    before = fingerprint(engine)
    response = finance.post("/pricing/simulate", data={
        **period(), "candidate": "MX/MX-2025-01.toml", "status": ["draft"]})
    assert response.status_code == 302
    body = page(finance.get(response.headers["Location"]))
    summary = body[body.index('data-testid="simulation-summary"'):]
    assert re.search(r'<div class="figure">2</div><div class="label">cotizaciones', summary)
    listed = body[body.index('data-testid="simulation-quotes"'):]
    assert all(quote.ref in listed for quote in quotes)
    assert 'src="data:image/svg+xml;base64,' in body
    assert "<script" not in body.split("</head>")[1]
    assert fingerprint(engine) == before


def test_an_uploaded_candidate_that_removes_a_license_product_lists_the_quotes_it_cannot_price(
        finance: FlaskClient, make_quote: Callable[..., Quote], engine: Engine) -> None:
    with_product = make_quote("MX")
    without = make_quote("MX", licenses=[{"product": "chat-team", "seats": 5, "months": 6}])
    before = fingerprint(engine)
    response = upload(finance, without_coding_assistant())
    assert response.status_code == 302
    assert re.search(r"candidate=upload(:|%3A)[0-9a-f]{64}", response.headers["Location"])
    body = page(finance.get(response.headers["Location"]))
    unpriced = body[body.index('data-testid="simulation-unpriced"'):]
    assert with_product.ref in unpriced
    assert "La candidata no ofrece el producto de licencia coding-assistant." in unpriced
    assert without.ref not in unpriced
    assert fingerprint(engine) == before


def test_an_uploaded_candidate_with_a_bad_field_is_refused_naming_file_and_field(
        finance: FlaskClient) -> None:
    response = upload(finance, mx_rules(('per_case = "27000.00"', 'per_case = "many"')),
                      name="precios-2027.toml")
    assert response.status_code == 422
    body = page(response)
    assert "precios-2027.toml: prices.MXN.per_case" in body


@pytest.mark.parametrize(("name", "content", "message"), [
    ("rules.txt", b"version = 1", "rules.txt: elige un archivo de reglas .toml."),
    ("big.toml", b"#" * (256 * 1024 + 1), "big.toml: el archivo supera los 256 KiB."),
])
def test_other_files_are_refused_with_a_clear_message(finance: FlaskClient, name: str,
                                                      content: bytes, message: str) -> None:
    response = upload(finance, content, name=name)
    assert response.status_code == 422
    assert message in page(response)


def test_a_path_typed_instead_of_a_listed_file_is_refused(finance: FlaskClient) -> None:
    response = finance.get("/pricing/simulate", query_string={
        **period(), "candidate": "../pyproject.toml"})
    assert response.status_code == 422
    assert "Elige una lista de precios de la lista o sube un archivo." in page(response)
    gone = finance.get("/pricing/simulate", query_string={
        **period(), "candidate": "upload:" + "0" * 64})
    assert gone.status_code == 422


def test_a_period_that_ends_before_it_starts_is_said_beside_the_date(
        finance: FlaskClient) -> None:
    response = finance.get("/pricing/simulate", query_string={
        "candidate": "MX/MX-2025-01.toml", "from": "2026-09-30", "to": "2026-07-01"})
    assert response.status_code == 422
    assert "El período termina antes de empezar." in page(response)


def test_the_csv_download_has_every_quote(finance: FlaskClient,
                                          make_quote: Callable[..., Quote]) -> None:
    quotes = [make_quote("MX") for _ in range(3)]
    response = upload(finance, mx_rules(('per_case = "27000.00"', 'per_case = "30000.00"')))
    body = page(finance.get(response.headers["Location"]))
    link = re.search(r'href="(/pricing/simulate\.csv\?[^"]+)" data-testid="simulation-csv"',
                     body)
    assert link is not None
    import html

    download = finance.get(html.unescape(link.group(1)))
    assert download.status_code == 200
    assert download.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(page(download))))
    assert sorted(row["number"] for row in rows) == sorted(q.ref for q in quotes)
    assert {row["program_percent"] for row in rows} != {""}


def test_the_simulation_page_reads_in_english_and_portuguese(
        finance: FlaskClient, make_quote: Callable[..., Quote]) -> None:
    make_quote("MX")
    query = {**period(), "candidate": "MX/MX-2025-01.toml", "status": "draft"}
    for language, title in (("en", "Price list simulation"),
                            ("pt", "Simulação de tabela de preços")):
        finance.post("/language", data={"language": language, "next": "/"})
        body = page(finance.get("/pricing/simulate", query_string=query))
        assert title in body


def test_a_market_that_cannot_price_the_scope_says_why_in_the_interface_language(
        signed_in: FlaskClient) -> None:
    import json

    from tests.web.conftest import example

    scope = {**example("MX"), "date": "2024-06-01"}
    body = page(signed_in.post("/quotes/form/compare", data={
        "scope": json.dumps(scope), "markets": ["AR", "EC"]}))
    table = body[body.index('data-testid="compare-table"'):]
    assert "No se puede cotizar en este mercado:" in table
    assert "no hay una lista de precios vigente" in table
    assert "USD" in table  # Ecuador prices it, in dollars
