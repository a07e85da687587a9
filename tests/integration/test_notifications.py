"""What the desk tells its users, and the client's receipt: each notice once, on the
desk and by mail in the user's language; each decision's receipt kept and emailed."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date, timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from quoting import services
from quoting.cli import main
from quoting.errors import QuoteInputError
from quoting.services.messages import DESK_PLACEHOLDER
from quoting.store.client_links import ClientReceipt
from quoting.store.models import Quote, User
from quoting.store.notifications import Notification
from quoting.store.outbox import OutboxMessage
from tests.conftest import quick_receipt
from tests.integration.conftest import NOW, PASSWORD, QUOTE_DAY, example

EVIDENCE = {"signer_name": "Lucía Fernández", "signer_position": "Directora de Operaciones",
            "authorised": True, "po_number": "OC-7781", "reason": None,
            "ip": "203.0.113.9", "user_agent": "Mozilla/5.0 Test/1.0"}


def _sent(session: Session, user: User, market: str = "mx", **changes: object) -> Quote:
    quote = services.create_quote(session, example(market, **changes), user, QUOTE_DAY,
                                  now=NOW)
    return services.send_quote(session, quote.ref, user, QUOTE_DAY, now=NOW)


def _emailed_to_client(session: Session, quote: Quote, user: User) -> str:
    """Email the sent quote to the client; the private link's token."""
    message = services.send_to_client(session, str(quote.number), user,
                                      recipients="compras@cliente.example, ana@cliente.example",
                                      subject=None, body=None, seen_revision=None,
                                      public_url="https://quotes.example", now=NOW)
    return message.body.split("https://quotes.example/p/")[1].split()[0]


def _notices(session: Session, user: User) -> list[Notification]:
    return list(session.scalars(select(Notification).where(Notification.user_id == user.id)
                                .order_by(Notification.id)))


def _notice_emails(session: Session, user: User) -> list[OutboxMessage]:
    return [m for m in session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "notice").order_by(OutboxMessage.id)) if m.recipients == [user.email]]


# ---------------------------------------------------------------- the client's actions


def test_the_owner_is_told_once_when_the_client_first_opens_the_link(
        session: Session, sales: User) -> None:
    quote = _sent(session, sales)
    token = _emailed_to_client(session, quote, sales)

    services.open_client_link(session, token, now=NOW)
    services.open_client_link(session, token, now=NOW + timedelta(hours=1))
    services.open_client_link(session, token, now=NOW + timedelta(hours=2),
                              record_view=False)  # a desk user's look

    [notice] = _notices(session, sales)
    assert (notice.kind, notice.revision, notice.read_at) == ("client_opened", 1, None)
    [email] = _notice_emails(session, sales)
    assert email.language == "es"
    assert email.subject == f"{quote.client_name} abrió la propuesta {quote.number}"
    assert f"{DESK_PLACEHOLDER}/quotes/{quote.number}" in email.body
    assert services.unread_count(session, sales) == 1


def test_the_owner_is_told_of_the_acceptance_with_its_signer_and_po_in_their_language(
        session: Session, sales: User) -> None:
    services.set_language(session, sales, "en")
    quote = _sent(session, sales)
    token = _emailed_to_client(session, quote, sales)

    services.decide_by_client(session, token, "accept", **EVIDENCE, now=NOW)

    kinds = [n.kind for n in _notices(session, sales)]
    assert kinds == ["client_accepted"]
    email = _notice_emails(session, sales)[-1]
    assert email.subject == f"{quote.client_name} accepted proposal {quote.number}"
    assert "Lucía Fernández (Directora de Operaciones)" in email.body
    assert "OC-7781" in email.body
    [view] = services.notices_for(session, sales, "pt")
    assert view.text == f"{quote.client_name} aceitou a proposta {quote.number}"


def test_a_decline_tells_the_owner_the_reason(session: Session, sales: User) -> None:
    quote = _sent(session, sales)
    token = _emailed_to_client(session, quote, sales)

    services.decide_by_client(session, token, "decline", reason="Presupuesto 2027 cerrado",
                              now=NOW)

    [notice] = _notices(session, sales)
    assert notice.kind == "client_declined"
    assert "Presupuesto 2027 cerrado" in _notice_emails(session, sales)[-1].body


