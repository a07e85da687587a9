"""The client's side in the service layer: private links to a sent revision, views,
and the client's acceptance or refusal recorded as append-only evidence."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from quoting import services
from quoting.cli import main
from quoting.errors import QuoteInputError
from quoting.services import Refused
from quoting.store.client_links import ClientDecision, ClientLink
from quoting.store.models import AuditEvent, Quote, User
from tests.integration.conftest import NOW, PASSWORD, QUOTE_DAY, example

EVIDENCE = {"signer_name": "Lucía Fernández", "signer_position": "Directora de Operaciones",
            "authorised": True, "po_number": "OC-7781", "reason": None,
            "ip": "203.0.113.9", "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Test/1.0"}


def _sent(session: Session, user: User, market: str = "mx", **changes: object) -> Quote:
    quote = services.create_quote(session, example(market, **changes), user, QUOTE_DAY,
                                  now=NOW)
    return services.send_quote(session, quote.ref, user, QUOTE_DAY, now=NOW)


def _link(session: Session, quote: Quote, user: User,
          now: datetime = NOW) -> tuple[ClientLink, str]:
    return services.create_client_link(session, str(quote.number), user, now=now)


def _refusal(call: object, code: str) -> Refused:
    assert callable(call)
    with pytest.raises(Refused) as refused:
        call()
    assert refused.value.code == code, refused.value
    return refused.value


def _events(session: Session, quote: Quote, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(
        AuditEvent.quote_id == quote.id, AuditEvent.action == action)))


# ---------------------------------------------------------------- links


def test_a_token_has_256_random_bits_and_only_its_sha256_is_stored(
        session: Session, sales: User) -> None:
    quote = _sent(session, sales)
    link, token = _link(session, quote, sales)
    _other, other_token = _link(session, quote, sales)

    assert len(base64.urlsafe_b64decode(token + "=")) == 32  # 256 bits, at least 128
    assert token != other_token
    assert link.token_sha256 == hashlib.sha256(token.encode()).hexdigest()
    row = session.execute(text("SELECT * FROM client_links WHERE id = :id"),
                          {"id": link.id}).mappings().one()
    assert token not in json.dumps({k: str(v) for k, v in row.items()})
    events = _events(session, quote, "link.create")
    assert len(events) == 2
    assert token not in json.dumps([e.detail for e in events])
    assert link.revision == 1
    assert link.created_by_id == sales.id
    # The end (UTC) of the revision's last valid day.
    valid_until = services.get_quote(session, str(quote.number)).revisions[0].valid_until
    assert link.expires_at == datetime.combine(valid_until + timedelta(days=1),
                                               datetime.min.time(), tzinfo=UTC)


def test_only_a_sent_quote_gets_a_link_and_only_from_its_editors(
        session: Session, sales: User, make_user: object) -> None:
    draft = services.create_quote(session, example("mx"), sales, QUOTE_DAY, now=NOW)
    _refusal(lambda: services.create_client_link(session, draft.ref, sales), "not_sent")
    quote = _sent(session, sales)
    assert callable(make_user)
    stranger = make_user("sales")
    _refusal(lambda: services.create_client_link(session, str(quote.number), stranger),
             "not_editor")
    _refusal(lambda: services.create_client_link(session, str(quote.number), sales,
                                                 seen_revision=2), "stale_revision")


@pytest.mark.parametrize("tampered", [
    "", "x", "../../etc/passwd", "A" * 43, "A" * 500, "ñ" * 43, "flip-the-last-character"])
def test_an_unknown_or_tampered_token_opens_nothing(
        session: Session, sales: User, tampered: str) -> None:
    quote = _sent(session, sales)
    _link_row, token = _link(session, quote, sales)
    if tampered == "flip-the-last-character":
        tampered = token[:-1] + ("A" if token[-1] != "A" else "B")

    refused = _refusal(lambda: services.open_client_link(session, tampered, now=NOW),
                       "link_unknown")
    assert refused.params == {}  # says nothing about any quote
    _refusal(lambda: services.decide_by_client(session, tampered, "accept", **EVIDENCE,
                                               now=NOW), "link_unknown")


def test_a_link_expires_at_the_end_of_the_validity_day(session: Session,
                                                       sales: User) -> None:
    quote = _sent(session, sales)
    link, token = _link(session, quote, sales)

    services.open_client_link(session, token, now=link.expires_at - timedelta(seconds=1))
    refused = _refusal(lambda: services.open_client_link(session, token,
                                                         now=link.expires_at),
                       "link_expired")
    assert refused.params["language"] == "es"
    _refusal(lambda: services.decide_by_client(session, token, "accept", **EVIDENCE,
                                               now=link.expires_at), "link_expired")


def test_an_expired_quote_s_link_is_expired(session: Session, sales: User) -> None:
    quote = _sent(session, sales)
    _link_row, token = _link(session, quote, sales)
    services.expire_due(session, quote.valid_until + timedelta(days=1), now=NOW)

    _refusal(lambda: services.open_client_link(session, token, now=NOW), "link_expired")


def test_a_withdrawn_quote_s_link_says_so(session: Session, sales: User) -> None:
    quote = _sent(session, sales)
    _link_row, token = _link(session, quote, sales)
    services.withdraw_quote(session, str(quote.number), sales, reason="budget moved")

    _refusal(lambda: services.open_client_link(session, token, now=NOW), "link_withdrawn")
    _refusal(lambda: services.decide_by_client(session, token, "accept", **EVIDENCE,
                                               now=NOW), "link_withdrawn")


def test_a_link_to_an_older_revision_is_superseded_by_a_newer_one(
        session: Session, sales: User) -> None:
    quote = _sent(session, sales)
    number = str(quote.number)
    old_link, old_token = _link(session, quote, sales)
    services.revise_quote(session, number, example("mx", duration_weeks=9), sales,
                          QUOTE_DAY, now=NOW)

    # Revised but not sent again: the old revision is no longer on offer.
    draft_refusal = _refusal(lambda: services.open_client_link(session, old_token, now=NOW),
                             "link_superseded")
    assert draft_refusal.params["newer_sent_on"] is None  # nothing newer was sent yet
    services.send_quote(session, number, sales, QUOTE_DAY, now=NOW)
    new_link, new_token = _link(session, quote, sales)

    session.refresh(old_link)
    assert old_link.superseded_by_revision == 2
    refused = _refusal(lambda: services.open_client_link(session, old_token, now=NOW),
                       "link_superseded")
    # The day the newer revision was sent where the client is (Mexico City).
    assert refused.params == {"revision": 1, "newer_revision": 2, "language": "es",
                              "market": "MX", "newer_sent_on": "2026-11-25"}
    assert new_token not in json.dumps(refused.params) + refused.message
    _refusal(lambda: services.decide_by_client(session, old_token, "accept", **EVIDENCE,
                                               now=NOW), "link_superseded")
    opened = services.open_client_link(session, new_token, now=NOW)
    assert opened.link.id == new_link.id
    assert opened.snapshot["revision"] == 2
    assert opened.snapshot["request"]["duration_weeks"] == 9


def test_a_link_opened_then_revised_by_the_desk_cannot_be_accepted(
        session: Session, sales: User) -> None:
    quote = _sent(session, sales)
    _link_row, token = _link(session, quote, sales)
    services.open_client_link(session, token, now=NOW)
    services.revise_quote(session, str(quote.number), example("mx", cases=3), sales,
                          QUOTE_DAY, now=NOW)

    _refusal(lambda: services.decide_by_client(session, token, "accept", **EVIDENCE,
                                               now=NOW), "link_superseded")
    assert session.scalars(select(ClientDecision)).all() == []


def test_views_are_counted_and_the_first_one_is_audited(session: Session,
                                                        sales: User) -> None:
    quote = _sent(session, sales)
    link, token = _link(session, quote, sales)
    assert (link.first_viewed_at, link.view_count) == (None, 0)

    first = services.open_client_link(session, token, now=NOW)
    for minutes in (5, 60):
        services.open_client_link(session, token, now=NOW + timedelta(minutes=minutes))
    services.open_client_link(session, token, now=NOW + timedelta(hours=2),
                              record_view=False)  # a desk user's look does not count

    session.refresh(link)
    assert link.view_count == 3
    assert link.first_viewed_at == NOW
    assert first.number == quote.number
    assert first.snapshot["status"] == "sent"
    assert first.pdf_sha256 == services.get_quote(session, str(quote.number)
                                                  ).revisions[0].pdf_sha256
    views = _events(session, quote, "link.view")
    assert [(e.at, e.actor, e.revision) for e in views] == [(NOW, "system", 1)]
    view = services.quote_view(session, services.get_quote(session, str(quote.number)))
    assert view["acceptance"] is None
    assert view["client_links"] == [{
        "revision": 1, "created_at": NOW.isoformat(), "first_viewed_at": NOW.isoformat(),
        "view_count": 3, "expires_at": link.expires_at.isoformat(), "superseded": False}]


# ---------------------------------------------------------------- decisions


def test_accepting_records_every_piece_of_evidence(session: Session, sales: User) -> None:
    quote = _sent(session, sales)
    number = str(quote.number)
    link, token = _link(session, quote, sales)
    services.open_client_link(session, token, now=NOW)
    at = NOW + timedelta(minutes=7)

    decision = services.decide_by_client(session, token, "accept", **EVIDENCE, now=at)

    revision = services.get_quote(session, number).revisions[0]
    kept = services.archived_pdf(session, number, 1)
    assert kept is not None
    assert decision.pdf_sha256 == revision.pdf_sha256 == hashlib.sha256(kept).hexdigest()
    assert (decision.decision, decision.revision, decision.link_id) == ("accepted", 1, link.id)
    assert decision.signer_name == "Lucía Fernández"
    assert decision.signer_position == "Directora de Operaciones"
    assert decision.authorised is True
    assert decision.po_number == "OC-7781"
    assert decision.reason is None
    assert decision.decided_at == at
    assert decision.ip == "203.0.113.9"
    assert decision.user_agent == EVIDENCE["user_agent"]
    stored = services.get_quote(session, number)
    assert stored.status == "accepted"
    [event] = _events(session, quote, "quote.accept_by_client")
    assert (event.actor, event.actor_id, event.from_status, event.to_status) == (
        "system", None, "sent", "accepted")
    expected = {"decision": "accepted", "revision": 1, "signer_name": "Lucía Fernández",
                "signer_position": "Directora de Operaciones", "authorised": True,
                "po_number": "OC-7781", "reason": None, "decided_at": at.isoformat(),
                "ip": "203.0.113.9", "user_agent": EVIDENCE["user_agent"],
                "pdf_sha256": revision.pdf_sha256, "link_id": link.id}
    assert event.detail == expected
    # The receipt is issued once the decision is committed (services.issue_receipt).
    assert services.quote_view(session, stored)["acceptance"] == {**expected, "receipt": None}
    # The link keeps showing the proposal with its decision.
    opened = services.open_client_link(session, token, now=at + timedelta(days=90))
    assert opened.status == "accepted"
    assert opened.decision is not None
    assert opened.decision.id == decision.id


@pytest.mark.parametrize(("missing", "fields"), [
    ({"signer_name": "  "}, {"signer_name"}),
    ({"signer_position": ""}, {"signer_position"}),
    ({"authorised": False}, {"authorised"}),
    ({"signer_name": None, "signer_position": None, "authorised": False},
     {"signer_name", "signer_position", "authorised"}),
    ({"po_number": "P" * 101}, {"po_number"}),
])
def test_accepting_needs_name_position_and_authority(
        session: Session, sales: User, missing: dict[str, object], fields: set[str]) -> None:
    quote = _sent(session, sales)
    _link_row, token = _link(session, quote, sales)

    with pytest.raises(QuoteInputError) as refused:
        services.decide_by_client(session, token, "accept", **{**EVIDENCE, **missing},
                                  now=NOW)

    assert {p.field for p in refused.value.problems} == fields
    assert session.scalars(select(ClientDecision)).all() == []
    assert services.get_quote(session, str(quote.number)).status == "sent"


def test_a_decline_with_a_reason_is_recorded(session: Session, sales: User) -> None:
    quote = _sent(session, sales)
    _link_row, token = _link(session, quote, sales)

    decision = services.decide_by_client(
        session, token, "decline", reason="  We chose to run it in-house next year. ",
        ip="198.51.100.4", user_agent="Browser", now=NOW)

    assert decision.decision == "declined"
    assert decision.reason == "We chose to run it in-house next year."
    assert (decision.signer_name, decision.signer_position, decision.authorised) == (
        None, None, False)
    assert decision.pdf_sha256 is not None
    assert services.get_quote(session, str(quote.number)).status == "declined"
    [event] = _events(session, quote, "quote.decline_by_client")
    assert event.detail["reason"] == "We chose to run it in-house next year."


def test_a_second_decision_is_refused(session: Session, sales: User) -> None:
    quote = _sent(session, sales)
    _first, token = _link(session, quote, sales)
    _second, other_token = _link(session, quote, sales)
    services.decide_by_client(session, token, "accept", **EVIDENCE, now=NOW)

    for link_token in (token, other_token):
        for decision in ("accept", "decline"):
            refused = _refusal(lambda t=link_token, d=decision: services.decide_by_client(
                session, t, d, **EVIDENCE, now=NOW), "already_decided")
            assert refused.params == {"decision": "accepted"}
    assert len(session.scalars(select(ClientDecision)).all()) == 1


def test_a_quote_the_desk_marked_accepted_cannot_be_answered_online(
        session: Session, sales: User) -> None:
    quote = _sent(session, sales)
    _link_row, token = _link(session, quote, sales)
    services.accept_quote(session, str(quote.number), sales, QUOTE_DAY)

    opened = services.open_client_link(session, token, now=NOW)
    assert (opened.status, opened.decision) == ("accepted", None)
    _refusal(lambda: services.decide_by_client(session, token, "decline", now=NOW),
             "already_decided")


def test_an_unknown_decision_is_an_input_error(session: Session, sales: User) -> None:
    quote = _sent(session, sales)
    _link_row, token = _link(session, quote, sales)

    with pytest.raises(QuoteInputError, match="decision"):
        services.decide_by_client(session, token, "maybe", now=NOW)


def test_validity_ended_in_the_market_refuses_a_decision(session: Session,
                                                         sales: User) -> None:
    """Madrid is an hour ahead of UTC: late on the last valid day (UTC) the link still
    opens, but in Spain the validity has ended and the decision is refused."""
    quote = _sent(session, sales, "es")
    link, token = _link(session, quote, sales)
    late = link.expires_at - timedelta(minutes=30)

    services.open_client_link(session, token, now=late)
    refused = _refusal(lambda: services.decide_by_client(session, token, "accept",
                                                         **EVIDENCE, now=late),
                       "validity_ended")
    assert refused.params["valid_until"] == quote.valid_until.isoformat()


def test_an_accepted_quote_can_no_longer_be_revised_or_withdrawn(
        session: Session, sales: User) -> None:
    quote = _sent(session, sales)
    number = str(quote.number)
    _link_row, token = _link(session, quote, sales)
    services.decide_by_client(session, token, "accept", **EVIDENCE, now=NOW)

    _refusal(lambda: services.revise_quote(session, number, example("mx"), sales,
                                           QUOTE_DAY), "wrong_status")
    _refusal(lambda: services.withdraw_quote(session, number, sales), "wrong_status")
    _refusal(lambda: services.create_client_link(session, number, sales), "not_sent")


def test_client_decisions_cannot_be_changed_or_deleted(session: Session,
                                                       sales: User) -> None:
    quote = _sent(session, sales)
    _link_row, token = _link(session, quote, sales)
    decision = services.decide_by_client(session, token, "accept", **EVIDENCE, now=NOW)

    for statement in ("UPDATE client_decisions SET signer_name = 'Someone else' "
                      "WHERE id = :id",
                      "UPDATE client_decisions SET pdf_sha256 = 'x' WHERE id = :id",
                      "DELETE FROM client_decisions WHERE id = :id"):
        with pytest.raises(IntegrityError, match="append-only"), session.begin_nested():
            session.execute(text(statement), {"id": decision.id})
    session.expire_all()
    assert session.get(ClientDecision, decision.id).signer_name == "Lucía Fernández"


# ---------------------------------------------------------------- the command


def test_the_link_command_prints_the_address_once(
        fresh_database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DATABASE_URL", fresh_database_url)
    monkeypatch.setenv("PUBLIC_URL", "https://quotes.example.com/")
    monkeypatch.delenv("QUOTING_USER", raising=False)
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(main, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.stdout

    run("db", "upgrade")
    run("user", "create", "--email", "demo@example.com", "--name", "Demo", "--role", "sales",
        "--password", PASSWORD)
    request = tmp_path / "mx.json"
    request.write_text(json.dumps({**example("mx"), "date": None}))
    run("quote", "create", str(request))
    number = run("quote", "send", "D-00001").split()[0]

    printed = run("quote", "link", number).splitlines()
    assert printed[0].startswith(f"{number} revision 1: client link")
    url = printed[1]
    assert url.startswith("https://quotes.example.com/p/")
    token = url.rsplit("/", 1)[1]
    assert len(token) >= 43
    refused = runner.invoke(main, ["quote", "link", "D-00002"])
    assert refused.exit_code == 2
