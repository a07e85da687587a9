"""History cannot be rewritten: not through the ORM, not through raw SQL."""

from __future__ import annotations

import hashlib
import importlib

import pytest
from sqlalchemy import func, inspect, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from quoting import services
from quoting.store.errors import RevisionImmutable
from quoting.store.models import AuditEvent, QuoteRevision, User
from tests.integration.conftest import QUOTE_DAY, example

guards = importlib.import_module("quoting.store.migrations.versions.0002_history_guards")

# A different value for each column, valid on SQLite and PostgreSQL alike.
TAMPERED = {
    "id": "id + 100000",
    "quote_id": "quote_id + 100000",
    "revision": "revision + 1",
    "request": "'{\"tampered\": true}'",
    "priced": "'{\"tampered\": true}'",
    "rules_version": "'XX-0000-00'",
    "exchange_rates": "'[{\"tampered\": true}]'",
    "language": "'pt'",
    "quote_date": "'2001-01-01'",
    "valid_until": "'2001-01-01'",
    "requires_approval": "NOT requires_approval",
    "program_currency": "'EUR'",
    "program_total_minor": "program_total_minor + 1",
    "license_currency": "'EUR'",
    "license_total_minor": "license_total_minor + 1",
    "author_id": "author_id + 100000",
    "created_at": "'2001-01-01 00:00:00'",
}


@pytest.fixture
def sent_revision(session: Session, sales: User) -> QuoteRevision:
    quote = services.create_quote(session, example("ar"), sales, QUOTE_DAY)
    services.send_quote(session, quote.ref, sales, QUOTE_DAY)
    return services.get_quote(session, quote.ref).revisions[0]


def _raw(session: Session, sql: str, **params: object) -> None:
    with session.begin_nested():
        session.execute(text(sql), params)


def test_the_guard_names_every_column_of_a_revision(session: Session) -> None:
    columns = {c["name"] for c in inspect(session.connection()).get_columns("quote_revisions")}

    assert columns == set(guards.REVISION_CONTENT_COLUMNS) | {"sent_at", "pdf_sha256"}
    assert set(TAMPERED) == set(guards.REVISION_CONTENT_COLUMNS)


def test_changing_a_sent_revision_through_the_orm_is_refused(
        session: Session, sent_revision: QuoteRevision) -> None:
    sent_revision.priced = {**sent_revision.priced, "requires_approval": True}

    with pytest.raises(RevisionImmutable, match="cannot be changed \\(priced\\)"):
        session.flush()


def test_an_orm_bulk_update_of_a_sent_revision_is_refused_by_the_database(
        session: Session, sent_revision: QuoteRevision) -> None:
    with pytest.raises(IntegrityError, match="immutable"), session.begin_nested():
        session.execute(update(QuoteRevision).where(QuoteRevision.id == sent_revision.id)
                        .values(rules_version="AR-1999-01"))


@pytest.mark.parametrize("column", sorted(TAMPERED))
def test_raw_sql_cannot_change_any_column_of_a_sent_revision(
        session: Session, sent_revision: QuoteRevision, column: str) -> None:
    with pytest.raises(IntegrityError, match="immutable"):
        _raw(session, f"UPDATE quote_revisions SET {column} = {TAMPERED[column]} WHERE id = :id",
             id=sent_revision.id)


def test_raw_sql_cannot_rewrite_a_draft_revision_either(session: Session, sales: User) -> None:
    quote = services.create_quote(session, example("mx"), sales, QUOTE_DAY)
    revision_id = quote.revisions[0].id

    with pytest.raises(IntegrityError, match="immutable"):
        _raw(session, "UPDATE quote_revisions SET priced = '{}' WHERE id = :id", id=revision_id)


def test_raw_sql_cannot_delete_a_revision(session: Session,
                                          sent_revision: QuoteRevision) -> None:
    with pytest.raises(IntegrityError, match="cannot be deleted"):
        _raw(session, "DELETE FROM quote_revisions WHERE id = :id", id=sent_revision.id)


def test_sent_at_cannot_be_cleared_or_moved(session: Session,
                                            sent_revision: QuoteRevision) -> None:
    for value in ("NULL", "'2030-01-01 00:00:00'"):
        with pytest.raises(IntegrityError, match="immutable"):
            _raw(session, f"UPDATE quote_revisions SET sent_at = {value} WHERE id = :id",
                 id=sent_revision.id)


