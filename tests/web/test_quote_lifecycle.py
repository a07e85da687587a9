"""A quote from the browser: save, send, revise, compare revisions, decide, PDF."""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from quoting import services
from quoting.store.models import Quote
from tests.web.conftest import FINANCE, OTHER_SALES, form_data


def _flash(html: str) -> str:
    found = re.search(r'class="flash flash-\w+"[^>]*>([^<]+)<', html)
    return found.group(1) if found else ""


def test_saving_the_form_stores_a_draft_and_opens_its_page(signed_in: FlaskClient) -> None:
    response = signed_in.post("/quotes/new", data=form_data("MX"))
    assert response.status_code == 302
    page = signed_in.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert re.search(r"Cotización MX-\d{4}-\d{4} guardada como borrador\.", _flash(html))
    assert "Grupo Industrial Norteño S.A. de C.V." in html
    assert 'class="badge badge-draft">Borrador<' in html
    assert "$873,930.08" in html


def test_send_then_revise_makes_revision_two_and_shows_what_changed(
        signed_in: FlaskClient, make_quote: Callable[..., Quote]) -> None:
    quote = make_quote("MX")
    sent = signed_in.post(f"/quotes/{quote.ref}/do/send", follow_redirects=True)
    assert 'class="badge badge-sent">Enviada<' in sent.get_data(as_text=True)
    edit = signed_in.get(f"/quotes/{quote.ref}/edit").get_data(as_text=True)
    assert f"Revisar {quote.ref}" in edit
    assert 'name="participants_business" value="20"' in edit
    revised = signed_in.post(f"/quotes/{quote.ref}/edit",
                             data=form_data("MX", participants_business="25"),
                             follow_redirects=True)
    html = revised.get_data(as_text=True)
    assert f"Revisión 2 de {quote.ref} guardada." in html
    assert 'data-testid="revision-2"' in html
    assert 'class="badge badge-draft">Borrador<' in html
    diff = signed_in.get(f"/quotes/{quote.ref}/history?from=1&to=2").get_data(as_text=True)
    assert "participants.business" in diff
    assert re.search(r'class="before">20<.*class="after">25<', diff, re.S)
    assert "Total del programa" in diff


def test_a_sent_quote_can_be_marked_accepted_or_declined(
        signed_in: FlaskClient, make_quote: Callable[..., Quote]) -> None:
    first, second = make_quote("CL"), make_quote("PE")
    for quote in (first, second):
        signed_in.post(f"/quotes/{quote.ref}/do/send")
    accepted = signed_in.post(f"/quotes/{first.ref}/do/accept", follow_redirects=True)
    assert 'badge-accepted">Aceptada<' in accepted.get_data(as_text=True)
    declined = signed_in.post(f"/quotes/{second.ref}/do/decline",
                              data={"reason": "precio"}, follow_redirects=True)
    assert 'badge-declined">Rechazada<' in declined.get_data(as_text=True)
    again = signed_in.post(f"/quotes/{first.ref}/do/accept", follow_redirects=True)
    assert "no es posible" in _flash(again.get_data(as_text=True))


