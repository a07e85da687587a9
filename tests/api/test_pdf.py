"""GET /api/v1/quotes/{number}/revisions/{n}/pdf: the PDF kept when the revision was
sent, checked against the SHA-256 recorded then."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from quoting import services
from quoting.store.models import Quote, QuoteRevision
from tests.api.conftest import NOW, QUOTE_DAY


@pytest.fixture
def sent_quote(session: Session, make_quote: Callable[..., Quote]) -> tuple[Quote, str]:
    """A sent MX quote (its PDF kept when it was sent), then accepted."""
    services.import_rates_csv(session, "pair,date,rate,source\n"
                              "USD/MXN,2026-11-24,18.2345,Banxico FIX\n")
    quote = make_quote("MX", "accepted")
    digest = services.current_revision(services.get_quote(session, quote.ref)).pdf_sha256
    assert digest is not None
    return quote, digest


def _sent_before_pdfs_were_kept(session: Session, quote: Quote, sha256: str) -> None:
    """What an older version left behind: a sent revision with the SHA-256 of its PDF
    recorded but not the PDF itself (the services no longer make such a revision)."""
    session.execute(update(Quote).where(Quote.id == quote.id).values(
        status="sent", number=f"{quote.market}-2026-9001", year=2026, sequence=9001))
    session.execute(update(QuoteRevision).where(
        QuoteRevision.quote_id == quote.id, QuoteRevision.revision == 1,
    ).values(sent_at=NOW, pdf_sha256=sha256))
    session.commit()
    session.expire_all()


@pytest.mark.real_pdf
def test_the_archived_pdf_is_served_as_sent_even_after_acceptance(
        client: FlaskClient, auth: dict[str, str], session: Session,
        sent_quote: tuple[Quote, str]) -> None:
    quote, digest = sent_quote
    response = client.get(f"/api/v1/quotes/{quote.ref}/revisions/1/pdf", headers=auth)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert hashlib.sha256(response.data).hexdigest() == digest
    assert response.data == services.archived_pdf(session, quote.ref, 1)
    assert response.headers["ETag"] == f'"{digest}"'
    assert response.headers["Content-Disposition"] == (
        f'inline; filename="{quote.number}-r1.pdf"')


def test_a_pdf_that_no_longer_matches_its_hash_is_refused(
        client: FlaskClient, auth: dict[str, str], session: Session,
        make_quote: Callable[..., Quote], monkeypatch: pytest.MonkeyPatch) -> None:
    quote = make_quote("CL")
    _sent_before_pdfs_were_kept(session, quote, "0" * 64)
    monkeypatch.setattr("quoting.documents.cached_proposal",
                        lambda *_args, **_kwargs: b"%PDF-1.7 what the renderer makes today")
    response = client.get("/api/v1/quotes/CL-2026-9001/revisions/1/pdf", headers=auth)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "pdf_mismatch"


def test_a_pdf_sent_before_pdfs_were_kept_is_served_while_it_still_matches_its_hash(
        client: FlaskClient, auth: dict[str, str], session: Session,
        make_quote: Callable[..., Quote], monkeypatch: pytest.MonkeyPatch) -> None:
    rendered = b"%PDF-1.7 the same document as sent"
    monkeypatch.setattr("quoting.documents.cached_proposal", lambda *_args, **_kw: rendered)
    quote = make_quote("PE")
    _sent_before_pdfs_were_kept(session, quote, hashlib.sha256(rendered).hexdigest())
    response = client.get("/api/v1/quotes/PE-2026-9001/revisions/1/pdf", headers=auth)
    assert response.status_code == 200
    assert response.data == rendered


def test_a_kept_pdf_is_served_byte_for_byte_whatever_the_renderer_now_produces(
        client: FlaskClient, auth: dict[str, str], session: Session,
        make_quote: Callable[..., Quote], monkeypatch: pytest.MonkeyPatch) -> None:
    quote = make_quote("ES", "sent")
    as_sent = services.archived_pdf(session, quote.ref, 1)  # kept by the send itself
    assert as_sent is not None

    def newer_renderer(*_args: object, **_kwargs: object) -> bytes:
        return b"%PDF-1.7 what a later version of the template would print"

    monkeypatch.setattr("quoting.documents.cached_proposal", newer_renderer)
    monkeypatch.setattr("quoting.documents.render_proposal", newer_renderer)
    monkeypatch.setattr("quoting.services.documents.render_snapshot", newer_renderer)
    response = client.get(f"/api/v1/quotes/{quote.ref}/revisions/1/pdf", headers=auth)
    assert response.status_code == 200
    assert response.data == as_sent


def test_a_draft_has_no_pdf_to_serve_until_it_is_sent(
        client: FlaskClient, auth: dict[str, str], session: Session,
        make_quote: Callable[..., Quote]) -> None:
    quote = make_quote("MX")
    draft_ref = quote.ref
    response = client.get(f"/api/v1/quotes/{draft_ref}/revisions/1/pdf", headers=auth)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "pdf_not_archived"
    services.send_quote(session, draft_ref, quote.owner, QUOTE_DAY, now=NOW)
    session.commit()
    # The draft reference still finds it once it has its number.
    response = client.get(f"/api/v1/quotes/{draft_ref}/revisions/1/pdf", headers=auth)
    assert response.status_code == 200
    assert response.data == services.archived_pdf(session, draft_ref, 1)
