"""What a client in Spain reads on the web and by email says "presupuesto", never
"cotización" or the neutral "propuesta": the page the link opens, the answer to
accepting, the link's other pages, the proposal's email and the receipt's email. A
Mexican client keeps the neutral wording, and the desk is never regional."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import flask_babel
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from quoting import services
from quoting.documents.context import build_context
from quoting.regional import client_translations
from quoting.services.messages import translations_for
from quoting.store.models import Quote
from quoting.store.outbox import OutboxMessage
from quoting.web.client_wording import client_wording
from quoting.web.text import _
from tests.web.conftest import SALES

PUBLIC_URL = "https://quotes.example"
ACCEPTANCE = {"signer_name": "Lucía Fernández", "signer_position": "Directora de Operaciones",
              "po_number": "OC-7781", "authorised": "yes"}
# Latin American or neutral wording a buyer in Spain should never read in the page's
# and the emails' own words.
NOT_IN_SPAIN = re.compile(r"cotiza|cotización|la propuesta|esta propuesta|nuestra propuesta"
                          r"|capacitación|constancia|vencido", re.IGNORECASE)
# In the proposal shown inside the page (its words are tested with its PDF, in
# tests/documents/test_regional_wording.py): what the issue names.
NOT_IN_SPAIN_PROPOSAL = re.compile(r"cotiza|capacitación|dictan|destrabar|de adentro"
                                   r"|modalidad remota", re.IGNORECASE)
ARTICLE = re.compile(r'<article class="sheet proposal".*?</article>', re.DOTALL)


def _emailed(engine: Engine, quote: Quote) -> tuple[OutboxMessage, str]:
    """Email the sent quote to the client: the message and the link's token."""
    with Session(engine, expire_on_commit=False) as session:
        message = services.send_to_client(
            session, str(quote.number), services.get_user(session, SALES),
            recipients="javier.martin@example.es", subject=None, body=None,
            seen_revision=None, public_url=PUBLIC_URL)
        session.commit()
    found = re.search(re.escape(PUBLIC_URL) + r"/p/([A-Za-z0-9_\-]+)", message.body)
    assert found, message.body
    return message, found.group(1)


def _text(response: object) -> str:
    return html.unescape(response.get_data(as_text=True))  # type: ignore[attr-defined]


def _split(page: str) -> tuple[str, str]:
    """The page's own words and the proposal shown inside it."""
    found = ARTICLE.search(page)
    return ARTICLE.sub(" ", page), found.group(0) if found else ""


def _messages(engine: Engine, kind: str) -> list[OutboxMessage]:
    with Session(engine) as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)
                                    .order_by(OutboxMessage.id)))


def test_a_spanish_client_s_page_and_email_say_presupuesto(
        client: FlaskClient, engine: Engine, make_quote: Callable[..., Quote]) -> None:
    quote = make_quote("ES", sent=True)
    message, token = _emailed(engine, quote)

    page, proposal = _split(_text(client.get(f"/p/{token}")))

    with Session(engine) as session:
        facts = build_context(services.revision_snapshot(session, quote.ref, 1))
    assert facts["document_name"] == "Presupuesto"
    assert facts["program"]["total"] in proposal
    assert f"Presupuesto {quote.number}" in message.subject
    assert "presupuesto" in message.body
    assert NOT_IN_SPAIN.findall(message.subject + message.body) == []
    assert "Aceptar el presupuesto" in page
    assert "Rechazar el presupuesto" in page
    assert "SHA-256 del PDF de este presupuesto" in page
    assert NOT_IN_SPAIN.findall(page) == []
    assert "¿Cómo elaboran el presupuesto?" in proposal  # the proposal's own, Spain's
    assert "formación" in proposal
    assert NOT_IN_SPAIN_PROPOSAL.findall(proposal) == []


def test_a_spanish_client_s_acceptance_page_and_receipt_email_say_presupuesto(
        client: FlaskClient, engine: Engine, make_quote: Callable[..., Quote]) -> None:
    quote = make_quote("ES", sent=True)
    _message, token = _emailed(engine, quote)

    accepted = client.post(f"/p/{token}/accept", data=ACCEPTANCE, follow_redirects=True)

    page, _proposal = _split(_text(accepted))
    assert "Su aceptación ha quedado registrada" in page
    assert "Aceptado en línea" in page
    assert "Descargar el justificante (PDF)" in page
    assert NOT_IN_SPAIN.findall(page) == []
    [receipt] = _messages(engine, "receipt")
    assert receipt.subject == f"Aceptación del presupuesto {quote.number} registrada"
    assert "El justificante adjunto" in receipt.body
    assert NOT_IN_SPAIN.findall(receipt.subject + receipt.body) == []


def test_a_withdrawn_spanish_proposal_s_link_says_presupuesto_retirado(
        client: FlaskClient, engine: Engine, make_quote: Callable[..., Quote]) -> None:
    quote = make_quote("ES", sent=True)
    _message, token = _emailed(engine, quote)
    with Session(engine) as session:
        services.withdraw_quote(session, quote.ref, services.get_user(session, SALES))
        session.commit()

    response = client.get(f"/p/{token}")

    assert response.status_code == 410
    page = _text(response)
    assert "Presupuesto retirado" in page
    assert "Este presupuesto se ha retirado" in page
    assert NOT_IN_SPAIN.findall(page) == []


def test_a_mexican_client_keeps_the_neutral_wording(
        client: FlaskClient, engine: Engine, make_quote: Callable[..., Quote]) -> None:
    quote = make_quote("MX", sent=True)
    message, token = _emailed(engine, quote)

    page = _text(client.get(f"/p/{token}"))

    assert "Aceptar la propuesta" in page
    assert "presupuesto" not in (page + message.subject + message.body).lower()


@pytest.mark.parametrize(("market", "language", "expected"), [
    ("ES", "es", "Aceptar el presupuesto"),
    ("MX", "es", "Aceptar la propuesta"),
    ("ES", "en", "Accept the proposal"),
    ("ES", "pt", "Aceitar a proposta"),
    (None, "es", "Aceptar la propuesta"),
    ("ZZ", "es", "Aceptar la propuesta"),  # a market this version does not know
])
def test_client_wording_is_the_language_s_catalogue_behind_the_market_s(
        market: str | None, language: str, expected: str) -> None:
    assert client_translations(market, language).gettext("Accept the proposal") == expected


def test_the_desk_s_catalogue_is_never_regional_even_after_a_client_s_page(
        app: Flask) -> None:
    with app.test_request_context("/"):
        with client_wording("ES", "es"):
            inside = _("Accept the proposal")
        with flask_babel.force_locale("es"):
            after = _("Accept the proposal")

    assert inside == "Aceptar el presupuesto"
    assert after == "Aceptar la propuesta"
    assert translations_for("es").gettext("Accept the proposal") == "Aceptar la propuesta"


def test_a_brazilian_reader_is_told_the_proposal_goes_to_the_addresses() -> None:
    message = ("The current proposal is on its way to the addresses this link was emailed "
               "to, with a new link.")

    text = client_translations("MX", "pt").gettext(message)

    assert "para os endereços" in text
    assert "dos endereços" not in text
