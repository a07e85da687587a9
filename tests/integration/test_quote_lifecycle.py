from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from quoting import services
from quoting.errors import QuoteInputError
from quoting.rules import load_rulebook
from quoting.service_pricing import price_request
from quoting.store.errors import InvalidTransition, NotFound, PermissionDenied
from quoting.store.models import AuditEvent, Client, QuoteRevision, User
from tests.integration.conftest import NOW, QUOTE_DAY, example

LATER = NOW + timedelta(hours=1)


def test_a_new_quote_is_a_draft_with_a_reference_and_no_number(
        session: Session, sales: User) -> None:
    quote = services.create_quote(session, example("ar"), sales, QUOTE_DAY)

    assert quote.number is None
    assert quote.ref == f"D-{quote.id:05d}"
    assert services.get_quote(session, quote.ref.lower()).id == quote.id


def test_sending_numbers_a_quote_per_market_and_year_in_the_order_they_are_sent(
        session: Session, sales: User) -> None:
    first = services.create_quote(session, example("ar"), sales, QUOTE_DAY)
    never_sent = services.create_quote(session, example("ar"), sales, QUOTE_DAY)
    second = services.create_quote(session, example("ar"), sales, QUOTE_DAY)
    mexican = services.create_quote(session, example("mx"), sales, QUOTE_DAY)
    next_year = services.create_quote(session, example("ar", date="2027-01-02"), sales,
                                      date(2027, 1, 2))
    for quote, day in ((second, QUOTE_DAY), (first, QUOTE_DAY), (mexican, QUOTE_DAY),
                       (next_year, date(2027, 1, 2))):
        services.send_quote(session, quote.ref, sales, day)

    assert [second.number, first.number, mexican.number, next_year.number] == [
        "AR-2026-0001", "AR-2026-0002", "MX-2026-0001", "AR-2027-0001"]
    assert never_sent.number is None
    # The draft reference still finds the quote once it is numbered.
    assert services.get_quote(session, f"D-{first.id:05d}").number == "AR-2026-0002"


def test_a_new_quote_is_a_draft_owned_by_its_author_at_revision_one(
        session: Session, sales: User) -> None:
    quote = services.create_quote(session, example("mx"), sales, QUOTE_DAY, now=NOW)

    assert (quote.status, quote.current_revision, quote.owner_id) == ("draft", 1, sales.id)
    assert quote.valid_until == date(2026, 12, 25)


def test_a_revision_stores_everything_needed_to_reproduce_the_quote(
        session: Session, sales: User) -> None:
    quote = services.create_quote(session, example("mx"), sales, QUOTE_DAY, now=NOW)
    session.expire_all()
    revision = session.scalars(select(QuoteRevision).where(QuoteRevision.quote_id == quote.id)
                               ).one()

    repriced = price_request(revision.request, load_rulebook(), date(2000, 1, 1))
    assert revision.priced == repriced.to_dict()
    assert revision.rules_version == "MX-2025-01"
    assert revision.language == "es"
    assert revision.author_id == sales.id
    assert revision.created_at == NOW
    assert revision.created_at.tzinfo is UTC
    assert revision.program_currency == "MXN"
    assert str(revision.program_total) == revision.priced["program"]["total"]
    assert str(revision.license_total) == revision.priced["licenses"]["total"]
    assert revision.sent_at is None
    assert revision.pdf_sha256 is None


def test_a_request_without_a_date_is_stored_with_the_date_it_was_priced_on(
        session: Session, sales: User) -> None:
    request = example("ec")
    del request["date"]
    quote = services.create_quote(session, request, sales, date(2026, 3, 2))

    revision = services.get_quote(session, quote.ref).revisions[0]
    assert revision.request["date"] == "2026-03-02"
    services.send_quote(session, quote.ref, sales, date(2026, 3, 2))
    assert quote.number == "EC-2026-0001"


def test_the_client_is_stored_once_per_country_with_its_compact_tax_id(
        session: Session, sales: User) -> None:
    services.create_quote(session, example("ar"), sales, QUOTE_DAY)
    same = example("ar", client={**example("ar")["client"], "tax_id": "20267565393",
                                 "contact": "Otra Persona"})
    services.create_quote(session, same, sales, QUOTE_DAY)

    clients = session.scalars(select(Client).where(Client.country == "AR")).all()
    assert [(c.tax_id, c.legal_name) for c in clients] == [
        ("20267565393", "Molinos del Plata S.A.")]
    assert [c.name for c in clients[0].contacts] == ["Lucía Fernández", "Otra Persona"]


