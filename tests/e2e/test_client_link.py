"""The client's side in a browser: the salesperson makes a private link on the sales
desk; the client, in a fresh browser with no cookies, opens it, reads the proposal,
accepts it with their name and position and sees the evidence; the desk shows it."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import TIMEOUT_MS, sign_in

CLIENT = "Grupo Industrial Norteño S.A. de C.V."
WIDTHS = {"desktop": (1366, 860), "phone": (390, 844)}


def _sent_quote_with_a_link(page: Page, base_url: str) -> tuple[str, str]:
    """On the desk: a draft, sent, and a client link for it; the number and the token."""
    sign_in(page, base_url)
    page.goto(f"{base_url}/quotes/new")
    page.get_by_label("Razón social").fill(CLIENT)
    page.get_by_label("ID fiscal").fill("GODE561231GR8")
    page.get_by_label("Técnico").fill("10")
    page.get_by_label("Negocio").fill("12")
    page.get_by_role("button", name="Guardar borrador").first.click()
    expect(page.get_by_text(re.compile(r"Cotización D-\d{5} guardada"))).to_be_visible()
    page.get_by_role("link", name="Marcar como enviada").click()
    page.get_by_role("button", name="Sí, marcar como enviada").click()  # the confirmation step
    expect(page.locator("h1 .badge")).to_have_text("Enviada")
    number = re.search(r"MX-\d{4}-\d{4}", page.url)
    assert number is not None

    page.get_by_role("button", name="Enlace para el cliente").click()
    flash = page.get_by_text(re.compile(r"Enlace para el cliente de la revisión 1"))
    expect(flash).to_be_visible()
    token = re.search(r"/p/([A-Za-z0-9_-]{43})", flash.inner_text())
    assert token is not None
    return number.group(0), token.group(1)


def test_the_client_opens_the_link_and_accepts_with_their_name_and_position(
        browser: Browser, page: Page, live_server: str, tmp_path: Path) -> None:
    number, token = _sent_quote_with_a_link(page, live_server)
    link = f"{live_server}/p/{token}"

    # The client: another browser context, no cookie of the desk.
    width, height = WIDTHS["desktop"]
    context = browser.new_context(locale="es-MX", viewport={"width": width,
                                                            "height": height})
    assert context.cookies() == []
    client = context.new_page()
    client.set_default_timeout(TIMEOUT_MS)
    problems: list[str] = []
    client.on("console", lambda message: problems.append(message.text)
              if message.type == "error" else None)
    client.on("pageerror", lambda error: problems.append(str(error)))
    try:
        client.goto(link)
        expect(client.get_by_role("heading", name="Programa de adopción de IA")).to_be_visible()
        expect(client.locator(".proposal .client-name")).to_have_text(CLIENT)
        expect(client.get_by_test_id("client-pdf")).to_have_text("Descargar PDF")
        shots = {}
        for name, (shot_width, shot_height) in WIDTHS.items():
            client.set_viewport_size({"width": shot_width, "height": shot_height})
            shots[name] = tmp_path / f"client-link-{name}-open.png"
            client.screenshot(path=str(shots[name]), full_page=True)
            # Nothing wider than the screen: no sideways scrolling on a phone.
            assert client.evaluate("document.documentElement.scrollWidth") <= shot_width

        client.set_viewport_size({"width": width, "height": height})
        client.get_by_role("link", name="Aceptar o rechazar").click()
        client.get_by_label("Su nombre completo").fill("Lucía Fernández")
        client.get_by_label("Su cargo").fill("Directora de Operaciones")
        client.get_by_label("Número de orden de compra (opcional)").fill("OC-7781")
        client.get_by_label(f"Estoy autorizado/a para aceptar en nombre de {CLIENT}").check()
        client.get_by_role("button", name="Aceptar la propuesta").click()

        evidence = client.get_by_test_id("evidence")
        expect(evidence).to_be_visible()
        expect(client.get_by_text("Su aceptación quedó registrada")).to_be_visible()
        expect(evidence).to_contain_text("Aceptada en línea")
        expect(evidence).to_contain_text("Lucía Fernández")
        expect(evidence).to_contain_text("Directora de Operaciones")
        expect(evidence).to_contain_text("OC-7781")
        expect(evidence).to_contain_text(f"{number}, revisión 1")
        sha256 = client.get_by_test_id("evidence-sha256").inner_text().strip()
        assert re.fullmatch(r"[0-9a-f]{64}", sha256)
        expect(client.get_by_role("button", name="Aceptar la propuesta")).to_have_count(0)
        for name, (shot_width, shot_height) in WIDTHS.items():
            client.set_viewport_size({"width": shot_width, "height": shot_height})
            client.screenshot(path=str(tmp_path / f"client-link-{name}-accepted.png"),
                              full_page=True)
            assert client.evaluate("document.documentElement.scrollWidth") <= shot_width
        assert problems == []  # no CSP refusal, no script error
    finally:
        context.close()

    # Back on the desk: accepted, with the evidence and the view.
    page.goto(f"{live_server}/quotes/{number}")
    expect(page.locator("h1 .badge")).to_have_text("Aceptada")
    desk = page.get_by_test_id("client-evidence")
    expect(desk).to_contain_text("Aceptada en línea por el cliente")
    expect(desk).to_contain_text("Lucía Fernández")
    expect(page.get_by_test_id("client-evidence-sha256")).to_have_text(sha256)
    expect(page.get_by_test_id("client-side")).to_contain_text("Abierto por el cliente el")
    page.screenshot(path=str(tmp_path / "desk-quote-accepted.png"), full_page=True)
    assert not page.console_problems  # type: ignore[attr-defined]