def test_the_pdf_hash_can_be_set_once_from_null_and_never_changed(
        session: Session, sales: User) -> None:
    draft = services.create_quote(session, example("ar"), sales, QUOTE_DAY)
    revision = services.get_quote(session, draft.ref).revisions[0]
    _raw(session, "UPDATE quote_revisions SET pdf_sha256 = :h WHERE id = :id",
         h="a" * 64, id=revision.id)

    for value in ("b" * 64, None):
        with pytest.raises(IntegrityError, match="immutable"):
            _raw(session, "UPDATE quote_revisions SET pdf_sha256 = :h WHERE id = :id",
                 h=value, id=revision.id)


def test_a_sent_revision_has_its_pdf_kept_and_its_hash_recorded_in_the_same_step(
        session: Session, sent_revision: QuoteRevision) -> None:
    kept = services.archived_pdf(session, sent_revision.quote.ref, 1)

    assert kept is not None
    assert hashlib.sha256(kept).hexdigest() == sent_revision.pdf_sha256


def test_the_sent_revision_reads_the_same_after_every_refused_attempt(
        session: Session, sent_revision: QuoteRevision) -> None:
    before = services.revision_snapshot(session, sent_revision.quote.ref, 1)
    for column in TAMPERED:
        with pytest.raises(IntegrityError):
            _raw(session, f"UPDATE quote_revisions SET {column} = {TAMPERED[column]} "
                          f"WHERE id = :id", id=sent_revision.id)
    session.expire_all()

    assert services.revision_snapshot(session, sent_revision.quote.ref, 1) == before


@pytest.mark.parametrize("statement", [
    "UPDATE audit_events SET actor = 'someone else'",
    "DELETE FROM audit_events",
    "UPDATE approval_decisions SET reason = 'rewritten'",
    "DELETE FROM approval_decisions",
])
def test_audit_records_are_append_only(session: Session, sales: User, statement: str) -> None:
    quote = services.create_quote(session, example("mx", discount_percent="15"), sales,
                                  QUOTE_DAY)
    approver = services.create_user(session, "boss@example.com", "Boss", "admin",
                                    "a long enough password")
    services.approve_discount(session, quote.ref, approver, "fine")
    assert session.scalar(select(func.count()).select_from(AuditEvent))

    with pytest.raises(IntegrityError, match="append-only"):
        _raw(session, statement)


@pytest.mark.parametrize("statement", [
    "UPDATE revision_pdfs SET pdf = :other",
    "UPDATE revision_pdfs SET sha256 = 'tampered'",
    "DELETE FROM revision_pdfs",
])
def test_a_kept_pdf_cannot_be_replaced_or_deleted(
        session: Session, sent_revision: QuoteRevision, statement: str) -> None:
    as_sent = services.archived_pdf(session, sent_revision.quote.ref, 1)

    with pytest.raises(IntegrityError, match="append-only"):
        _raw(session, statement, other=b"%PDF-1.7 altered")

    assert as_sent is not None
    assert services.archived_pdf(session, sent_revision.quote.ref, 1) == as_sent


def test_only_a_sent_revisions_pdf_is_kept(session: Session, sales: User) -> None:
    draft = services.create_quote(session, example("pe"), sales, QUOTE_DAY)

    with pytest.raises(services.Conflict, match="was not sent"):
        services.archive_pdf(session, draft.ref, 1, b"%PDF-1.7")
    assert services.archived_pdf(session, draft.ref, 1) is None


def test_a_kept_pdf_is_the_one_whose_hash_the_revision_records(
        session: Session, sent_revision: QuoteRevision) -> None:
    number = sent_revision.quote.ref
    as_sent = services.archived_pdf(session, number, 1)
    assert as_sent is not None
    digest = services.archive_pdf(session, number, 1, as_sent)  # the same bytes: fine

    assert services.get_quote(session, number).revisions[0].pdf_sha256 == digest
    with pytest.raises(services.Conflict, match="already has PDF SHA-256"):
        services.archive_pdf(session, number, 1, b"%PDF-1.7 something else")
