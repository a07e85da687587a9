"""A quote from the browser: save, send, revise, compare revisions, decide, delete,
rename its client, PDF.

A new quote is a draft known by its draft reference (D-00001); it gets its number
when it is first sent, and the draft reference keeps finding it. A `quote` made in
a test's own session does not see what the desk did since: read it again.
"""

from __future__ import annotations

import hashlib
import html as html_text
import io
import re
from collections.abc import Callable
from unittest.mock import ANY

import pytest
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from quoting import services
from quoting.store.models import Quote
from quoting.web import create_app
from tests.conftest import quick_pdf
from tests.web.conftest import (
    FINANCE,
    OTHER_SALES,
    PASSWORD,
    SALES,
    app_config,
    example,
    form_data,
    press,
)

MX_CLIENT = "Grupo Industrial Norteño S.A. de C.V."


def _flash(html: str) -> str:
    found = re.search(r'class="flash flash-\w+"[^>]*>([^<]+)<', html)
    return html_text.unescape(found.group(1)) if found else ""


def _listed(html: str) -> list[str]:
    return re.findall(r'class="quote-link" href="/quotes/([^"]+)"', html)


def _stored(engine: Engine, ref: str) -> Quote:
    """The quote as stored now (the desk may have changed it since the test made it)."""
    with Session(engine, expire_on_commit=False) as session:
        quote = services.get_quote(session, ref)
        session.expunge_all()
        return quote


def _seen_revision(html: str) -> str:
    found = re.search(r'name="seen_revision" value="(\d+)"', html)
    assert found, "the page carries the revision the user is looking at"
    return found.group(1)


def test_saving_the_form_stores_a_draft_and_opens_its_page(signed_in: FlaskClient) -> None:
    response = signed_in.post("/quotes/new", data=form_data("MX"))
    assert response.status_code == 302
    assert re.fullmatch(r"/quotes/D-\d{5}", response.headers["Location"])
    page = signed_in.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    # A draft has no number yet: it is known by its draft reference until it is sent.
    assert re.fullmatch(r"Cotización D-\d{5} guardada como borrador\.", _flash(html))
    assert "Referencia de borrador: la cotización recibe su número" in html
    assert MX_CLIENT in html
    assert 'class="badge badge-draft">Borrador<' in html
    assert "$873,930.08" in html


def test_send_then_revise_makes_revision_two_and_shows_what_changed(
        signed_in: FlaskClient, make_quote: Callable[..., Quote], engine: Engine) -> None:
    quote = make_quote("MX")
    sent = press(signed_in, quote.ref, "send", follow_redirects=True)
    number = _stored(engine, quote.ref).number
    assert number is not None
    assert re.fullmatch(r"MX-\d{4}-0001", number)
    assert sent.request.path == f"/quotes/{number}"  # the desk now shows the number
    assert 'class="badge badge-sent">Enviada<' in sent.get_data(as_text=True)
    edit = signed_in.get(f"/quotes/{quote.ref}/edit").get_data(as_text=True)
    assert f"Revisar {number}" in edit  # the draft reference still finds it
    assert 'name="participants_business" value="20"' in edit
    revised = signed_in.post(f"/quotes/{number}/edit",
                             data=form_data("MX", participants_business="25",
                                            seen_revision=_seen_revision(edit)),
                             follow_redirects=True)
    html = revised.get_data(as_text=True)
    assert f"Revisión 2 de {number} guardada." in html
    assert 'data-testid="revision-2"' in html
    assert 'class="badge badge-draft">Borrador<' in html
    diff = signed_in.get(f"/quotes/{number}/history?from=1&to=2").get_data(as_text=True)
    assert "participants.business" not in diff  # the words a salesperson uses
    assert "<td>Negocio</td>" in diff
    assert re.search(r'class="before">20<.*class="after">25<', diff, re.S)
    assert "Total del programa" in diff


def test_a_sent_quote_can_be_marked_accepted_or_declined(
        signed_in: FlaskClient, make_quote: Callable[..., Quote]) -> None:
    first, second = make_quote("CL"), make_quote("PE")
    for quote in (first, second):
        press(signed_in, quote.ref, "send")
    accepted = press(signed_in, first.ref, "accept", follow_redirects=True)
    assert 'badge-accepted">Aceptada<' in accepted.get_data(as_text=True)
    declined = press(signed_in, second.ref, "decline",
                              data={"reason": "precio"}, follow_redirects=True)
    assert 'badge-declined">Rechazada<' in declined.get_data(as_text=True)
    again = press(signed_in, first.ref, "accept", follow_redirects=True)
    assert "no es posible" in _flash(again.get_data(as_text=True))


