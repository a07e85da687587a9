"""WCAG 2.2 AA on every page and state of the sales desk and of the client's link,
in Spanish, English and Portuguese: axe-core (package.json, installed by .ci/run
with npm) is injected into each page and any serious or critical violation fails.

Set AXE_COUNTS_FILE to a path to get the per-page counts as JSON (the table of the
closing note of issue 13 came from it)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.orm import Session

from quoting import services
from quoting.store import migrate
from quoting.store.db import make_engine
from quoting.web import create_app
from tests.e2e.conftest import TIMEOUT_MS, serving

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
GRAVE = ("serious", "critical")
PASSWORD = "una clave de prueba"
SALES, ADMIN = "vera@example.com", "ada@example.com"
LANGUAGES = {"es": "es-ES", "en": "en-US", "pt": "pt-BR"}
SIGN_IN = {"es": ("Correo electrónico", "Contraseña", "Iniciar sesión"),
           "en": ("Email", "Password", "Sign in"),
           "pt": ("E-mail", "Senha", "Entrar")}


def _request(language: str = "es", **changes: Any) -> dict[str, Any]:
    request: dict[str, Any] = json.loads((ROOT / "examples" / "mx.json").read_text("utf-8"))
    request.pop("date", None)
    request["language"] = language
    request.update(changes)
    return request


@dataclass
class Desk:
    url: str
    refs: dict[str, str]
    client_id: int
    tokens: dict[str, str]


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        missing = f"no axe-core at {AXE} (run `npm install --no-audit --no-fund`)"
        if os.environ.get("CI"):
            pytest.fail(missing)  # .ci/run installs it: its absence there is a failure
        pytest.skip(missing)
    return str(AXE)


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory, _cheap_password_hashing: None,
         browser: Browser) -> Iterator[Desk]:
    """A desk with a quote in every status, a revised quote and client links in
    each proposal language, made through the services as the desk would."""
    path = tmp_path_factory.mktemp("axe") / "quoting.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    refs: dict[str, str] = {}
    tokens: dict[str, str] = {}
    with Session(engine, expire_on_commit=False) as session:
        sales = services.create_user(session, SALES, "Vera Ventas", "sales", PASSWORD)
        services.create_user(session, ADMIN, "Ada Admin", "admin", PASSWORD)
        session.commit()

        def made(status: str, language: str = "es", **changes: Any) -> str:
            quote = services.create_quote(session, _request(language, **changes), sales)
            session.commit()
            refs[status] = quote.ref
            return quote.ref

        made("draft")
        made("pending_approval", discount_percent="15")
        for status in ("sent", "accepted", "declined", "withdrawn", "revised"):
            ref = services.send_quote(session, made(status), sales).ref
            session.commit()
            refs[status] = ref
        services.accept_quote(session, refs["accepted"], sales)
        services.decline_quote(session, refs["declined"], sales, reason="Presupuesto")
        services.withdraw_quote(session, refs["withdrawn"], sales, reason="Cambio de alcance")
        services.revise_quote(session, refs["revised"], _request(duration_weeks=10), sales)
        session.commit()
        for language in LANGUAGES:
            ref = services.send_quote(session, made(f"link-{language}", language), sales).ref
            session.commit()
            _link, tokens[language] = services.create_client_link(session, ref, sales)
            session.commit()
        client_id = services.get_quote(session, refs["sent"]).client_id
    app = create_app({"ENGINE": engine, "SECRET_KEY": "axe-secret"})
    try:
        with serving(app) as url:
            yield Desk(url, refs, client_id, tokens)
    finally:
        engine.dispose()


def _violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical WCAG 2.2 AA violations of the page as it is."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    results = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})",
                            WCAG_22_AA)
    return [v for v in results["violations"] if v["impact"] in GRAVE]


def _said(violations: list[dict[str, Any]]) -> str:
    return "; ".join(f"{v['id']} ({v['impact']}) ×{len(v['nodes'])}: "
                     f"{v['nodes'][0]['target']} {v['nodes'][0]['failureSummary'][:160]}"
                     for v in violations)


def _states(desk: Desk, language: str) -> list[tuple[str, Callable[[Page], None]]]:
    """Every page and state to check, in the order a salesperson meets them, each as
    (name, how to get there)."""
    url, refs = desk.url, desk.refs
    email, password, button = SIGN_IN[language]

    def goto(path: str) -> Callable[[Page], None]:
        return lambda page: page.goto(f"{url}{path}") and None

    def sign_in_errors(page: Page) -> None:
        page.goto(f"{url}/login")
        page.get_by_role("button", name=button).click()
        expect(page.locator(".field-error:not(:empty)").first).to_be_visible()

    def sign_in(page: Page) -> None:
        page.goto(f"{url}/login")
        page.get_by_label(email).fill(ADMIN)
        page.get_by_label(password).fill(PASSWORD)
        page.get_by_role("button", name=button).click()
        page.wait_for_url(f"{url}/**")

    def form_typed_wrong(page: Page) -> None:
        page.goto(f"{url}/quotes/new")
        page.locator("[name=participants_technical]").fill("-4")
        expect(page.locator("#err-participants-technical")).not_to_be_empty()

    def form_refused(page: Page) -> None:
        page.goto(f"{url}/quotes/new")
        page.locator("[name=participants_technical]").fill("3")
        page.locator("#quote-form button[value=save]").first.click()
        expect(page.locator("#err-client-name")).not_to_be_empty()

    def form_with_licenses(page: Page) -> None:
        page.goto(f"{url}/quotes/new")
        page.locator("[name=participants_technical]").fill("3")
        page.locator("button[value=add_license]").click()
        expect(page.locator("[name=license_product]")).to_have_count(1)
        page.locator("[name=license_product]").select_option(index=1)
        page.locator("button[value=add_license]").click()
        expect(page.locator("[name=license_product]")).to_have_count(2)

    def client_matches(page: Page) -> None:
        page.goto(f"{url}/quotes/new")
        page.locator("[name=client_search]").fill("Grupo")
        expect(page.locator("#client-matches [role=option]").first).to_be_visible()

    def token_refused(page: Page) -> None:
        page.goto(f"{url}/admin/tokens")
        page.locator("[name=email]").fill("nobody@example.com")
        page.locator("[name=name]").fill("informe")
        page.locator("form[action$='/admin/tokens'] button[type=submit]").click()
        expect(page.locator(".field-error:not(:empty)").first).to_be_visible()

    states: list[tuple[str, Callable[[Page], None]]] = [
        ("sign-in", goto("/login")),
        ("sign-in with errors", sign_in_errors),
        ("signed in", sign_in),
        ("list", goto("/")),
        ("list, last page of a filter", goto("/?page=999&market=MX")),
        ("form empty", goto("/quotes/new")),
        ("form typed wrong", form_typed_wrong),
        ("form refused on save", form_refused),
        ("form with licenses", form_with_licenses),
        ("form client matches", client_matches),
        ("edit form", goto(f"/quotes/{refs['draft']}/edit")),
    ]
    for status in ("draft", "pending_approval", "sent", "accepted", "declined", "withdrawn"):
        states.append((f"quote {status}", goto(f"/quotes/{refs[status]}")))
    states += [
        ("confirm send", goto(f"/quotes/{refs['draft']}/confirm/send")),
        ("confirm accept", goto(f"/quotes/{refs['sent']}/confirm/accept")),
        ("confirm decline", goto(f"/quotes/{refs['sent']}/confirm/decline")),
        ("confirm withdraw", goto(f"/quotes/{refs['sent']}/confirm/withdraw")),
        ("confirm reject", goto(f"/quotes/{refs['pending_approval']}/confirm/reject")),
        ("send to client", goto(f"/quotes/{refs['sent']}/send")),
        ("what changed", goto(f"/quotes/{refs['revised']}/history")),
        ("client", goto(f"/clients/{desk.client_id}")),
        ("tokens", goto("/admin/tokens")),
        ("tokens refused", token_refused),
        ("notifications", goto("/notifications")),
        ("change password", goto("/account/password")),
        ("not found", goto("/quotes/XX-0000-0000")),
        (f"client link ({language})", goto(f"/p/{desk.tokens[language]}")),
        ("client link gone", goto("/p/" + "x" * 43)),
    ]
    return states


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_every_desk_page_and_state_has_no_serious_wcag_22_aa_violation(
        browser: Browser, desk: Desk, axe_source: str, language: str) -> None:
    found: dict[str, list[dict[str, Any]]] = {}
    # bypass_csp: the desk's CSP rightly refuses the injected axe script.
    context = browser.new_context(locale=LANGUAGES[language], bypass_csp=True,
                                  viewport={"width": 1366, "height": 860})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        for name, reach in _states(desk, language):
            reach(page)
            page.wait_for_load_state("networkidle")
            found[name] = _violations(page)
            assert page.locator("html").get_attribute("lang") == language or name.startswith(
                "client link"), f"{name}: the page is not in {language}"
        phone = context.new_page()
        phone.set_viewport_size({"width": 390, "height": 844})
        for name, path in (("list (phone)", "/"), ("form (phone)", "/quotes/new"),
                           ("quote sent (phone)", f"/quotes/{desk.refs['sent']}")):
            phone.goto(f"{desk.url}{path}")
            found[name] = _violations(phone)
    finally:
        context.close()
    counts_file = os.environ.get("AXE_COUNTS_FILE")
    if counts_file:
        counts = json.loads(Path(counts_file).read_text()) if Path(counts_file).exists() else {}
        counts[language] = {name: sum(len(v["nodes"]) for v in found_here)
                            for name, found_here in found.items()}
        counts[f"{language} details"] = {
            name: sorted({f"{v['id']}: {node['target']} {node['failureSummary'][-120:]}"
                          for v in found_here for node in v["nodes"]})
            for name, found_here in found.items() if found_here}
        Path(counts_file).write_text(json.dumps(counts, indent=1, ensure_ascii=False))
    grave = {name: _said(violations) for name, violations in found.items() if violations}
    assert grave == {}