def test_a_known_tax_id_under_another_name_is_refused_and_renames_nothing(
        session: Session, sales: User) -> None:
    first = services.create_quote(session, example("ar"), sales, QUOTE_DAY)
    services.send_quote(session, first.ref, sales, QUOTE_DAY)
    renamed = example("ar", client={**example("ar")["client"], "name": "Otra S.A."})

    with pytest.raises(QuoteInputError, match=r"client\.name: tax ID 20267565393 is "
                                              r"'Molinos del Plata S\.A\.'"):
        services.create_quote(session, renamed, sales, QUOTE_DAY)
    with pytest.raises(QuoteInputError, match=r"client\.name"):
        services.revise_quote(session, first.ref, renamed, sales, QUOTE_DAY)
    assert services.get_quote(session, first.ref).client.legal_name == "Molinos del Plata S.A."


def test_renaming_a_client_is_audited_and_leaves_existing_quotes_as_quoted(
        session: Session, sales: User) -> None:
    sent = services.create_quote(session, example("ar"), sales, QUOTE_DAY)
    services.send_quote(session, sent.ref, sales, QUOTE_DAY)
    client = services.find_client(session, "AR", "20-26756539-3")

    services.rename_client(session, client.id, "Molinos del Plata S.A.U.", sales,
                           reason="new legal form")
    revised_name = example("ar", client={**example("ar")["client"],
                                         "name": "Molinos del Plata S.A.U."})
    later = services.create_quote(session, revised_name, sales, QUOTE_DAY)

    assert services.get_quote(session, sent.ref).client_name == "Molinos del Plata S.A."
    assert services.revision_snapshot(session, sent.ref)["request"]["client"]["name"] == (
        "Molinos del Plata S.A.")
    assert later.client_name == "Molinos del Plata S.A.U."
    history = services.client_events(session, client.id)
    assert [(e.action, e.detail.get("from"), e.detail.get("to")) for e in history][-1] == (
        "client.rename", "Molinos del Plata S.A.", "Molinos del Plata S.A.U.")
    assert history[-1].actor == "sales@example.com"


def test_search_finds_a_client_whatever_its_accents_and_case(
        session: Session, sales: User) -> None:
    request = example("ar", client={**example("ar")["client"], "name": "Peña Ñandú S.R.L."})
    quote = services.create_quote(session, request, sales, QUOTE_DAY)

    for text in ("pena nandu", "PEÑA", "ñandú", "Nandu"):
        page = services.search_quotes(session, text=text)
        assert [item.ref for item in page.items] == [quote.ref], text
        assert [c.id for c in services.find_clients(session, "AR", text)] == [quote.client_id]


def test_sending_marks_the_current_revision_sent(session: Session, sales: User) -> None:
    quote = services.create_quote(session, example("co"), sales, QUOTE_DAY, now=NOW)
    services.send_quote(session, quote.ref, sales, QUOTE_DAY, now=LATER)

    assert quote.status == "sent"
    assert services.get_quote(session, quote.ref).revisions[0].sent_at == LATER


def test_revising_a_sent_quote_adds_the_next_revision_and_keeps_the_sent_one(
        session: Session, sales: User) -> None:
    quote = services.create_quote(session, example("cl"), sales, QUOTE_DAY)
    services.send_quote(session, quote.ref, sales, QUOTE_DAY)
    sent_priced = dict(quote.revisions[0].priced)

    services.revise_quote(session, quote.ref, example("cl", duration_weeks=10), sales,
                          QUOTE_DAY)

    stored = services.get_quote(session, quote.ref)
    assert (stored.status, stored.current_revision) == ("draft", 2)
    first, second = stored.revisions
    assert first.priced == sent_priced
    assert first.sent_at is not None
    assert second.sent_at is None
    assert second.request["duration_weeks"] == 10
    assert second.priced != first.priced


def test_a_request_for_another_market_cannot_revise_a_quote(
        session: Session, sales: User) -> None:
    quote = services.create_quote(session, example("pe"), sales, QUOTE_DAY)

    with pytest.raises(QuoteInputError, match="PE quote"):
        services.revise_quote(session, quote.ref, example("mx"), sales, QUOTE_DAY)


