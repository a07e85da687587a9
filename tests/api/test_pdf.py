"""GET /api/v1/quotes/{number}/revisions/{n}/pdf: the archived PDF, checked
against the SHA-256 recorded when it was sent."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from quoting import services
from quoting.documents import render_proposal
from quoting.store.models import Quote
from tests.api.conftest import QUOTE_DAY


@pytest.fixture
def sent_quote(session: Session, make_quote: Callable[..., Quote]) -> tuple[Quote, str]:
    """A sent MX quote whose PDF was archived (its SHA-256 recorded), then accepted."""
    services.import_rates_csv(session, "pair,date,rate,source\n"
                              "USD/MXN,2026-11-24,18.2345,Banxico FIX\n")
    quote = make_quote("MX", "sent")
    sent_pdf = render_proposal(services.revision_snapshot(session, quote.ref, 1))
    digest = hashlib.sha256(sent_pdf).hexdigest()
    services.record_pdf_sha256(session, quote.ref, 1, digest)
    services.accept_quote(session, quote.ref, quote.owner, QUOTE_DAY)
    session.commit()
    return quote, digest


def test_the_archived_pdf_is_served_as_sent_even_after_acceptance(
        client: FlaskClient, auth: dict[str, str], sent_quote: tuple[Quote, str]) -> None:
    quote, digest = sent_quote
    response = client.get(f"/api/v1/quotes/{quote.ref}/revisions/1/pdf", headers=auth)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert hashlib.sha256(response.data).hexdigest() == digest
    assert response.headers["ETag"] == f'"{digest}"'


def test_a_pdf_that_no_longer_matches_its_hash_is_refused(
        client: FlaskClient, auth: dict[str, str], session: Session,
        make_quote: Callable[..., Quote]) -> None:
    quote = make_quote("CL", "sent")
    services.record_pdf_sha256(session, quote.ref, 1, "0" * 64)
    session.commit()
    response = client.get(f"/api/v1/quotes/{quote.ref}/revisions/1/pdf", headers=auth)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "pdf_mismatch"


def test_a_kept_pdf_is_served_byte_for_byte_whatever_the_renderer_now_produces(
        client: FlaskClient, auth: dict[str, str], session: Session,
        make_quote: Callable[..., Quote], monkeypatch: pytest.MonkeyPatch) -> None:
    quote = make_quote("ES", "sent")
    as_sent = render_proposal(services.revision_snapshot(session, quote.ref, 1))
    services.archive_pdf(session, quote.ref, 1, as_sent)
    session.commit()

    def newer_renderer(*_args: object, **_kwargs: object) -> bytes:
        return b"%PDF-1.7 what a later version of the template would print"

    monkeypatch.setattr("quoting.documents.cached_proposal", newer_renderer)
    monkeypatch.setattr("quoting.documents.render_proposal", newer_renderer)
    response = client.get(f"/api/v1/quotes/{quote.ref}/revisions/1/pdf", headers=auth)
    assert response.status_code == 200
    assert response.data == as_sent
