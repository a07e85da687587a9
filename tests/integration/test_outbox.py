"""The proposal emailed through the outbox: queued with the send, delivered to a real
SMTP server on 127.0.0.1 with the PDF kept as sent, retried with backoff when the
server refuses, failed after five attempts, and written as .eml without MAIL_URL."""

from __future__ import annotations

import email
import hashlib
from collections.abc import Callable, Iterator
from datetime import timedelta
from email import policy
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from quoting import services
from quoting.errors import QuoteInputError
from quoting.store.models import Quote, User
from quoting.store.outbox import OutboxMessage
from tests.integration.conftest import NOW, PASSWORD, QUOTE_DAY, example
from tests.smtp_server import SmtpServer, smtp_server  # noqa: F401  (fixture)

PUBLIC = "https://quotes.example.com"
SENDER = "Proposals <proposals@acme.example>"


@pytest.fixture
def factory(fresh_engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(fresh_engine, expire_on_commit=False)


@pytest.fixture
def seller(factory: sessionmaker[Session]) -> User:
    with factory() as session:
        user = services.create_user(session, "ana@example.com", "Ana Ventas", "sales", PASSWORD)
        session.commit()
        return user


@pytest.fixture
def draft(factory: sessionmaker[Session], seller: User) -> Callable[..., Quote]:
    def make(market: str = "MX", **changes: object) -> Quote:
        with factory() as session:
            quote = services.create_quote(session, example(market, date=QUOTE_DAY.isoformat(),
                                                           **changes), seller)
            session.commit()
            return quote

    return make


def queue(factory: sessionmaker[Session], seller: User, ref: str,
          recipients: object = ("cfo@client.example", "cto@client.example"),
          **kwargs: object) -> OutboxMessage:
    with factory() as session:
        message = services.send_to_client(
            session, ref, seller, recipients=recipients, subject=None, body=None,  # type: ignore[arg-type]
            seen_revision=None, public_url=PUBLIC, today=QUOTE_DAY, now=NOW, **kwargs)  # type: ignore[arg-type]
        session.commit()
        return message


def state(factory: sessionmaker[Session], message_id: int) -> OutboxMessage:
    with factory() as session:
        return session.get_one(OutboxMessage, message_id)


def test_a_draft_is_sent_and_emailed_with_the_kept_pdf_and_a_link_that_opens(
        factory: sessionmaker[Session], seller: User, draft: Callable[..., Quote],
        smtp_server: SmtpServer) -> None:  # noqa: F811
    quote = draft("MX")
    message = queue(factory, seller, quote.ref)
    with factory() as session:
        stored = session.get_one(Quote, quote.id)
        assert stored.status == "sent"
        assert stored.number
        number, sha256 = stored.number, stored.revisions[-1].pdf_sha256
        assert session.get_one(OutboxMessage, message.id).state == "queued"
    mailer = services.SmtpMailer(smtp_server.url, SENDER)
    done = services.deliver_due(factory, mailer=mailer, now=NOW)
    assert [d.state for d in done] == ["sent"]
    assert state(factory, message.id).sent_at == NOW

    [envelope] = smtp_server.handler.envelopes
    assert sorted(envelope.rcpt_tos) == ["cfo@client.example", "cto@client.example"]
    received = email.message_from_bytes(envelope.content, policy=policy.default)
    assert received["Subject"] == f"Propuesta {number} para {stored.client_name}"
    assert received["From"] == SENDER
    assert received["Message-ID"]
    assert received["Date"]
    assert received.get_content_type() == "multipart/mixed"
    parts = [part.get_content_type() for part in received.iter_parts()]
    assert parts == ["text/plain", "application/pdf"]
    text_part, pdf_part = received.iter_parts()
    assert pdf_part.get_filename() == f"{number}-r1.pdf"
    assert hashlib.sha256(pdf_part.get_content()).hexdigest() == sha256
    body = text_part.get_content()
    assert "Le enviamos adjunta nuestra propuesta" in body
    token = body.split(f"{PUBLIC}/p/")[1].split()[0]
    with factory() as session:
        view = services.open_client_link(session, token, now=NOW)
        assert view.number == number
        assert view.pdf_sha256 == sha256


def test_spain_says_presupuesto_and_english_proposals_are_emailed_in_english(
        factory: sessionmaker[Session], seller: User, draft: Callable[..., Quote]) -> None:
    spain_id = queue(factory, seller, draft("ES").ref).quote_id
    english_id = queue(factory, seller, draft("MX", language="en").ref).quote_id
    with factory() as session:
        spain = session.get_one(Quote, spain_id)
        subject, body = services.default_message(spain, "LINK", "es")
        assert subject.startswith("Presupuesto ")
        assert "nuestro presupuesto" in body
        english = session.get_one(Quote, english_id)
        message = session.scalars(select(OutboxMessage).where(
            OutboxMessage.quote_id == english_id)).one()
        assert message.language == "en"
        assert message.subject.startswith("Proposal ")
        subject, body = services.default_message(english, "LINK", "en")
        assert subject.startswith("Proposal ")
        assert "LINK" in body
        subject, body = services.default_message(english, "LINK", "pt")
        assert subject.startswith("Proposta ")
        assert "Atenciosamente" in body


@pytest.fixture
def refusing_server(smtp_server: SmtpServer) -> Iterator[SmtpServer]:  # noqa: F811
    smtp_server.handler.refuse = "451 try later"
    return smtp_server


def test_a_refusing_server_leaves_the_message_queued_until_a_later_run_delivers_it(
        factory: sessionmaker[Session], seller: User, draft: Callable[..., Quote],
        refusing_server: SmtpServer) -> None:
    message = queue(factory, seller, draft().ref)
    mailer = services.SmtpMailer(refusing_server.url, SENDER)
    services.deliver_due(factory, mailer=mailer, now=NOW)
    after = state(factory, message.id)
    assert (after.state, after.attempts) == ("queued", 1)
    assert after.next_attempt_at == NOW + timedelta(minutes=1)
    assert after.last_error is not None
    assert "451" in after.last_error
    # Not due yet: nothing is attempted.
    assert services.deliver_due(factory, mailer=mailer, now=NOW + timedelta(seconds=30)) == []
    refusing_server.handler.refuse = None
    done = services.deliver_due(factory, mailer=mailer, now=NOW + timedelta(minutes=1))
    assert [d.state for d in done] == ["sent"]
    assert state(factory, message.id).attempts == 2
    assert len(refusing_server.handler.envelopes) == 1


def test_five_refusals_mark_the_message_failed_with_the_servers_answer(
        factory: sessionmaker[Session], seller: User, draft: Callable[..., Quote],
        refusing_server: SmtpServer) -> None:
    message = queue(factory, seller, draft().ref)
    mailer = services.SmtpMailer(refusing_server.url, SENDER)
    waits = []
    for attempt in range(5):
        before = state(factory, message.id).next_attempt_at
        services.deliver_due(factory, mailer=mailer, now=before)
        after = state(factory, message.id)
        if attempt < 4:
            waits.append(after.next_attempt_at - before)
    assert waits == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert (after.state, after.attempts) == ("failed", 5)
    assert "451 try later" in (after.last_error or "")
    assert services.deliver_due(factory, mailer=mailer, now=NOW + timedelta(days=1)) == []


def test_without_mail_url_the_message_is_written_as_an_eml_file(
        factory: sessionmaker[Session], seller: User, draft: Callable[..., Quote],
        tmp_path: Path) -> None:
    message = queue(factory, seller, draft().ref, recipients="cfo@client.example")
    outbox = tmp_path / "outbox"
    mailer = services.mailer_for(None, SENDER, outbox)
    assert [d.state for d in services.deliver_due(factory, mailer=mailer, now=NOW)] == ["sent"]
    [written] = list(outbox.glob("*.eml"))
    parsed = email.message_from_bytes(written.read_bytes(), policy=policy.default)
    assert parsed["To"] == "cfo@client.example"
    assert state(factory, message.id).state == "sent"


@pytest.mark.parametrize(("recipients", "named"), [
    ("", "at least one"),
    ("cfo@client.example, not-an-address", "not-an-address"),
    ([f"p{i}@client.example" for i in range(11)], "at most 10"),
    ("a@b", "a@b"),
])
def test_bad_recipients_are_refused_before_anything_is_sent(
        factory: sessionmaker[Session], seller: User, draft: Callable[..., Quote],
        recipients: object, named: str) -> None:
    quote = draft()
    with factory() as session, pytest.raises(QuoteInputError) as raised:
        services.send_to_client(session, quote.ref, seller, recipients=recipients,  # type: ignore[arg-type]
                                subject=None, body=None, seen_revision=None,
                                public_url=PUBLIC, today=QUOTE_DAY, now=NOW)
    [problem] = raised.value.problems
    assert problem.field == "recipients"
    assert named in problem.message
    with factory() as session:
        assert session.get_one(Quote, quote.id).status == "draft"
        assert session.scalars(select(OutboxMessage)).all() == []


def test_recipients_are_split_and_deduplicated() -> None:
    assert services.parse_recipients("a@x.example; B@x.example,  a@X.example") == [
        "a@x.example", "B@x.example"]