def test_duplicating_makes_a_new_draft_from_the_current_revision(
        signed_in: FlaskClient, make_quote: Callable[..., Quote]) -> None:
    quote = make_quote("ES")
    response = signed_in.post(f"/quotes/{quote.ref}/do/duplicate", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert f"es una copia de {quote.ref}" in html
    assert "Distribuciones Ibéricas S.L." in html


def test_a_discount_above_the_limit_waits_for_finance_who_approve_it_with_a_reason(
        sign_in: Callable[..., FlaskClient], client: FlaskClient) -> None:
    sales = sign_in()
    created = sales.post("/quotes/new", data=form_data("MX", discount_percent="15"))
    number = created.headers["Location"].rsplit("/", 1)[1]
    page = sales.get(f"/quotes/{number}").get_data(as_text=True)
    assert "Descuento por aprobar" in page
    assert "Aprobar descuento" not in page
    refused = sales.post(f"/quotes/{number}/do/send", follow_redirects=True)
    assert "finanzas o administración deben aprobarlo" in _flash(refused.get_data(as_text=True))
    sneaky = sales.post(f"/quotes/{number}/do/approve", data={"reason": "yo"},
                        follow_redirects=True)
    assert "Solo usuarios de finanzas" in _flash(sneaky.get_data(as_text=True))
    client.post("/logout")
    finance = sign_in(FINANCE)
    assert "Aprobar descuento" in finance.get(f"/quotes/{number}").get_data(as_text=True)
    no_reason = finance.post(f"/quotes/{number}/do/approve", follow_redirects=True)
    assert "Escribe el motivo" in _flash(no_reason.get_data(as_text=True))
    approved = finance.post(f"/quotes/{number}/do/approve",
                            data={"reason": "cliente estratégico"}, follow_redirects=True)
    html = approved.get_data(as_text=True)
    assert "Descuento aprobado" in html
    assert "cliente estratégico" in html
    assert 'badge-draft">Borrador<' in html


def test_another_salesperson_sees_a_quote_but_cannot_change_it(
        sign_in: Callable[..., FlaskClient], make_quote: Callable[..., Quote]) -> None:
    quote = make_quote("MX")
    other = sign_in(OTHER_SALES)
    page = other.get(f"/quotes/{quote.ref}").get_data(as_text=True)
    assert "Editar borrador" not in page
    assert other.get(f"/quotes/{quote.ref}/edit").status_code == 302
    refused = other.post(f"/quotes/{quote.ref}/do/send", follow_redirects=True)
    assert "Solo el responsable" in _flash(refused.get_data(as_text=True))


def test_the_pdf_downloads_as_an_attachment_with_the_quote_in_its_text(
        signed_in: FlaskClient, make_quote: Callable[..., Quote]) -> None:
    quote = make_quote("MX")
    response = signed_in.get(f"/quotes/{quote.ref}/pdf?download=1")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="{quote.ref}-r1.pdf"')
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert quote.ref in text
    assert "Grupo Industrial Norteño" in text
    inline = signed_in.get(f"/quotes/{quote.ref}/pdf?revision=1")
    assert inline.headers["Content-Disposition"].startswith("inline;")
    assert signed_in.get(f"/quotes/{quote.ref}/pdf?revision=7").status_code == 404


def test_a_sent_revision_keeps_the_same_pdf_after_acceptance_and_its_fingerprint_is_recorded(
        signed_in: FlaskClient, make_quote: Callable[..., Quote], engine: Engine) -> None:
    quote = make_quote("CL")
    signed_in.post(f"/quotes/{quote.ref}/do/send")
    as_sent = signed_in.get(f"/quotes/{quote.ref}/pdf").data
    signed_in.post(f"/quotes/{quote.ref}/do/accept")
    after_acceptance = signed_in.get(f"/quotes/{quote.ref}/pdf").data
    assert after_acceptance == as_sent
    with Session(engine) as session:
        stored = services.get_quote(session, quote.ref).revisions[0]
        assert stored.pdf_sha256 == hashlib.sha256(as_sent).hexdigest()


def test_sending_archives_the_pdf_at_once_so_nobody_waits_for_its_first_render(
        signed_in: FlaskClient, make_quote: Callable[..., Quote], engine: Engine) -> None:
    quote = make_quote("PE")
    signed_in.post(f"/quotes/{quote.ref}/do/send")
    with Session(engine) as session:
        recorded = services.get_quote(session, quote.ref).revisions[0].pdf_sha256
    assert recorded is not None  # before anyone opened the PDF
    served = signed_in.get(f"/quotes/{quote.ref}/pdf").data
    assert hashlib.sha256(served).hexdigest() == recorded


def test_a_send_stands_even_when_its_pdf_cannot_be_rendered_then(
        signed_in: FlaskClient, make_quote: Callable[..., Quote], engine: Engine,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from quoting import documents

    def broken(*_args: object, **_kwargs: object) -> bytes:
        raise RuntimeError("renderer down")

    monkeypatch.setattr(documents, "cached_proposal", broken)
    quote = make_quote("ES")
    page = signed_in.post(f"/quotes/{quote.ref}/do/send", follow_redirects=True)
    assert page.status_code == 200
    with Session(engine) as session:
        stored = services.get_quote(session, quote.ref)
        assert stored.status == "sent"
        assert stored.revisions[0].pdf_sha256 is None


def test_the_desk_shows_a_sent_revision_as_kept_even_after_the_template_changes(
        signed_in: FlaskClient, make_quote: Callable[..., Quote],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from quoting import documents

    quote = make_quote("AR")
    signed_in.post(f"/quotes/{quote.ref}/do/send")
    as_sent = signed_in.get(f"/quotes/{quote.ref}/pdf").data
    monkeypatch.setattr(documents, "cached_proposal",
                        lambda *_args, **_kwargs: b"%PDF-1.7 a later template")
    assert signed_in.get(f"/quotes/{quote.ref}/pdf").data == as_sent
    draft = make_quote("AR")
    assert signed_in.get(f"/quotes/{draft.ref}/pdf").data == b"%PDF-1.7 a later template"