def test_duplicating_makes_a_new_draft_from_the_current_revision(
        signed_in: FlaskClient, make_quote: Callable[..., Quote]) -> None:
    quote = make_quote("ES")
    response = signed_in.post(f"/quotes/{quote.ref}/do/duplicate", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert f"es una copia de {quote.ref}" in html
    assert "Distribuciones Ibéricas S.L." in html
    assert re.fullmatch(r"/quotes/D-\d{5}", response.request.path)
    assert response.request.path != f"/quotes/{quote.ref}"


def test_a_discount_above_the_limit_waits_for_finance_who_approve_it_with_a_reason(
        sign_in: Callable[..., FlaskClient], client: FlaskClient) -> None:
    sales = sign_in()
    created = sales.post("/quotes/new", data=form_data("MX", discount_percent="15"))
    number = created.headers["Location"].rsplit("/", 1)[1]
    page = sales.get(f"/quotes/{number}").get_data(as_text=True)
    assert "Descuento por aprobar" in page
    assert "Aprobar descuento" not in page
    refused = press(sales, number, "send", follow_redirects=True)
    assert "finanzas o administración deben aprobarlo" in _flash(refused.get_data(as_text=True))
    sneaky = press(sales, number, "approve", data={"reason": "yo"},
                        follow_redirects=True)
    assert "Solo usuarios de finanzas" in _flash(sneaky.get_data(as_text=True))
    client.post("/logout")
    finance = sign_in(FINANCE)
    assert "Aprobar descuento" in finance.get(f"/quotes/{number}").get_data(as_text=True)
    no_reason = press(finance, number, "approve", follow_redirects=True)
    assert "Escribe el motivo" in _flash(no_reason.get_data(as_text=True))
    approved = press(finance, number, "approve",
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
    assert "Eliminar borrador" not in page
    assert other.get(f"/quotes/{quote.ref}/edit").status_code == 302
    refused = press(other, quote.ref, "send", follow_redirects=True)
    assert "Solo el responsable" in _flash(refused.get_data(as_text=True))
    not_deleted = press(other, quote.ref, "delete", follow_redirects=True)
    assert "Solo el responsable" in _flash(not_deleted.get_data(as_text=True))


def test_with_own_quotes_only_a_salesperson_neither_sees_nor_copies_a_colleagues_quote(
        engine: Engine, make_quote: Callable[..., Quote]) -> None:
    theirs = make_quote("MX", OTHER_SALES)
    mine = make_quote("CL")
    app = create_app(app_config(engine, SALES_OWN_QUOTES_ONLY=True))
    seller = app.test_client()
    seller.post("/login", data={"email": SALES, "password": PASSWORD})

    listed = seller.get("/").get_data(as_text=True)
    assert mine.ref in listed
    assert theirs.ref not in listed
    for url in (f"/quotes/{theirs.ref}", f"/quotes/{theirs.ref}/pdf",
                f"/quotes/{theirs.ref}/history", f"/quotes/{theirs.ref}/edit"):
        assert seller.get(url).status_code == 404, url
    assert seller.post(f"/quotes/{theirs.ref}/do/duplicate").status_code == 404
    finance = create_app(app_config(engine, SALES_OWN_QUOTES_ONLY=True)).test_client()
    finance.post("/login", data={"email": FINANCE, "password": PASSWORD})
    assert theirs.ref in finance.get("/").get_data(as_text=True)


@pytest.mark.real_pdf
def test_the_pdf_downloads_as_an_attachment_with_the_quote_in_its_text(
        signed_in: FlaskClient, make_quote: Callable[..., Quote], engine: Engine) -> None:
    quote = make_quote("MX")
    response = signed_in.get(f"/quotes/{quote.ref}/pdf?download=1")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="{quote.ref}-r1.pdf"')
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert "Cotización BORRADOR" in text  # no number before it is sent
    assert "Grupo Industrial Norteño" in text
    inline = signed_in.get(f"/quotes/{quote.ref}/pdf?revision=1")
    assert inline.headers["Content-Disposition"].startswith("inline;")
    assert signed_in.get(f"/quotes/{quote.ref}/pdf?revision=7").status_code == 404

    press(signed_in, quote.ref, "send")
    number = _stored(engine, quote.ref).number
    sent = signed_in.get(f"/quotes/{number}/pdf?download=1")
    assert sent.headers["Content-Disposition"] == f'attachment; filename="{number}-r1.pdf"'
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(sent.data)).pages)
    assert f"Cotización {number}" in text
    assert "BORRADOR" not in text


