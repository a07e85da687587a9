"""A salesperson at the browser, as on a call with the client."""

from __future__ import annotations

import io
import re

from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.e2e.conftest import sign_in


def _program_total(page: Page) -> str:
    return page.get_by_test_id("program-total").inner_text().strip()


def _wait_for_total_change(page: Page, before: str) -> str:
    expect(page.get_by_test_id("program-total")).not_to_have_text(before)
    return _program_total(page)


def test_a_mexican_quote_with_licenses_goes_from_nothing_to_a_sent_pdf_and_a_second_revision(
        page: Page, live_server: str) -> None:
    sign_in(page, live_server)
    page.get_by_role("link", name="Nueva cotización").first.click()
    expect(page.get_by_role("heading", name="Nueva cotización")).to_be_visible()
    page.get_by_label("Razón social").fill("Grupo Industrial Norteño S.A. de C.V.")
    page.get_by_label("ID fiscal").fill("GODE561231GR8")
    page.get_by_label("Técnico").fill("12")
    page.get_by_label("Negocio").fill("20")
    page.get_by_label("Liderazgo").fill("5")
    page.get_by_label("Semanas").fill("8")
    page.get_by_label("Casos del cliente").fill("4")

    page.get_by_role("button", name="Agregar una línea de licencias").click()
    expect(page.locator("select[name=license_product]")).to_have_count(1)
    page.locator("select[name=license_product]").select_option("chat-enterprise")
    page.locator("input[name=license_seats]").fill("37")
    page.locator("input[name=license_months]").fill("12")
    expect(page.get_by_test_id("licenses-total")).to_have_text(re.compile(r"USD\s?30,9"))

    before = _program_total(page)
    page.get_by_label("Técnico").fill("30")
    after = _wait_for_total_change(page, before)
    assert after.startswith("$")
    assert after != before

    page.get_by_role("button", name="Guardar borrador").first.click()
    # A draft has a reference until it is sent; sending gives it its number.
    expect(page.get_by_text(re.compile(r"Cotización D-\d{5} guardada"))).to_be_visible()
    expect(page.get_by_test_id("program-total")).to_have_text(after)

    page.get_by_role("link", name="Marcar como enviada").click()
    page.get_by_role("button", name="Sí, marcar como enviada").click()  # the confirmation step
    expect(page.locator("h1 .badge")).to_have_text("Enviada")
    number = re.search(r"MX-\d{4}-\d{4}", page.url)
    assert number is not None

    with page.expect_download() as download_info:
        page.get_by_test_id("download-pdf").click()
    download = download_info.value
    assert download.suggested_filename == f"{number.group(0)}-r1.pdf"
    pdf = PdfReader(io.BytesIO(download.path().read_bytes()))
    text = "".join(p.extract_text() for p in pdf.pages)
    assert number.group(0) in text
    assert "Grupo Industrial Norteño" in text

    page.get_by_role("link", name="Revisar").click()
    page.get_by_label("Negocio").fill("25")
    page.get_by_role("button", name="Guardar revisión").first.click()
    expect(page.get_by_text(f"Revisión 2 de {number.group(0)} guardada.")).to_be_visible()
    expect(page.get_by_test_id("revision-2")).to_be_visible()
    expect(page.locator("h1 .badge")).to_have_text("Borrador")

    page.get_by_role("button", name="Comparar").click()
    # "What changed" in the words of the form, not the request's keys.
    expect(page.locator("td", has_text="Negocio")).to_be_visible()
    expect(page.locator("td", has_text="participants.business")).to_have_count(0)
    assert not page.console_problems  # type: ignore[attr-defined]


def test_a_chilean_quote_in_spanish_shows_pesos_without_decimals(
        page: Page, live_server: str) -> None:
    sign_in(page, live_server)
    page.goto(f"{live_server}/quotes/new")
    page.locator("select[name=market]").select_option("CL")
    expect(page.get_by_text("RUT", exact=True)).to_be_visible()
    page.get_by_label("Razón social").fill("Viña Los Andes SpA")
    page.get_by_label("ID fiscal").fill("76.086.428-5")
    before = _program_total(page)
    page.get_by_label("Negocio").fill("15")
    total = _wait_for_total_change(page, before)
    assert re.fullmatch(r"\$\d{1,3}(\.\d{3})+", total), total
    amounts = page.locator("#breakdown .price-program td.num").all_inner_texts()
    assert amounts
    assert all(re.fullmatch(r"−?\$\d{1,3}(\.\d{3})*", a.strip()) for a in amounts), amounts

    page.get_by_label("Técnico").fill("5000")
    expect(page.locator("#err-participants-technical")).to_have_text(
        "Un número entero de 0 a 2000.")
    page.get_by_role("button", name="Guardar borrador").first.click()
    expect(page.locator("input[name=participants_technical]")).to_have_value("5000")
    expect(page.locator("input[name=client_name]")).to_have_value("Viña Los Andes SpA")
    expect(page.locator("#err-participants-technical")).to_have_text(
        "Un número entero de 0 a 2000.")
    # The refused save answers 422 on purpose; nothing else may complain (CSP, scripts).
    assert [p for p in page.console_problems  # type: ignore[attr-defined]
            if "status of 422" not in p] == []
