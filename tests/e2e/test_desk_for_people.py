"""The sales desk used as people use it (issue 13): by keyboard only, with a screen
reader's live regions, on a phone, with a session that ends in another tab, and with
deliberate actions that ask first. Chromium through Playwright, on a desk of its own."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy.orm import Session

from quoting import services
from quoting.store import migrate
from quoting.store.db import make_engine
from quoting.web import create_app
from tests.e2e.conftest import TIMEOUT_MS, serving

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "una clave de prueba"
SALES = "sara@example.com"
CLIENT = "Grupo Industrial Norteño S.A. de C.V."
PHONE = {"width": 390, "height": 844}


@dataclass
class Desk:
    url: str
    sent: str
    revised: str


def _request(**changes: Any) -> dict[str, Any]:
    request: dict[str, Any] = json.loads((ROOT / "examples" / "mx.json").read_text("utf-8"))
    request.pop("date", None)
    request.update(changes)
    return request


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory, _cheap_password_hashing: None,
         browser: Browser) -> Iterator[Desk]:
    path = tmp_path_factory.mktemp("people") / "quoting.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    with Session(engine, expire_on_commit=False) as session:
        sales = services.create_user(session, SALES, "Sara Ventas", "sales", PASSWORD)
        session.commit()
        refs = []
        for _ in range(2):
            draft = services.create_quote(session, _request(), sales)
            session.commit()
            refs.append(services.send_quote(session, draft.ref, sales).ref)
            session.commit()
        services.revise_quote(session, refs[1], _request(duration_weeks=10, licenses=[
            {"product": "coding-assistant", "seats": 15, "months": 12}]), sales)
        session.commit()
    app = create_app({"ENGINE": engine, "SECRET_KEY": "people-secret"})
    try:
        with serving(app) as url:
            yield Desk(url, refs[0], refs[1])
    finally:
        engine.dispose()


def _context(browser: Browser, locale: str = "es-ES", **options: Any) -> BrowserContext:
    options.setdefault("viewport", {"width": 1366, "height": 860})
    context = browser.new_context(locale=locale, **options)
    context.set_default_timeout(TIMEOUT_MS)
    return context


def _signed_in(context: BrowserContext, desk: Desk) -> Page:
    page = context.new_page()
    page.goto(f"{desk.url}/login")
    page.locator("[name=email]").fill(SALES)
    page.locator("[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(re.compile(re.escape(desk.url) + r"/(home)?$"))
    return page


def _focused(page: Page) -> str:
    return str(page.evaluate("document.activeElement && (document.activeElement.name || "
                             "document.activeElement.id || document.activeElement.tagName)"))


def test_by_keyboard_alone_focus_lands_where_the_next_action_is(
        browser: Browser, desk: Desk) -> None:
    context = _context(browser)
    try:
        page = _signed_in(context, desk)
        page.goto(f"{desk.url}/quotes/new")
        # The first Tab stop skips the top bar.
        page.keyboard.press("Tab")
        expect(page.locator(".skip-link")).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.locator("main")).to_be_focused()

        # A new license line: focus on its first field, not back on the page.
        page.locator("button[value=add_license]").focus()
        page.keyboard.press("Enter")
        expect(page.locator(".license-row")).to_have_count(1)
        expect(page.locator(".license-row select").first).to_be_focused()
        page.locator("button[value=add_license]").focus()
        page.keyboard.press("Enter")
        expect(page.locator(".license-row")).to_have_count(2)
        expect(page.locator(".license-row").nth(1).locator("select")).to_be_focused()
        # Removing the second line: focus on the line that is left.
        page.locator(".license-row").nth(1).locator("button.remove").focus()
        page.keyboard.press("Enter")
        expect(page.locator(".license-row")).to_have_count(1)
        expect(page.locator(".license-row select").first).to_be_focused()

        # Changing market keeps focus on the market.
        page.locator("[name=market]").select_option("CL")
        expect(page.locator("[name=market]")).to_be_focused()
        page.locator("[name=market]").select_option("MX")
        expect(page.locator("[name=market]")).to_have_value("MX")
        expect(page.locator("[name=market]")).to_be_focused()
        page.wait_for_load_state("networkidle")

        # Client matches: a listbox the search box drives with the arrow keys; Enter
        # picks the active one and never submits the quote.
        search = page.locator("#client-search")
        search.fill("Grupo")
        option = page.locator("#client-matches [role=option]").first
        expect(option).to_be_visible()
        expect(search).to_have_attribute("aria-expanded", "true")
        search.press("ArrowDown")
        expect(option).to_have_attribute("aria-selected", "true")
        expect(search).to_have_attribute("aria-activedescendant", "client-match-0")
        search.press("Enter")
        expect(page.locator("[name=client_name]")).to_have_value(CLIENT)
        assert page.url.startswith(f"{desk.url}/quotes/new")  # nothing was saved
        expect(page.locator("[name=participants_technical]")).to_be_focused()

        search = page.locator("#client-search")
        search.fill("nadie así")
        expect(page.locator("#client-matches")).to_contain_text("Ningún cliente conocido")
        search.press("Enter")
        page.wait_for_timeout(300)
        assert page.url.startswith(f"{desk.url}/quotes/new")
        assert page.locator("h1").inner_text() == "Nueva cotización"
    finally:
        context.close()


def test_errors_are_wired_to_their_fields_and_the_last_good_total_stays_out_of_date(
        browser: Browser, desk: Desk) -> None:
    context = _context(browser)
    try:
        page = _signed_in(context, desk)
        page.goto(f"{desk.url}/quotes/new")
        weeks = page.locator("[name=duration_weeks]")
        weeks.fill("8")
        announcer = page.locator("#price-announcer")
        expect(announcer).to_contain_text("Total del programa")
        good = page.get_by_test_id("program-total").inner_text()
        assert good in announcer.inner_text()  # only the total, not the whole panel
        assert page.locator("#breakdown").get_attribute("aria-live") is None

        weeks.fill("-3")
        error = page.locator("#err-duration_weeks")
        expect(error).not_to_be_empty()
        expect(weeks).to_have_attribute("aria-invalid", "true")
        expect(weeks).to_have_attribute("aria-describedby", "err-duration_weeks")
        # The last good total, marked out of date, beside the problems.
        stale = page.locator("#breakdown [data-last-total]")
        expect(stale).to_be_visible()
        expect(stale).to_contain_text("Desactualizado")
        expect(stale).to_contain_text(good.split()[0])

        weeks.fill("9")
        expect(weeks).not_to_have_attribute("aria-invalid", "true")
        expect(page.get_by_test_id("program-total")).to_be_visible()

        # All of the client block's errors at once when saving.
        page.locator("[name=client_name]").fill("")
        page.locator("[name=client_tax_id]").fill("")
        page.locator("#quote-form button[value=save]").last.click()
        expect(page.locator("#err-client-name")).not_to_be_empty()
        expect(page.locator("#err-client-tax_id")).not_to_be_empty()
        expect(page.locator("[name=client_name]")).to_have_attribute("aria-invalid", "true")

        # A live price that cannot be fetched says so.
        page.route("**/quotes/form/price", lambda route: route.abort())
        page.locator("[name=duration_weeks]").fill("7")
        expect(page.locator("#price-problem")).to_contain_text("No se pudo actualizar el precio")
    finally:
        context.close()


def test_a_session_ended_in_another_tab_keeps_the_form_and_saves_it_after_signing_in_again(
        browser: Browser, desk: Desk) -> None:
    context = _context(browser)
    try:
        page = _signed_in(context, desk)
        page.goto(f"{desk.url}/quotes/new")
        page.locator("[name=client_name]").fill("Cervecería del Norte S.A. de C.V.")
        page.locator("[name=client_tax_id]").fill("EKU9003173C9")
        page.locator("[name=participants_business]").fill("14")
        page.locator("[name=context]").fill("Texto largo que no se debe perder.")

        other = context.new_page()  # another tab signs out
        other.goto(f"{desk.url}/quotes/new")
        other.locator(".usermenu > summary").click()  # the account menu
        other.locator("form[action='/logout'] button").click()
        # Closed only once the sign-out has landed: Chromium can leave a page.close()
        # that races a navigation's commit unanswered for ever (the suite then hangs).
        other.wait_for_url(re.compile(re.escape(desk.url) + r"/login"))
        other.close()

        # The live price says the session ended and keeps the page as it is.
        page.locator("[name=participants_technical]").fill("6")
        expect(page.locator("#price-problem")).to_contain_text("Tu sesión terminó")
        assert page.locator("[name=client_name]").input_value().startswith("Cervecería")

        page.locator("#quote-form button[value=save]").last.click()
        expect(page.get_by_test_id("kept-work")).to_be_visible()
        page.locator("#relogin-email").fill(SALES)
        page.locator("#relogin-password").fill(PASSWORD)
        page.get_by_role("button", name="Iniciar sesión y guardar").click()
        expect(page.get_by_text(re.compile(r"Cotización D-\d{5} guardada"))).to_be_visible()
        expect(page.locator(".lead")).to_contain_text("Cervecería del Norte")
        expect(page.locator(".scope-card")).to_contain_text("Negocio 14")
        expect(page.locator(".scope-card")).to_contain_text("Texto largo que no se debe perder.")
    finally:
        context.close()


def test_declining_asks_for_confirmation_and_a_reason_and_a_reload_repeats_nothing(
        browser: Browser, desk: Desk) -> None:
    context = _context(browser)
    try:
        page = _signed_in(context, desk)
        page.goto(f"{desk.url}/quotes/{desk.sent}")
        page.get_by_role("link", name="Marcar rechazada").click()
        expect(page.get_by_test_id("confirm-decline")).to_be_visible()
        expect(page.locator("h1 .badge")).to_have_count(0)
        page.get_by_label("Motivo (opcional)").fill("Eligieron otro proveedor")
        page.get_by_role("button", name="Sí, marcar como rechazada").click()
        expect(page.locator("h1 .badge")).to_have_text("Rechazada")
        expect(page.get_by_text("“Eligieron otro proveedor”")).to_be_visible()
        assert page.url == f"{desk.url}/quotes/{desk.sent}"  # redirected: GET
        page.reload()
        expect(page.locator(".flash")).to_have_count(0)  # nothing done again
        expect(page.get_by_text("“Eligieron otro proveedor”")).to_have_count(1)
    finally:
        context.close()


def test_on_a_phone_the_total_stays_in_sight_and_tables_never_scroll_the_page(
        browser: Browser, desk: Desk, tmp_path: Path) -> None:
    context = _context(browser, viewport=PHONE)
    try:
        page = _signed_in(context, desk)
        page.goto(f"{desk.url}/quotes/new")
        weeks = page.locator("[name=duration_weeks]")
        weeks.scroll_into_view_if_needed()
        weeks.fill("6")
        bar = page.get_by_test_id("total-bar")
        expect(bar).to_contain_text("Total del programa")
        box = bar.bounding_box()
        assert box is not None
        assert box["y"] + box["height"] <= PHONE["height"] + 1
        assert box["y"] > 0
        for path in ("/", f"/quotes/{desk.revised}/history", f"/quotes/{desk.revised}",
                     "/quotes/new"):
            page.goto(f"{desk.url}{path}")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"{path} scrolls sideways ({width}px)"
        # The language buttons are big enough to touch.
        for button in page.locator(".lang").all():
            size = button.bounding_box()
            assert size is not None
            assert size["width"] >= 24
            assert size["height"] >= 24
        # The top bar leaves the screen to the page: its sections scroll in one row, and
        # the account's actions wait under the user's name.
        header = page.locator("header.topbar").bounding_box()
        assert header is not None
        assert header["height"] <= PHONE["height"] / 4
        expect(page.get_by_role("button", name="Cerrar sesión")).to_be_hidden()
        page.locator(".usermenu > summary").focus()
        page.keyboard.press("Enter")
        expect(page.get_by_role("button", name="Cerrar sesión")).to_be_visible()
        expect(page.get_by_role("link", name="Cambiar contraseña")).to_be_visible()
    finally:
        context.close()


def test_an_english_screen_writes_dates_in_english_and_what_changed_in_words(
        browser: Browser, desk: Desk) -> None:
    context = _context(browser, locale="en-US")
    try:
        page = _signed_in(context, desk)
        page.goto(f"{desk.url}/")
        dates = page.locator(".quotes-table tbody tr td:nth-child(4)").all_inner_texts()
        assert dates
        assert all(re.fullmatch(r"\d{1,2} [A-Z][a-z]{2} \d{4}", d) for d in dates)
        page.goto(f"{desk.url}/?page=999")
        expect(page.locator(".quotes-table tbody tr")).not_to_have_count(0)
        page.goto(f"{desk.url}/quotes/{desk.revised}/history")
        table = page.locator(".diff")
        expect(table).to_contain_text("Weeks")
        expect(table).to_contain_text("Coding assistant")
        assert "coding-assistant" not in table.inner_text()
        assert "duration_weeks" not in table.inner_text()
    finally:
        context.close()
