"""The whole way, from the email: the salesperson sends a quote from the sales desk;
the message arrives at a real SMTP server with the PDF kept as sent and a private
link; the client, in a fresh browser with no cookies, follows the link and accepts
with their name; the desk shows the quote accepted with the evidence. A tampered
link opens nothing, and a second acceptance is refused."""

from __future__ import annotations

import email
import hashlib
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from quoting import services
from quoting.store import migrate
from quoting.store.db import make_engine
from quoting.web import create_app
from quoting.web.formatting import date_time
from tests.e2e.conftest import PASSWORD, SALES_EMAIL, TIMEOUT_MS, serving, sign_in
from tests.smtp_server import SmtpServer, smtp_server  # noqa: F401  (fixture)

CLIENT = "Grupo Industrial Norteño S.A. de C.V."
RECIPIENT = "compras@gin.example"
SIGNER, POSITION = "Lucía Fernández", "Directora de Operaciones"


@dataclass
class Site:
    url: str
    engine: Engine
    smtp: SmtpServer


@pytest.fixture
def site(tmp_path: Path, smtp_server: SmtpServer,  # noqa: F811
         _cheap_password_hashing: None) -> Iterator[Site]:
    """The sales desk on 127.0.0.1 emailing through the test SMTP server, its client
    links starting with its own address (PUBLIC_URL)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'quoting.db'}")
    migrate.upgrade(engine)
    with Session(engine) as session:
        services.create_user(session, SALES_EMAIL, "Valeria Ventas", "sales", PASSWORD)
        session.commit()
    app = create_app({"ENGINE": engine, "SECRET_KEY": "e2e-mail-secret",
                      "MAIL_URL": smtp_server.url, "QUEUE_URL": None,
                      "MAIL_FROM": "Ventas <ventas@adopcion-ia.example>",
                      "OUTBOX_DIR": str(tmp_path / "outbox")})
    try:
        with serving(app) as url:
            app.config["PUBLIC_URL"] = url
            yield Site(url, engine, smtp_server)
    finally:
        engine.dispose()


def _fresh_page(browser: Browser) -> tuple[Any, Page]:
    context = browser.new_context(locale="es-MX", viewport={"width": 1366, "height": 860})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return context, page


def _proposal_email(smtp: SmtpServer, base_url: str) -> tuple[EmailMessage, str]:
    """The message that carries the client link (waited for: delivery follows the
    request), and the token in it."""
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        for envelope in list(smtp.handler.envelopes):
            message = email.message_from_bytes(envelope.content, policy=policy.default)
            assert isinstance(message, EmailMessage)
            body = message.get_body(("plain",))
            text = body.get_content() if body is not None else ""
            found = re.search(rf"{re.escape(base_url)}/p/([A-Za-z0-9_-]{{43}})", text)
            if found:
                assert RECIPIENT in envelope.rcpt_tos
                return message, found.group(1)
        time.sleep(0.1)
    raise AssertionError(f"no email with a client link arrived at {smtp.url}")


def _tampered(token: str) -> str:
    middle = len(token) // 2
    return token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1:]


def test_the_client_accepts_from_the_email_and_the_desk_shows_the_evidence(
        browser: Browser, site: Site) -> None:
    base = site.url
    desk_context, desk = _fresh_page(browser)
    try:
        # The salesperson: a draft, then "Send to client" with the client's address.
        sign_in(desk, base)
        desk.goto(f"{base}/quotes/new")
        desk.get_by_label("Razón social").fill(CLIENT)
        desk.get_by_label("ID fiscal").fill("GODE561231GR8")
        desk.get_by_label("Técnico").fill("10")
        desk.get_by_label("Negocio").fill("12")
        desk.get_by_role("button", name="Guardar borrador").first.click()
        expect(desk.get_by_text(re.compile(r"Cotización D-\d{5} guardada"))).to_be_visible()
        desk.get_by_test_id("send-to-client").click()
        desk.get_by_label("Para (direcciones de correo, separadas por comas)").fill(RECIPIENT)
        desk.get_by_test_id("send-to-client-submit").click()
        expect(desk.get_by_text(re.compile(r"está en camino a " + re.escape(RECIPIENT))
                                )).to_be_visible()
        expect(desk.locator("h1 .badge")).to_have_text("Enviada")
        found = re.search(r"MX-\d{4}-\d{4}", desk.url)
        assert found is not None
        number = found.group(0)

        # The message at the SMTP server: its language, the PDF kept as sent, the link.
        message, token = _proposal_email(site.smtp, base)
        with Session(site.engine) as session:
            view = services.quote_view(session, services.get_quote(session, number))
        [revision] = view["revisions"]
        assert revision["sent_at"]
        assert revision["language"] == "es"
        # In the revision's language (Spanish, Mexico's formats).
        assert message["Subject"].startswith("Propuesta ")
        assert message["Subject"].endswith(f" para {CLIENT}")
        body = message.get_body(("plain",))
        assert body is not None
        assert body.get_content().startswith("Estimados señores:")
        assert "Le enviamos adjunta nuestra propuesta" in body.get_content()
        [attachment] = list(message.iter_attachments())
        assert attachment.get_content_type() == "application/pdf"
        assert attachment.get_filename() == f"{number}-r1.pdf"
        pdf = attachment.get_content()
        assert pdf.startswith(b"%PDF-")
        sha256 = hashlib.sha256(pdf).hexdigest()
        assert sha256 == revision["pdf_sha256"]

        # The client: a browser with no cookie of the desk follows the link.
        link = f"{base}/p/{token}"
        client_context, client = _fresh_page(browser)
        try:
            assert client_context.cookies() == []
            client.goto(link)
            expect(client.locator(".proposal .client-name")).to_have_text(CLIENT)
            # A second tab of the same client, opened before the answer.
            late = client_context.new_page()
            late.set_default_timeout(TIMEOUT_MS)
            late.goto(link)

            client.get_by_label("Su nombre completo").fill(SIGNER)
            client.get_by_label("Su cargo").fill(POSITION)
            client.get_by_label(f"Estoy autorizado/a para aceptar en nombre de {CLIENT}").check()
            client.get_by_role("button", name="Aceptar la propuesta").click()
            expect(client.get_by_text("Su aceptación quedó registrada")).to_be_visible()
            evidence = client.get_by_test_id("evidence")
            expect(evidence).to_contain_text("Aceptada en línea")
            expect(evidence).to_contain_text(SIGNER)
            expect(client.get_by_test_id("evidence-sha256")).to_have_text(sha256)

            # A second acceptance, from the tab still showing the form: refused.
            late.get_by_label("Su nombre completo").fill("Otra Persona")
            late.get_by_label("Su cargo").fill("Gerente")
            late.get_by_label(f"Estoy autorizado/a para aceptar en nombre de {CLIENT}").check()
            late.get_by_role("button", name="Aceptar la propuesta").click()
            expect(late.get_by_text("Esta propuesta ya fue respondida: no se registró nada "
                                    "más.")).to_be_visible()
            expect(late.get_by_test_id("evidence")).to_contain_text(SIGNER)
            expect(late.get_by_test_id("evidence")).not_to_contain_text("Otra Persona")
            expect(late.get_by_role("button", name="Aceptar la propuesta")).to_have_count(0)

            # A tampered link: 404, and not a word of the quote.
            refused = client.goto(f"{base}/p/{_tampered(token)}")
            assert refused is not None
            assert refused.status == 404
            text = client.locator("body").inner_text()
            for secret in (number, CLIENT, SIGNER, "Adopción IA", sha256):
                assert secret not in text
        finally:
            client_context.close()

        # Back on the desk: accepted, with the signer, the time and the PDF's hash.
        with Session(site.engine) as session:
            stored = services.quote_view(session, services.get_quote(session, number))
        acceptance = stored["acceptance"]
        assert stored["status"] == "accepted"
        assert acceptance["signer_name"] == SIGNER
        assert acceptance["pdf_sha256"] == sha256
        desk.goto(f"{base}/quotes/{number}")
        expect(desk.locator("h1 .badge")).to_have_text("Aceptada")
        desk_evidence = desk.get_by_test_id("client-evidence")
        expect(desk_evidence).to_contain_text("Aceptada en línea por el cliente")
        expect(desk_evidence).to_contain_text(f"{SIGNER}, {POSITION}")
        expect(desk_evidence).to_contain_text(date_time(acceptance["decided_at"], "MX"))
        expect(desk.get_by_test_id("client-evidence-sha256")).to_have_text(sha256)
    finally:
        desk_context.close()
