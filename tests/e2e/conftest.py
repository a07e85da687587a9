"""The sales desk served on 127.0.0.1 (a free port, a temporary SQLite file) and
the machine's Chromium driven by Playwright (Debian's build: Playwright's own
browser download is not used)."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from quoting import services
from quoting.store import migrate
from quoting.store.db import make_engine
from quoting.web import create_app

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SALES_EMAIL = "vendedora@example.com"
PASSWORD = "una clave de prueba"
TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory,
                _cheap_password_hashing: None) -> Iterator[str]:
    path: Path = tmp_path_factory.mktemp("e2e") / "quoting.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    with Session(engine) as session:
        services.create_user(session, SALES_EMAIL, "Valeria Ventas", "sales", PASSWORD)
        session.commit()
    app = create_app({"ENGINE": engine, "SECRET_KEY": "e2e-secret"})
    try:
        with serving(app) as url:
            yield url
    finally:
        engine.dispose()


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """The app served on 127.0.0.1 (a free port) in a thread; its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        missing = f"no Chromium at {CHROMIUM} (.ci/run installs Debian's chromium)"
        if os.environ.get("CI"):
            pytest.fail(missing)  # CI installs it: its absence there is a failure
        # On a developer machine without the Debian package, say so and go on.
        pytest.skip(missing)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)  # a busy CI machine renders PDFs slowly
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                             timeout=TIMEOUT_MS * 2)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser, live_server: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="es-ES", accept_downloads=True,
                                  viewport={"width": 1366, "height": 860})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text)
            if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.console_problems = problems
    yield page
    context.close()


def sign_in(page, base_url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base_url}/")
    page.get_by_label("Correo electrónico").fill(SALES_EMAIL)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Iniciar sesión").click()
    page.wait_for_url(f"{base_url}/")