# ---------------------------------------------------------------- discounts


def test_a_discount_above_the_limit_tells_every_active_manager_but_its_author(
        session: Session, sales: User, make_user: Callable[..., User]) -> None:
    finance, admin, retired = make_user("finance"), make_user("admin"), make_user("finance")
    services.deactivate_user(session, retired.email, admin)
    finance_author = make_user("finance")

    quote = services.create_quote(session, example("mx", discount_percent="25"),
                                  finance_author, QUOTE_DAY, now=NOW)

    assert quote.status == "pending_approval"
    told = {n.user_id for n in session.scalars(select(Notification).where(
        Notification.quote_id == quote.id, Notification.kind == "approval_needed"))}
    assert told == {finance.id, admin.id}
    [line] = [v.text for v in services.notices_for(session, finance, "es")]
    assert line == f"{quote.ref} para {quote.client_name} espera tu aprobación del descuento"
    email = _notice_emails(session, finance)[-1]
    assert "un descuento del 25%, por encima del límite de MX" in email.body


def test_a_revision_that_still_needs_approval_tells_the_managers_again(
        session: Session, sales: User, finance: User) -> None:
    quote = services.create_quote(session, example("mx", discount_percent="25"), sales,
                                  QUOTE_DAY, now=NOW)
    services.revise_quote(session, quote.ref, example("mx", discount_percent="30"), sales,
                          QUOTE_DAY, now=NOW)

    assert [(n.kind, n.revision) for n in _notices(session, finance)] == [
        ("approval_needed", 1), ("approval_needed", 2)]


def test_the_owner_is_told_the_discount_decision_and_its_reason(
        session: Session, sales: User, finance: User) -> None:
    quote = services.create_quote(session, example("mx", discount_percent="25"), sales,
                                  QUOTE_DAY, now=NOW)
    services.reject_discount(session, quote.ref, finance, "Margen insuficiente", now=NOW)

    [notice] = _notices(session, sales)
    assert (notice.kind, notice.detail["by"]) == ("discount_rejected", finance.name)
    assert "Margen insuficiente" in _notice_emails(session, sales)[-1].body


# ---------------------------------------------------------------- expiring quotes


def test_remind_tells_owners_once_about_sent_quotes_expiring_within_the_days(
        session: Session, sales: User) -> None:
    soon = _sent(session, sales, date="2026-11-20")
    later = _sent(session, sales)
    decided = _sent(session, sales)
    services.accept_quote(session, str(decided.number), sales, now=NOW)
    first_day = soon.valid_until - timedelta(days=2)
    assert later.valid_until > soon.valid_until + timedelta(days=3)

    told = services.remind_expiring(session, 3, first_day, now=NOW)
    again = services.remind_expiring(session, 3, first_day + timedelta(days=1), now=NOW)

    assert [q.ref for q in told] == [soon.ref]
    assert again == []
    [notice] = [n for n in _notices(session, sales) if n.kind == "expiring"]
    assert notice.detail["days_left"] == 2
    assert notice.quote_id == soon.id


def test_remind_refuses_a_window_it_cannot_use(session: Session) -> None:
    with pytest.raises(QuoteInputError) as refused:
        services.remind_expiring(session, 61, date(2026, 12, 1))
    assert refused.value.problems[0].field == "days"


def test_reading_the_notices_marks_them_read(session: Session, sales: User) -> None:
    quote = _sent(session, sales)
    token = _emailed_to_client(session, quote, sales)
    services.open_client_link(session, token, now=NOW)

    assert services.mark_read(session, sales, now=NOW) == 1
    assert services.unread_count(session, sales) == 0
    assert [n.read for n in services.notices_for(session, sales, "es")] == [True]


# ---------------------------------------------------------------- receipts