def test_an_invalid_request_is_refused_naming_the_field(session: Session, sales: User) -> None:
    with pytest.raises(QuoteInputError, match="cases"):
        services.create_quote(session, example("es", cases=9), sales, QUOTE_DAY)


@pytest.mark.parametrize(("steps", "refused", "message"), [
    ([], "accept", "cannot accept .*: it is draft; only a quote that is sent can be"),
    ([], "decline", "it is draft"),
    (["send"], "send", "it is sent; only a quote that is draft can be"),
    (["send", "accept"], "withdraw", "it is accepted"),
    (["send", "accept"], "revise", "accepted and can no longer be revised"),
    (["send", "decline"], "accept", "it is declined"),
    (["withdraw"], "send", "it is withdrawn"),
])
def test_an_invalid_transition_is_refused_with_a_clear_error(
        session: Session, sales: User, steps: list[str], refused: str, message: str) -> None:
    quote = services.create_quote(session, example("ar"), sales, QUOTE_DAY)
    actions: dict[str, Callable[[], object]] = {
        "send": lambda: services.send_quote(session, quote.ref, sales, QUOTE_DAY),
        "accept": lambda: services.accept_quote(session, quote.ref, sales, QUOTE_DAY),
        "decline": lambda: services.decline_quote(session, quote.ref, sales),
        "withdraw": lambda: services.withdraw_quote(session, quote.ref, sales),
        "revise": lambda: services.revise_quote(session, quote.ref, example("ar"), sales,
                                                QUOTE_DAY),
    }
    for step in steps:
        actions[step]()

    with pytest.raises(InvalidTransition, match=message):
        actions[refused]()


def test_a_quote_past_its_validity_cannot_be_sent_or_accepted(
        session: Session, sales: User) -> None:
    quote = services.create_quote(session, example("ar"), sales, QUOTE_DAY)
    after_validity = quote.valid_until + timedelta(days=1)

    with pytest.raises(InvalidTransition, match="valid until 2026-12-25"):
        services.send_quote(session, quote.ref, sales, after_validity)
    services.send_quote(session, quote.ref, sales, QUOTE_DAY)
    with pytest.raises(InvalidTransition, match="expired on 2026-12-25"):
        services.accept_quote(session, quote.ref, sales, after_validity)


def test_expiring_moves_only_sent_quotes_past_their_validity(
        session: Session, sales: User) -> None:
    due = services.create_quote(session, example("ar"), sales, QUOTE_DAY)
    services.send_quote(session, due.ref, sales, QUOTE_DAY)
    still_valid = services.create_quote(session, example("ar", date="2026-12-20"), sales,
                                        QUOTE_DAY)
    services.send_quote(session, still_valid.ref, sales, QUOTE_DAY)
    draft = services.create_quote(session, example("ar"), sales, QUOTE_DAY)

    expired = services.expire_due(session, date(2026, 12, 26))

    assert expired == [due.number]
    assert [q.status for q in (due, still_valid, draft)] == ["expired", "sent", "draft"]
    assert services.expire_due(session, date(2026, 12, 26)) == []


def test_a_discount_above_the_limit_waits_for_approval_and_cannot_be_sent(
        session: Session, sales: User) -> None:
    quote = services.create_quote(session, example("mx", discount_percent="15"), sales,
                                  QUOTE_DAY)

    assert quote.status == "pending_approval"
    with pytest.raises(InvalidTransition, match="must approve it before it can be sent"):
        services.send_quote(session, quote.ref, sales, QUOTE_DAY)


def test_a_sales_user_cannot_approve_a_discount(session: Session, sales: User) -> None:
    quote = services.create_quote(session, example("mx", discount_percent="15"), sales,
                                  QUOTE_DAY)

    with pytest.raises(PermissionDenied, match="only finance or admin"):
        services.approve_discount(session, quote.ref, sales, "looks fine")


