"""Through HTTP and a real SMTP server: the client's decision gives them a receipt
(on the page and by mail), the owner is told on the desk and by mail, the desk
lists the notices and marks them read, and the desk language chosen is the one
the notices are written in."""

from __future__ import annotations

import email
import hashlib
import html
from collections.abc import Callable
from email import policy
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from quoting import services
from quoting.store.client_links import ClientReceipt
from quoting.store.models import Quote, User
from quoting.web import create_app
from tests.smtp_server import SmtpServer, smtp_server  # noqa: F401  (fixture)
from tests.web.conftest import PASSWORD, SALES, app_config

PUBLIC = "https://quotes.example.com"
ACCEPTANCE = {"signer_name": "Lucía Fernández", "signer_position": "Directora de Operaciones",
              "po_number": "OC-7781", "authorised": "yes"}


def _received(server: SmtpServer) -> list[EmailMessage]:
    return [email.message_from_bytes(envelope.content, policy=policy.default)  # type: ignore[misc]
            for envelope in server.handler.envelopes]


def _emailed(engine: Engine, quote: Quote) -> str:
    """The quote emailed to the client through the service; the link's token."""
    with Session(engine, expire_on_commit=False) as session:
        message = services.send_to_client(
            session, quote.ref, services.get_user(session, SALES),
            recipients="compras@cliente.example", subject=None, body=None,
            seen_revision=None, public_url=PUBLIC)
        session.commit()
    return message.body.split(f"{PUBLIC}/p/")[1].split()[0]


def test_the_client_gets_a_receipt_on_the_page_and_by_mail_and_the_owner_is_told(
        engine: Engine, make_quote: Callable[..., Quote], tmp_path: Path,
        smtp_server: SmtpServer) -> None:  # noqa: F811
    app = create_app(app_config(engine, PUBLIC_URL=PUBLIC, MAIL_URL=smtp_server.url,
                                OUTBOX_DIR=str(tmp_path)))
    quote = make_quote("MX", sent=True)
    token = _emailed(engine, quote)
    client = app.test_client()

    assert client.get(f"/p/{token}").status_code == 200
    response = client.post(f"/p/{token}/accept", data=ACCEPTANCE)

    assert response.status_code == 303
    page = html.unescape(client.get(f"/p/{token}").get_data(as_text=True))
    assert f'href="/p/{token}/receipt"' in page
    download = client.get(f"/p/{token}/receipt")
    assert download.status_code == 200
    assert download.mimetype == "application/pdf"
    with Session(engine) as session:
        kept = session.scalars(select(ClientReceipt)).one()
    assert download.data == kept.pdf

    by_subject = {str(m["Subject"]): m for m in _received(smtp_server)}
    receipt_mail = by_subject[f"Aceptación de la propuesta {quote.number} registrada"]
    assert receipt_mail["To"] == "compras@cliente.example"
    _text, attachment = receipt_mail.iter_parts()
    assert attachment.get_filename() == f"{quote.number}-r1-receipt.pdf"
    assert hashlib.sha256(attachment.get_content()).hexdigest() == kept.sha256
    opened = by_subject[f"{quote.client_name} abrió la propuesta {quote.number}"]
    accepted = by_subject[f"{quote.client_name} aceptó la propuesta {quote.number}"]
    for notice in (opened, accepted):
        assert notice["To"] == SALES
        assert f"{PUBLIC}/quotes/{quote.number}" in notice.get_content()
    assert "Lucía Fernández (Directora de Operaciones)" in accepted.get_content()