def test_a_sent_revision_keeps_the_same_pdf_after_acceptance_and_its_fingerprint_is_recorded(
        signed_in: FlaskClient, make_quote: Callable[..., Quote], engine: Engine) -> None:
    quote = make_quote("CL")
    press(signed_in, quote.ref, "send")
    as_sent = signed_in.get(f"/quotes/{quote.ref}/pdf").data
    press(signed_in, quote.ref, "accept")
    after_acceptance = signed_in.get(f"/quotes/{quote.ref}/pdf").data
    assert after_acceptance == as_sent
    with Session(engine) as session:
        stored = services.get_quote(session, quote.ref).revisions[0]
        assert stored.pdf_sha256 == hashlib.sha256(as_sent).hexdigest()


def test_sending_from_the_desk_stores_the_pdf_in_the_same_step(
        signed_in: FlaskClient, make_quote: Callable[..., Quote], engine: Engine) -> None:
    quote = make_quote("PE")
    page = signed_in.get(f"/quotes/{quote.ref}").get_data(as_text=True)
    sent = press(signed_in, quote.ref, "send",
                          data={"seen_revision": _seen_revision(page)}, follow_redirects=True)
    with Session(engine) as session:
        stored = services.get_quote(session, quote.ref)
        revision = services.current_revision(stored)
        kept = services.archived_pdf(session, quote.ref, 1)
        send_event = services.quote_events(session, quote.ref)[-1]
        # Sent and its PDF kept together, before anyone opened the PDF.
        assert stored.status == "sent"
        assert stored.number is not None
        assert revision.sent_at is not None
        assert kept is not None
        assert revision.pdf_sha256 == hashlib.sha256(kept).hexdigest()
        assert (send_event.action, send_event.detail) == (
            "quote.send", {"pdf_sha256": revision.pdf_sha256, "request_id": ANY})
    assert _flash(sent.get_data(as_text=True)) == (
        f"{stored.number} enviada: su PDF se guarda tal como se envió.")
    assert signed_in.get(f"/quotes/{stored.number}/pdf").data == kept