def test_finance_approves_a_discount_with_a_reason_and_then_it_can_be_sent(
        session: Session, sales: User, finance: User) -> None:
    quote = services.create_quote(session, example("mx", discount_percent="15"), sales,
                                  QUOTE_DAY)
    with pytest.raises(QuoteInputError, match="reason"):
        services.approve_discount(session, quote.ref, finance, "  ")

    services.approve_discount(session, quote.ref, finance, "strategic account")
    services.send_quote(session, quote.ref, sales, QUOTE_DAY)

    view = services.quote_view(session, quote)
    assert view["status"] == "sent"
    assert view["approvals"][0] | {"at": None} == {
        "revision": 1, "decision": "approved", "reason": "strategic account",
        "by": "finance@example.com", "at": None}


def test_a_rejected_discount_must_be_revised_before_sending(
        session: Session, sales: User, finance: User) -> None:
    quote = services.create_quote(session, example("mx", discount_percent="15"), sales,
                                  QUOTE_DAY)
    services.reject_discount(session, quote.ref, finance, "too deep for this client")

    with pytest.raises(InvalidTransition, match="discount was rejected: revise it"):
        services.send_quote(session, quote.ref, sales, QUOTE_DAY)
    services.revise_quote(session, quote.ref, example("mx", discount_percent="8"), sales,
                          QUOTE_DAY)
    services.send_quote(session, quote.ref, sales, QUOTE_DAY)
    assert quote.status == "sent"


def test_approval_covers_one_revision_only(session: Session, sales: User,
                                           finance: User) -> None:
    quote = services.create_quote(session, example("mx", discount_percent="15"), sales,
                                  QUOTE_DAY)
    services.approve_discount(session, quote.ref, finance, "ok")

    services.revise_quote(session, quote.ref, example("mx", discount_percent="20"), sales,
                          QUOTE_DAY)

    assert quote.status == "pending_approval"


def test_a_sales_user_cannot_change_someone_elses_quote(
        session: Session, sales: User, finance: User, make_user: Callable[..., User]) -> None:
    quote = services.create_quote(session, example("ar"), sales, QUOTE_DAY)
    colleague = make_user("sales")

    with pytest.raises(PermissionDenied, match=r"it belongs to someone else") as refused:
        services.send_quote(session, quote.ref, colleague, QUOTE_DAY)
    assert refused.value.code == "not_editor"
    services.send_quote(session, quote.ref, finance, QUOTE_DAY)


def test_every_step_is_an_audit_event_with_who_when_and_what(
        session: Session, sales: User, finance: User) -> None:
    quote = services.create_quote(session, example("mx", discount_percent="15"), sales,
                                  QUOTE_DAY, now=NOW)
    services.approve_discount(session, quote.ref, finance, "ok", now=NOW)
    services.send_quote(session, quote.ref, sales, QUOTE_DAY, now=NOW)
    services.revise_quote(session, quote.ref, example("mx"), sales, QUOTE_DAY, now=NOW)
    services.send_quote(session, quote.ref, sales, QUOTE_DAY, now=NOW)
    services.accept_quote(session, quote.ref, sales, QUOTE_DAY, now=NOW)

    events = services.quote_events(session, quote.ref)
    assert [(e.actor, e.action, e.revision, e.from_status, e.to_status) for e in events] == [
        ("sales@example.com", "quote.create", 1, None, "pending_approval"),
        ("finance@example.com", "discount.approve", 1, "pending_approval", "draft"),
        ("sales@example.com", "quote.number", 1, None, None),
        ("sales@example.com", "quote.send", 1, "draft", "sent"),
        ("sales@example.com", "quote.revise", 2, "sent", "draft"),
        ("sales@example.com", "quote.send", 2, "draft", "sent"),
        ("sales@example.com", "quote.accept", 2, "sent", "accepted"),
    ]
    assert all(e.at == NOW for e in events)
    assert events[1].detail == {"reason": "ok"}


def test_expiry_is_recorded_as_done_by_the_system(session: Session, sales: User) -> None:
    quote = services.create_quote(session, example("ar"), sales, QUOTE_DAY)
    services.send_quote(session, quote.ref, sales, QUOTE_DAY)
    services.expire_due(session, date(2027, 1, 1))

    last = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert last is not None
    assert (last.actor, last.actor_id, last.action) == ("system", None, "quote.expire")


def test_an_unknown_number_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound, match="no quote AR-2026-9999"):
        services.get_quote(session, "AR-2026-9999")
    with pytest.raises(NotFound, match="no quote D-99999"):
        services.get_quote(session, "D-99999")


