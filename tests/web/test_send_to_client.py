"""The desk's Send to client: a page prefilled from the client's contacts, a post
that sends the draft, queues the email and delivers it right after the commit
(no queue configured), and the quote page showing each email's state."""

from __future__ import annotations

import email
import hashlib
import re
from collections.abc import Callable
from email import policy
from pathlib import Path

from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from quoting import services
from quoting.store.models import Quote
from quoting.web import create_app
from tests.smtp_server import SmtpServer, smtp_server  # noqa: F401  (fixture)
from tests.web.conftest import PASSWORD, SALES, app_config

PUBLIC = "https://quotes.example.com"


def desk(engine: Engine, **settings: object) -> FlaskClient:
    client = create_app(app_config(engine, PUBLIC_URL=PUBLIC, **settings)).test_client()
    response = client.post("/login", data={"email": SALES, "password": PASSWORD})
    assert response.status_code == 302
    return client


def form_of(page: str) -> dict[str, str]:
    def value(name: str) -> str:
        found = re.search(rf'name="{name}" value="([^"]*)"', page)
        assert found, name
        return found.group(1)

    body = re.search(r'<textarea id="body" name="body"[^>]*>(.*?)</textarea>', page, re.S)
    assert body
    import html

    return {"recipients": html.unescape(value("recipients")),
            "subject": html.unescape(value("subject")),
            "seen_revision": value("seen_revision"), "body": html.unescape(body.group(1))}


def test_the_page_is_prefilled_and_sending_delivers_the_pdf_and_a_working_link(
        engine: Engine, make_quote: Callable[..., Quote], tmp_path: Path,
        smtp_server: SmtpServer) -> None:  # noqa: F811
    quote = make_quote("MX")
    client = desk(engine, MAIL_URL=smtp_server.url, MAIL_FROM="Ventas <ventas@acme.example>",
                  OUTBOX_DIR=str(tmp_path / "outbox"))
    assert b'data-testid="send-to-client"' in client.get(f"/quotes/{quote.ref}").data
    page = client.get(f"/quotes/{quote.ref}/send").get_data(as_text=True)
    fields = form_of(page)
    with Session(engine) as session:
        contacts = [c.email for c in services.get_quote(session, quote.ref).client.contacts]
    assert contacts
    assert all(e in fields["recipients"] for e in contacts if e)
    assert fields["subject"].startswith("Propuesta ")
    assert "{link}" in fields["body"]

    fields["recipients"] += ", legal@client.example"
    fields["subject"] = "Nuestra propuesta"
    response = client.post(f"/quotes/{quote.ref}/send", data=fields)
    assert response.status_code == 302
    with Session(engine) as session:
        sent = services.get_quote(session, quote.ref)
        number, sha256 = sent.number, sent.revisions[-1].pdf_sha256
    assert sent.status == "sent"
    assert response.headers["Location"].endswith(f"/quotes/{number}")

    [envelope] = smtp_server.handler.envelopes
    assert "legal@client.example" in envelope.rcpt_tos
    received = email.message_from_bytes(envelope.content, policy=policy.default)
    assert received["Subject"] == "Nuestra propuesta"
    assert received["Content-Language"] == "es"
    # Written while the quote was a draft, the text names the number it got when sent.
    assert "{number}" in fields["body"]
    assert f"nuestra propuesta {number} (revisión 1)" in received.get_body().get_content()
    text_part, pdf_part = received.iter_parts()
    assert pdf_part.get_content_type() == "application/pdf"
    assert hashlib.sha256(pdf_part.get_content()).hexdigest() == sha256
    link = re.search(rf"{re.escape(PUBLIC)}(/p/[A-Za-z0-9_-]+)", text_part.get_content())
    assert link
    assert "{link}" not in text_part.get_content()
    assert client.get(link.group(1)).status_code == 200

    shown = client.get(f"/quotes/{number}").get_data(as_text=True)
    assert 'data-testid="outbox-messages"' in shown
    assert 'data-state="sent"' in shown
    assert "Enviado el" in shown


def test_a_refusing_server_is_shown_on_the_quote_page(
        engine: Engine, make_quote: Callable[..., Quote],
        smtp_server: SmtpServer) -> None:  # noqa: F811
    smtp_server.handler.refuse = "451 try later"
    quote = make_quote("MX", sent=True)
    client = desk(engine, MAIL_URL=smtp_server.url)
    fields = form_of(client.get(f"/quotes/{quote.ref}/send").get_data(as_text=True))
    assert client.post(f"/quotes/{quote.ref}/send", data=fields).status_code == 302
    shown = client.get(f"/quotes/{quote.ref}").get_data(as_text=True)
    assert 'data-state="queued"' in shown
    assert "451 try later" in shown
    assert "1 intento fallido" in shown


def test_without_mail_url_an_eml_file_is_written(
        engine: Engine, make_quote: Callable[..., Quote], tmp_path: Path) -> None:
    quote = make_quote("MX", sent=True)
    client = desk(engine, OUTBOX_DIR=str(tmp_path / "outbox"))
    fields = form_of(client.get(f"/quotes/{quote.ref}/send").get_data(as_text=True))
    fields["recipients"] = "cfo@client.example"
    assert client.post(f"/quotes/{quote.ref}/send", data=fields).status_code == 302
    [written] = list((tmp_path / "outbox").glob("*.eml"))
    assert b"cfo@client.example" in written.read_bytes()


def test_bad_recipients_reshow_the_form_and_send_nothing(
        engine: Engine, make_quote: Callable[..., Quote], tmp_path: Path) -> None:
    quote = make_quote("MX")
    client = desk(engine, OUTBOX_DIR=str(tmp_path / "outbox"))
    fields = form_of(client.get(f"/quotes/{quote.ref}/send").get_data(as_text=True))
    fields["recipients"] = "cfo@client.example, nobody"
    response = client.post(f"/quotes/{quote.ref}/send", data=fields)
    assert response.status_code == 422
    assert "nobody" in response.get_data(as_text=True)
    with Session(engine) as session:
        assert services.get_quote(session, quote.ref).status == "draft"
    assert not (tmp_path / "outbox").exists()