def test_a_send_whose_pdf_cannot_be_rendered_sends_nothing_and_can_be_sent_again(
        signed_in: FlaskClient, make_quote: Callable[..., Quote], engine: Engine,
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    def broken(*_args: object, **_kwargs: object) -> bytes:
        raise RuntimeError("renderer down")

    monkeypatch.setattr("quoting.services.lifecycle.render_snapshot", broken)
    quote = make_quote("ES")
    page = press(signed_in, quote.ref, "send", follow_redirects=True)
    assert page.status_code == 200
    stored = _stored(engine, quote.ref)
    # It kept the number it was given, but it is not sent: no sent revision without its PDF.
    assert stored.status == "draft"
    assert stored.number is not None
    assert _flash(page.get_data(as_text=True)) == (
        f"No se pudo generar el PDF de la propuesta, así que {stored.number} no se envió "
        f"(conserva su número). Intenta enviarla de nuevo en un minuto.")
    assert "renderer down" in caplog.text
    with Session(engine) as session:
        revision = services.current_revision(services.get_quote(session, quote.ref))
        assert (revision.sent_at, revision.pdf_sha256) == (None, None)
        assert services.archived_pdf(session, quote.ref, 1) is None

    monkeypatch.setattr("quoting.services.lifecycle.render_snapshot", quick_pdf)
    again = press(signed_in, quote.ref, "send", follow_redirects=True)
    assert 'class="badge badge-sent">Enviada<' in again.get_data(as_text=True)
    assert _stored(engine, quote.ref).number == stored.number


def test_the_desk_shows_a_sent_revision_as_kept_even_after_the_template_changes(
        signed_in: FlaskClient, make_quote: Callable[..., Quote],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from quoting import documents

    quote = make_quote("AR")
    press(signed_in, quote.ref, "send")
    as_sent = signed_in.get(f"/quotes/{quote.ref}/pdf").data
    monkeypatch.setattr(documents, "cached_proposal",
                        lambda *_args, **_kwargs: b"%PDF-1.7 a later template")
    assert signed_in.get(f"/quotes/{quote.ref}/pdf").data == as_sent
    draft = make_quote("AR")
    assert signed_in.get(f"/quotes/{draft.ref}/pdf").data == b"%PDF-1.7 a later template"


# ---------------------------------------------------------------- stale forms


def test_an_edit_saved_after_another_revision_says_it_changed_keeps_what_was_typed_stores_nothing(
        signed_in: FlaskClient, make_quote: Callable[..., Quote], engine: Engine) -> None:
    quote = make_quote("MX")
    opened = signed_in.get(f"/quotes/{quote.ref}/edit").get_data(as_text=True)
    seen = _seen_revision(opened)
    assert seen == "1"
    with Session(engine) as session:  # finance revises it meanwhile
        services.revise_quote(session, quote.ref, {**example("MX"), "cases": 3},
                              services.get_user(session, FINANCE))
        session.commit()

    stale = signed_in.post(f"/quotes/{quote.ref}/edit",
                           data=form_data("MX", participants_business="33",
                                          seen_revision=seen))
    html = stale.get_data(as_text=True)
    assert stale.status_code == 409
    assert _flash(html) == (
        "Esta cotización cambió desde que la abriste (ahora está en la revisión 2). "
        "No se guardó nada: vuelve a cargarla e inténtalo de nuevo.")
    assert 'name="participants_business" value="33"' in html  # what was typed is still there
    assert _seen_revision(html) == "1"  # saving again is refused until the user reloads
    stored = _stored(engine, quote.ref)
    assert stored.current_revision == 2
    assert [r.revision for r in stored.revisions] == [1, 2]
    assert stored.revisions[-1].request["participants"]["business"] == 20
    assert stored.revisions[-1].request["cases"] == 3

    reloaded = signed_in.get(f"/quotes/{quote.ref}/edit").get_data(as_text=True)
    assert _seen_revision(reloaded) == "2"
    saved = signed_in.post(f"/quotes/{quote.ref}/edit",
                           data=form_data("MX", participants_business="33",
                                          seen_revision="2"), follow_redirects=True)
    assert f"Revisión 3 de {quote.ref} guardada." in _flash(saved.get_data(as_text=True))


def test_an_action_from_a_page_opened_before_the_last_revision_is_refused(
        signed_in: FlaskClient, make_quote: Callable[..., Quote], engine: Engine) -> None:
    quote = make_quote("CO")
    seen = _seen_revision(signed_in.get(f"/quotes/{quote.ref}").get_data(as_text=True))
    with Session(engine) as session:
        services.revise_quote(session, quote.ref, {**example("CO"), "cases": 3},
                              services.get_user(session, SALES))
        session.commit()
    refused = press(signed_in, quote.ref, "send", data={"seen_revision": seen},
                             follow_redirects=True)
    assert "cambió desde que la abriste" in _flash(refused.get_data(as_text=True))
    assert _stored(engine, quote.ref).status == "draft"


# ---------------------------------------------------------------- four eyes


def test_a_finance_user_cannot_approve_the_discount_of_their_own_quote_but_another_finance_user_can(
        sign_in: Callable[..., FlaskClient], client: FlaskClient, engine: Engine) -> None:
    with Session(engine) as session:
        services.create_user(session, "flor@example.com", "Flor Finanzas", "finance", PASSWORD)
        session.commit()
    own = sign_in(FINANCE)
    created = own.post("/quotes/new", data=form_data("MX", discount_percent="15"))
    ref = created.headers["Location"].rsplit("/", 1)[1]
    page = own.get(f"/quotes/{ref}").get_data(as_text=True)
    assert "Descuento por aprobar" in page
    assert "Aprobar descuento" not in page
    assert ("Eres responsable de esta cotización o hiciste su última revisión: otro usuario "
            "de finanzas o administración debe decidir sobre su descuento.") in page
    refused = press(own, ref, "approve",
                       data={"reason": "me lo apruebo", "seen_revision": "1"},
                       follow_redirects=True)
    assert "otro usuario de finanzas o administración debe decidir" in _flash(
        refused.get_data(as_text=True))
    assert _stored(engine, ref).status == "pending_approval"

    client.post("/logout")
    other = sign_in("flor@example.com")
    page = other.get(f"/quotes/{ref}").get_data(as_text=True)
    assert "Aprobar descuento" in page
    approved = press(other, ref, "approve",
                          data={"reason": "cliente estratégico", "seen_revision": "1"},
                          follow_redirects=True)
    assert "Descuento aprobado" in _flash(approved.get_data(as_text=True))
    assert _stored(engine, ref).status == "draft"


def test_a_finance_user_who_last_revised_a_quote_cannot_decide_on_its_discount(
        sign_in: Callable[..., FlaskClient], make_quote: Callable[..., Quote],
        engine: Engine) -> None:
    quote = make_quote("MX", discount_percent="15")  # Ana's, awaiting approval
    finance = sign_in(FINANCE)
    finance.post(f"/quotes/{quote.ref}/edit",
                 data=form_data("MX", discount_percent="16", seen_revision="1"))
    assert _stored(engine, quote.ref).current_revision == 2
    page = finance.get(f"/quotes/{quote.ref}").get_data(as_text=True)
    assert "Aprobar descuento" not in page
    assert "otro usuario de finanzas o administración debe decidir" in page
    refused = press(finance, quote.ref, "reject",
                           data={"reason": "no", "seen_revision": "2"}, follow_redirects=True)
    assert "hiciste su última revisión" in _flash(refused.get_data(as_text=True))
    assert _stored(engine, quote.ref).status == "pending_approval"


# ---------------------------------------------------------------- deleting drafts


def test_a_draft_never_sent_can_be_deleted_from_its_page_and_leaves_the_list(
        signed_in: FlaskClient, make_quote: Callable[..., Quote], engine: Engine) -> None:
    quote, kept = make_quote("MX"), make_quote("CL")
    page = signed_in.get(f"/quotes/{quote.ref}").get_data(as_text=True)
    assert f'href="/quotes/{quote.ref}/confirm/delete"' in page  # asks first
    confirm = signed_in.get(f"/quotes/{quote.ref}/confirm/delete").get_data(as_text=True)
    assert f'action="/quotes/{quote.ref}/do/delete"' in confirm
    assert "Eliminar borrador" in page
    assert "Retirar" not in page  # a draft never sent is deleted, not withdrawn
    deleted = press(signed_in, quote.ref, "delete",
                             data={"seen_revision": _seen_revision(page)},
                             follow_redirects=True)
    html = deleted.get_data(as_text=True)
    assert deleted.request.path == "/"
    assert _flash(html) == f"Borrador {quote.ref} eliminado."
    assert _listed(html) == [kept.ref]
    assert _listed(signed_in.get("/?status=deleted").get_data(as_text=True)) == [quote.ref]
    assert _stored(engine, quote.ref).status == "deleted"
    gone = signed_in.get(f"/quotes/{quote.ref}").get_data(as_text=True)
    assert 'class="badge badge-deleted">Eliminada<' in gone
    assert "Eliminar borrador" not in gone
    assert "Editar borrador" not in gone


def test_a_sent_quote_offers_no_delete_even_once_revised_back_to_a_draft(
        signed_in: FlaskClient, make_quote: Callable[..., Quote], engine: Engine) -> None:
    quote = make_quote("MX", sent=True)
    page = signed_in.get(f"/quotes/{quote.ref}").get_data(as_text=True)
    assert "Eliminar borrador" not in page
    assert "Retirar" in page
    refused = press(signed_in, quote.ref, "delete", follow_redirects=True)
    assert _flash(refused.get_data(as_text=True)) == (
        "Solo se puede eliminar un borrador que nunca se envió; retira esta cotización en "
        "su lugar.")
    assert _stored(engine, quote.ref).status == "sent"
    signed_in.post(f"/quotes/{quote.ref}/edit",
                   data=form_data("MX", cases="3", seen_revision="1"))
    revised = signed_in.get(f"/quotes/{quote.ref}").get_data(as_text=True)
    assert 'class="badge badge-draft">Borrador<' in revised  # a draft again, but numbered
    assert "Eliminar borrador" not in revised
    assert "Retirar" in revised


# ---------------------------------------------------------------- clients


def test_the_client_page_lists_its_quotes_and_renaming_there_is_audited_and_leaves_quotes_as_quoted(
        signed_in: FlaskClient, make_quote: Callable[..., Quote], engine: Engine) -> None:
    sent, draft = make_quote("MX", sent=True), make_quote("MX")
    make_quote("CL")  # another client's
    with Session(engine) as session:
        record = services.find_client(session, "MX", example("MX")["client"]["tax_id"])
    quote_page = signed_in.get(f"/quotes/{sent.ref}").get_data(as_text=True)
    assert f'href="/clients/{record.id}"' in quote_page

    page = signed_in.get(f"/clients/{record.id}").get_data(as_text=True)
    assert f"<h1>{MX_CLIENT}</h1>" in page
    assert sorted(_listed(page)) == sorted([sent.ref, draft.ref])
    new_name = "Grupo Industrial Norteño S.A.P.I. de C.V."
    renamed = signed_in.post(f"/clients/{record.id}",
                             data={"legal_name": new_name, "reason": "cambio de régimen"},
                             follow_redirects=True)
    html = renamed.get_data(as_text=True)
    assert _flash(html) == ("Cliente renombrado. Las cotizaciones ya hechas conservan el "
                            "nombre con el que se cotizaron.")
    assert f"<h1>{new_name}</h1>" in html
    assert f"{MX_CLIENT} → {new_name}" in html
    assert "Renombrado" in html
    assert "“cambio de régimen”" in html
    with Session(engine) as session:
        last = services.client_events(session, record.id)[-1]
    assert (last.action, last.actor, last.detail) == (
        "client.rename", SALES, {"from": MX_CLIENT, "to": new_name,
                                 "reason": "cambio de régimen", "request_id": ANY})

    # The quotes already made keep the name they were quoted with.
    for ref in (sent.ref, draft.ref):
        shown = signed_in.get(f"/quotes/{ref}").get_data(as_text=True)
        assert f"<strong>{MX_CLIENT}</strong>" in shown
        assert new_name not in shown
    assert MX_CLIENT in signed_in.get(f"/clients/{record.id}").get_data(as_text=True)
    assert new_name not in signed_in.get("/").get_data(as_text=True)


def test_a_known_tax_id_under_another_name_is_refused_on_the_form_naming_the_client_on_record(
        signed_in: FlaskClient, make_quote: Callable[..., Quote], engine: Engine) -> None:
    make_quote("MX")
    response = signed_in.post("/quotes/new", data=form_data("MX", client_name="Otro Nombre S.A."))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert (f"Este identificador fiscal está registrado como «{MX_CLIENT}»: usa ese nombre o "
            f"cambia primero el nombre del cliente en su página.") in html
    assert 'value="Otro Nombre S.A."' in html  # what was typed stays
    with Session(engine) as session:
        assert services.count_quotes(session) == 1
        record = services.find_client(session, "MX", example("MX")["client"]["tax_id"])
        assert record.legal_name == MX_CLIENT  # renamed by nobody


def test_a_client_page_is_hidden_from_a_salesperson_who_does_not_quote_it_when_restricted(
        engine: Engine, make_quote: Callable[..., Quote]) -> None:
    theirs = make_quote("MX", OTHER_SALES)
    restricted = create_app(app_config(engine, SALES_OWN_QUOTES_ONLY=True)).test_client()
    restricted.post("/login", data={"email": SALES, "password": PASSWORD})
    assert restricted.get(f"/clients/{theirs.client_id}").status_code == 404

    open_desk = create_app(app_config(engine)).test_client()
    open_desk.post("/login", data={"email": SALES, "password": PASSWORD})
    page = open_desk.get(f"/clients/{theirs.client_id}").get_data(as_text=True)
    assert "Renombrar cliente" not in page  # seen, but renamed only by who quotes it
    refused = open_desk.post(f"/clients/{theirs.client_id}",
                             data={"legal_name": "Otro S.A."}, follow_redirects=True)
    assert "Solo finanzas, administración o quien cotiza" in refused.get_data(as_text=True)


def test_a_button_pressed_without_the_revision_it_showed_does_nothing(
        signed_in: FlaskClient, make_quote: Callable[..., Quote], engine: Engine) -> None:
    quote = make_quote("MX")

    refused = signed_in.post(f"/quotes/{quote.ref}/do/send", follow_redirects=True)

    assert "no indicaba qué revisión mostraba" in refused.get_data(as_text=True)
    assert _stored(engine, quote.ref).status == "draft"