def test_duplicating_a_quote_prices_its_request_again_as_a_new_draft(
        session: Session, sales: User) -> None:
    original = services.create_quote(session, example("es"), sales, QUOTE_DAY)
    services.send_quote(session, original.ref, sales, QUOTE_DAY)

    copy = services.duplicate_quote(session, original.ref, sales, date(2027, 2, 1))

    assert (copy.number, copy.status, copy.quote_date) == (None, "draft", date(2027, 2, 1))
    assert original.status == "sent"


def test_revision_snapshot_has_what_the_pdf_renderer_needs(
        session: Session, sales: User) -> None:
    quote = services.create_quote(session, example("ar"), sales, QUOTE_DAY, now=NOW)
    services.send_quote(session, quote.ref, sales, QUOTE_DAY)
    services.revise_quote(session, quote.ref, example("ar", cases=4), sales, QUOTE_DAY)

    first = services.revision_snapshot(session, quote.ref, 1)
    current = services.revision_snapshot(session, quote.ref)

    assert (first["number"], first["revision"], first["status"]) == (quote.ref, 1, "sent")
    assert first["created_at"] == NOW.isoformat()
    assert first["request"]["client"]["tax_id"] == "20267565393"
    assert first["priced"]["program"]["currency"] == "ARS"
    assert first["exchange_rates"] == [{"pair": "USD/ARS", "base": "USD", "quote": "ARS",
                                        "rate": None, "source": None, "date": None,
                                        "missing": True}]
    assert (current["revision"], current["status"]) == (2, "draft")
    assert current["request"]["cases"] == 4
    with pytest.raises(NotFound, match="has no revision 3"):
        services.revision_snapshot(session, quote.ref, 3)


def test_the_pdf_hash_of_a_revision_is_recorded_once_when_it_is_sent(
        session: Session, sales: User) -> None:
    quote = services.create_quote(session, example("ar"), sales, QUOTE_DAY)
    with pytest.raises(services.Conflict, match="was not sent") as refused:
        services.record_pdf_sha256(session, quote.ref, 1, "ab" * 32)
    assert refused.value.code == "not_sent"
    services.send_quote(session, quote.ref, sales, QUOTE_DAY)
    digest = services.get_quote(session, quote.ref).revisions[0].pdf_sha256
    assert digest is not None

    services.record_pdf_sha256(session, quote.ref, 1, digest.upper())  # the same: fine

    assert services.get_quote(session, quote.ref).revisions[0].pdf_sha256 == digest
    with pytest.raises(services.Conflict, match="already has PDF SHA-256"):
        services.record_pdf_sha256(session, quote.ref, 1, "cd" * 32)
    with pytest.raises(QuoteInputError, match="64 hexadecimal"):
        services.record_pdf_sha256(session, quote.ref, 1, "not a hash")


def test_duplicating_after_the_client_was_renamed_quotes_the_name_on_record(
        session: Session, sales: User) -> None:
    original = services.create_quote(session, example("ar"), sales, QUOTE_DAY)
    client = services.find_client(session, "AR", "20267565393")
    services.rename_client(session, client.id, "Molinos del Plata S.A.U.", sales)

    copy = services.duplicate_quote(session, original.ref, sales, QUOTE_DAY)

    assert copy.client_name == "Molinos del Plata S.A.U."
    assert services.get_quote(session, original.ref).client_name == "Molinos del Plata S.A."


def test_only_finance_admin_or_someone_quoting_the_client_may_rename_it(
        session: Session, sales: User, finance: User, make_user: Callable[..., User]) -> None:
    services.create_quote(session, example("ar"), sales, QUOTE_DAY)
    client = services.find_client(session, "AR", "20267565393")
    stranger = make_user("sales")

    with pytest.raises(PermissionDenied) as refused:
        services.rename_client(session, client.id, "Otro nombre S.A.", stranger)
    assert refused.value.code == "not_client_editor"
    services.rename_client(session, client.id, "Molinos S.A.", finance)
    services.rename_client(session, client.id, "Molinos del Plata S.A.", sales)
    assert [e.detail["to"] for e in services.client_events(session, client.id)
            if e.action == "client.rename"] == ["Molinos S.A.", "Molinos del Plata S.A."]