def test_the_desk_lists_the_notices_with_an_unread_count_and_marks_them_read(
        engine: Engine, make_quote: Callable[..., Quote], tmp_path: Path) -> None:
    app = create_app(app_config(engine, PUBLIC_URL=PUBLIC, OUTBOX_DIR=str(tmp_path)))
    quote = make_quote("MX", sent=True)
    token = _emailed(engine, quote)
    app.test_client().get(f"/p/{token}")  # the client opens it
    desk = app.test_client()
    desk.post("/login", data={"email": SALES, "password": PASSWORD})

    home = desk.get("/quotes").get_data(as_text=True)
    assert 'data-testid="notices-link"' in home
    assert '<span class="badge" aria-hidden="true">1</span>' in home
    assert '<span class="visually-hidden">1 sin leer</span>' in home
    listed = html.unescape(desk.get("/notifications").get_data(as_text=True))
    assert f"{quote.client_name} abrió la propuesta {quote.number}" in listed
    assert f'href="/quotes/{quote.number}"' in listed

    response = desk.post("/notifications/read", follow_redirects=True)

    assert response.status_code == 200
    assert "1 aviso marcado como leído." in html.unescape(response.get_data(as_text=True))
    assert '<span class="badge"' not in desk.get("/quotes").get_data(as_text=True)
    # The .eml files of the notices (no MAIL_URL): the owner's notice was written too.
    assert any(SALES in path.read_text("utf-8", "replace") for path in tmp_path.glob("*.eml"))


def test_the_desk_language_chosen_is_the_one_the_notices_are_emailed_in(
        engine: Engine, make_quote: Callable[..., Quote], tmp_path: Path) -> None:
    app = create_app(app_config(engine, PUBLIC_URL=PUBLIC, OUTBOX_DIR=str(tmp_path)))
    desk = app.test_client()
    desk.post("/login", data={"email": SALES, "password": PASSWORD})

    desk.post("/language", data={"language": "pt", "next": "/quotes"})

    with Session(engine) as session:
        owner = session.scalars(select(User).where(User.email == SALES)).one()
        assert owner.language == "pt"
    quote = make_quote("MX", sent=True)
    token = _emailed(engine, quote)
    app.test_client().get(f"/p/{token}")
    assert any(f"abriu a proposta {quote.number}" in path.read_text("utf-8", "replace")
               for path in tmp_path.glob("*.eml"))


def test_the_desk_shows_each_email_as_written_and_its_eml_file_without_mail_url(
        engine: Engine, make_quote: Callable[..., Quote], tmp_path: Path) -> None:
    app = create_app(app_config(engine, PUBLIC_URL=PUBLIC, OUTBOX_DIR=str(tmp_path),
                                MAIL_FROM="Ventas <ventas@acme.example>"))
    quote = make_quote("MX", sent=True)
    token = _emailed(engine, quote)
    client = app.test_client()
    client.post(f"/p/{token}/accept", data=ACCEPTANCE)
    desk = app.test_client()
    desk.post("/login", data={"email": SALES, "password": PASSWORD})
    with Session(engine) as session:
        messages = services.outbox_view(session, services.get_quote(session, quote.ref))
    proposal, receipt = [m for m in messages if m["kind"] != "notice"]
    notice = next(m for m in messages if m["kind"] == "notice")

    quote_page = html.unescape(desk.get(f"/quotes/{quote.ref}").get_data(as_text=True))
    shown = html.unescape(desk.get(f"/quotes/{quote.ref}/messages/{proposal['id']}")
                          .get_data(as_text=True))
    eml = desk.get(f"/quotes/{quote.ref}/messages/{proposal['id']}/eml")

    assert f'/quotes/{quote.ref}/messages/{receipt["id"]}' in quote_page
    assert f'/quotes/{quote.ref}/messages/{notice["id"]}' not in quote_page
    assert 'data-testid="client-receipt"' in quote_page
    assert "compras@cliente.example" in shown
    assert "Ventas <ventas@acme.example>" in shown
    assert f"{PUBLIC}/p/{token}" in shown
    assert f"{quote.ref}-r1.pdf" in shown
    assert eml.status_code == 200
    parsed = email.message_from_bytes(eml.data, policy=policy.default)
    assert parsed["Subject"] == proposal["subject"]
    assert desk.get(f"/quotes/{quote.ref}/messages/{notice['id']}").status_code == 404
    kept = desk.get(f"/quotes/{quote.ref}/receipt")
    assert kept.mimetype == "application/pdf"
    with Session(engine) as session:
        assert kept.data == session.scalars(select(ClientReceipt)).one().pdf
