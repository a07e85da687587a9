"""The quote form: live pricing, field-level messages, nothing typed is ever lost."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from tests.web.conftest import form_data


def _program_total(html: str) -> str:
    found = re.search(r'data-testid="program-total">([^<]+)<', html)
    assert found, "no program total on the page"
    return found.group(1)


def _error(html: str, key: str) -> str:
    found = re.search(rf'id="err-{key}"[^>]*>([^<]*)<', html)
    assert found, f"no message slot for {key}"
    return found.group(1)


def test_a_new_quote_form_shows_a_price_before_the_client_is_filled_in(
        signed_in: FlaskClient) -> None:
    response = signed_in.get("/quotes/new")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Nueva cotización" in html
    assert _program_total(html).startswith("$")
    assert _error(html, "client-name") == ""


def test_live_pricing_changes_the_total_when_participants_change(
        signed_in: FlaskClient) -> None:
    twelve = signed_in.post("/quotes/form/price", data=form_data("MX"))
    thirty = signed_in.post("/quotes/form/price",
                            data=form_data("MX", participants_technical="30"))
    assert twelve.status_code == thirty.status_code == 200
    assert _program_total(twelve.get_data(as_text=True)) == "$873,930.08"
    assert _program_total(thirty.get_data(as_text=True)) != "$873,930.08"


def test_the_breakdown_shows_each_line_with_its_rule_and_licenses_apart(
        signed_in: FlaskClient) -> None:
    html = signed_in.post("/quotes/form/price", data=form_data("MX")).get_data(as_text=True)
    assert "MX-2025-01 prices.MXN.per_case" in html
    assert "MX-2025-01 licenses.chat-enterprise.per_seat_month" in html
    program, licenses = html.split('class="price-section price-licenses"')
    assert "USD" not in program.split('class="price-section price-program"')[1]
    assert "USD\xa037,416.96" in licenses


def test_a_bad_value_gets_a_message_in_spanish_beside_its_field_and_never_a_500(
        signed_in: FlaskClient) -> None:
    response = signed_in.post("/quotes/form/price",
                              data=form_data("MX", participants_technical="doce", cases="7"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _error(html, "participants-technical") == "Un número entero de 0 a 2000."
    assert "De 2 a 4 casos" in _error(html, "cases")
    assert 'hx-swap-oob="true"' in html


def test_saving_an_invalid_form_keeps_everything_typed_and_marks_the_field(
        signed_in: FlaskClient) -> None:
    data = form_data("MX", client_tax_id="GODE561231GR9", context="Notas de la llamada <b>")
    response = signed_in.post("/quotes/new", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "no es un RFC válido" in _error(html, "client-tax_id")
    assert 'value="GODE561231GR9"' in html
    assert "Notas de la llamada &lt;b&gt;" in html
    assert 'value="Grupo Industrial Norteño S.A. de C.V."' in html
    assert signed_in.get("/").get_data(as_text=True).count('class="quote-link"') == 0


@pytest.mark.parametrize(('field', 'value'), [
    ("market", "XX"), ("market", ""), ("participants_business", "-4"),
    ("participants_business", "1e9"), ("duration_weeks", "9" * 400), ("discount_percent", "abc"),
    ("discount_percent", "99"), ("valid_days", "0"), ("delivery_mode", "teleport"),
    ("delivery_trips", "3"), ("currency", "BTC"), ("language", "klingon"),
    ("license_product", ["no-such-product"]), ("license_seats", ["0", "0"]),
    ("client_email", "not-an-email"), ("context", "x" * 6000), ("cases", ""),
])
def test_no_value_typed_in_any_field_produces_a_server_error(
        signed_in: FlaskClient, field: str, value: str | list[str]) -> None:
    data = form_data("MX", **{field: value})
    for url in ("/quotes/form/price", "/quotes/form/refresh", "/quotes/new"):
        response = signed_in.post(url, data=data)
        assert response.status_code in (200, 422), (url, field, value, response.status_code)


def test_a_decimal_comma_in_the_discount_is_understood(signed_in: FlaskClient) -> None:
    html = signed_in.post("/quotes/form/price",
                          data=form_data("MX", discount_percent="7,5")).get_data(as_text=True)
    assert "Descuento 7.5%" in html


def test_adding_and_removing_license_lines_keeps_the_other_values(
        signed_in: FlaskClient) -> None:
    added = signed_in.post("/quotes/form/refresh",
                           data=form_data("MX", action="add_license", client_name="Nuevo SA"))
    html = added.get_data(as_text=True)
    assert html.count('name="license_product"') == 3
    assert 'value="Nuevo SA"' in html
    removed = signed_in.post("/quotes/form/refresh",
                             data=form_data("MX", action="remove_license:0"))
    html = removed.get_data(as_text=True)
    assert html.count('name="license_product"') == 1
    assert '<option value="coding-assistant" selected>' in html
    assert 'id="breakdown"' in html
    assert 'hx-swap-oob="true"' in html


def test_the_form_works_without_javascript_for_license_lines(signed_in: FlaskClient) -> None:
    response = signed_in.post("/quotes/new", data=form_data("MX", action="add_license"))
    assert response.status_code == 200
    assert response.get_data(as_text=True).count('name="license_product"') == 3


def test_changing_the_market_offers_its_currencies_and_products(signed_in: FlaskClient) -> None:
    html = signed_in.post("/quotes/form/refresh",
                          data=form_data("MX", market="PE")).get_data(as_text=True)
    assert '<option value="PEN"' in html
    assert "RUC" in html


def test_chilean_pesos_are_shown_without_decimals(signed_in: FlaskClient) -> None:
    html = signed_in.post("/quotes/form/price", data=form_data("CL")).get_data(as_text=True)
    total = _program_total(html)
    assert total == "$32.630.610"
    assert not re.search(r"(?<!US)\$[\d.]+,\d", html)


def test_a_known_client_can_be_found_and_picked(signed_in: FlaskClient) -> None:
    signed_in.post("/quotes/new", data=form_data("CL"))
    matches = signed_in.get("/quotes/form/clients?market=CL&client_search=andes")
    assert "Viña Los Andes SpA" in matches.get_data(as_text=True)
    assert "Viña" not in signed_in.get(
        "/quotes/form/clients?market=MX&client_search=andes").get_data(as_text=True)
    picked = signed_in.post("/quotes/form/refresh",
                            data=form_data("CL", client_name="", client_tax_id="",
                                           action="pick_client:760864285"))
    html = picked.get_data(as_text=True)
    assert 'value="Viña Los Andes SpA"' in html
    assert 'value="760864285"' in html


def test_the_new_quote_form_offers_uruguay_and_brazil(signed_in: FlaskClient) -> None:
    html = signed_in.get("/quotes/new").get_data(as_text=True)
    assert '<option value="UY">UY · Uruguay</option>' in html
    assert '<option value="BR">BR · Brasil</option>' in html


def test_uruguay_quotes_in_pesos_or_dollars_with_iva_22_and_checks_the_rut(
        signed_in: FlaskClient) -> None:
    html = signed_in.post("/quotes/form/refresh",
                          data=form_data("MX", market="UY")).get_data(as_text=True)
    assert '<option value="UYU"' in html
    assert '<option value="USD"' in html
    assert "RUT" in html
    priced = signed_in.post("/quotes/form/price", data=form_data("UY")).get_data(as_text=True)
    assert "IVA 22%" in priced
    assert re.fullmatch(r"\$\xa0[\d.]+,\d\d", _program_total(priced))  # es_UY: $ 1.234,56
    refused = signed_in.post("/quotes/new", data=form_data("UY", client_tax_id="21-100342-001-8"))
    assert refused.status_code == 422
    assert "no es un RUT válido" in _error(refused.get_data(as_text=True), "client-tax_id")


def test_brazil_shows_the_taxes_inside_the_price_in_reais_and_checks_the_cnpj(
        signed_in: FlaskClient) -> None:
    priced = signed_in.post("/quotes/form/price", data=form_data("BR")).get_data(as_text=True)
    assert re.fullmatch(r"R\$\xa0[\d.]+,\d\d", _program_total(priced))  # pt_BR: R$ 1.234,56
    assert "incluye ISS 5% (São Paulo)" in priced
    assert "incluye COFINS 3%" in priced
    refused = signed_in.post("/quotes/new",
                             data=form_data("BR", client_tax_id="16.727.230/0001-98"))
    assert refused.status_code == 422
    assert "no es un CNPJ/CPF válido" in _error(refused.get_data(as_text=True), "client-tax_id")
    person = signed_in.post("/quotes/new", data=form_data("BR", client_name="Mariana Albuquerque",
                                                          client_tax_id="390.533.447-05"))
    assert person.status_code in (302, 303)  # a person's CPF is accepted: the quote is saved


@pytest.mark.parametrize("start", ["2001-01-01", "3000-01-01", "mañana"])
def test_a_start_date_outside_the_year_after_the_quote_is_marked_beside_its_field(
        signed_in: FlaskClient, start: str) -> None:
    response = signed_in.post("/quotes/new", data=form_data("MX", start_date=start))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Una fecha entre la de la cotización y un año después" in _error(html, "start_date")
    assert f'value="{start}"' in html


def test_a_chosen_start_date_is_kept_with_the_quote_and_shown_when_editing(
        signed_in: FlaskClient) -> None:
    from datetime import timedelta

    from quoting.i18n import market_today

    start = (market_today("MX") + timedelta(days=40)).isoformat()
    response = signed_in.post("/quotes/new", data=form_data("MX", start_date=start))
    assert response.status_code in (302, 303)
    page = signed_in.get(response.headers["Location"]).get_data(as_text=True)
    edit = re.search(r'href="(/quotes/[^"]+/edit)"', page)
    assert edit is not None
    assert f'value="{start}"' in signed_in.get(edit.group(1)).get_data(as_text=True)