def test_an_acceptance_gets_a_receipt_kept_and_emailed_to_whom_the_proposal_went(
        session: Session, sales: User) -> None:
    quote = _sent(session, sales)
    token = _emailed_to_client(session, quote, sales)
    decision = services.decide_by_client(session, token, "accept", **EVIDENCE, now=NOW)
    session.commit()

    receipt = services.issue_receipt(session, decision, now=NOW)
    session.commit()
    again = services.issue_receipt(session, decision, now=NOW)

    assert again.id == receipt.id
    assert receipt.pdf.startswith(b"%PDF")
    assert receipt.sha256 == hashlib.sha256(receipt.pdf).hexdigest()
    [email] = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "receipt"))
    assert email.recipients == ["compras@cliente.example", "ana@cliente.example"]
    assert email.receipt_id == receipt.id
    assert email.language == "es"
    assert decision.pdf_sha256 in email.body
    view = services.quote_view(session, services.get_quote(session, str(quote.number)))
    assert view["acceptance"]["receipt"]["sha256"] == receipt.sha256


def test_a_receipt_shows_the_evidence_it_was_made_from(session: Session,
                                                       sales: User) -> None:
    quote = _sent(session, sales, "es")
    token = _emailed_to_client(session, quote, sales)
    decision = services.decide_by_client(session, token, "accept", **EVIDENCE, now=NOW)
    session.commit()
    seen: list[dict[str, object]] = []

    def render(snapshot: dict[str, object], evidence: dict[str, object]) -> bytes:
        seen.append(evidence)
        return quick_receipt(snapshot, evidence)

    services.issue_receipt(session, decision, now=NOW, render=render)  # type: ignore[arg-type]

    [evidence] = seen
    assert evidence["signer_name"] == "Lucía Fernández"
    assert evidence["pdf_sha256"] == decision.pdf_sha256
    subject = session.scalars(select(OutboxMessage.subject).where(
        OutboxMessage.kind == "receipt")).one()
    assert subject == f"Aceptación del presupuesto {quote.number} registrada"  # Spain


def test_a_kept_receipt_cannot_be_changed_or_deleted(session: Session, sales: User) -> None:
    quote = _sent(session, sales)
    token = _emailed_to_client(session, quote, sales)
    decision = services.decide_by_client(session, token, "decline", now=NOW)
    session.commit()
    receipt = services.issue_receipt(session, decision, now=NOW)
    session.commit()

    for statement in ("UPDATE client_receipts SET sha256 = 'x' WHERE id = :id",
                      "DELETE FROM client_receipts WHERE id = :id"):
        with pytest.raises(DBAPIError), session.begin_nested():
            session.execute(text(statement), {"id": receipt.id})
    assert session.get(ClientReceipt, receipt.id) is not None


def test_remind_from_the_command_line_writes_the_notices_and_sends_their_emails(
        fresh_engine: Engine, fresh_database_url: str, monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    with Session(fresh_engine, expire_on_commit=False) as session:
        owner = services.create_user(session, "ana@example.com", "Ana", "sales", PASSWORD)
        session.commit()
        quote = _sent(session, owner)
        session.commit()
    monkeypatch.setenv("DATABASE_URL", fresh_database_url)
    monkeypatch.setenv("OUTBOX_DIR", str(tmp_path))
    monkeypatch.delenv("MAIL_URL", raising=False)
    monkeypatch.delenv("QUEUE_URL", raising=False)
    day = (quote.valid_until - timedelta(days=1)).isoformat()

    result = CliRunner().invoke(main, ["remind", "--days", "3", "--today", day])
    again = CliRunner().invoke(main, ["remind", "--days", "3", "--today", day])

    assert result.exit_code == 0, result.output
    assert f"{quote.number}: ana@example.com reminded" in result.output
    assert "1 reminder(s) written" in result.output
    assert "0 reminder(s) written" in again.output
    [eml] = list(tmp_path.glob("*.eml"))
    message = BytesParser(policy=policy.default).parsebytes(eml.read_bytes())
    assert message["To"] == "ana@example.com"
    assert str(message["Subject"]).startswith(f"{quote.number} para {quote.client_name} vence")
    assert f"http://127.0.0.1:8000/quotes/{quote.number}" in message.get_content()
