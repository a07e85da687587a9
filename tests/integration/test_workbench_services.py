"""Notes, follow-up days, templates, the home page's lists and the approval inbox,
as the services decide them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from quoting import services
from quoting.errors import QuoteInputError
from quoting.services.errors import NotFound, PermissionDenied
from quoting.store.models import AuditEvent, Quote, User
from quoting.store.workbench import NOTE_MAX_LENGTH, QuoteNote
from tests.integration.conftest import NOW, QUOTE_DAY, example


@pytest.fixture
def quote(session: Session, sales: User) -> Quote:
    return services.create_quote(session, example("mx"), sales, QUOTE_DAY, now=NOW)


def _codes(exc: pytest.ExceptionInfo[QuoteInputError]) -> list[tuple[str, str]]:
    return [(p.field, p.code) for p in exc.value.problems]


# ---------------------------------------------------------------- notes


def test_notes_are_kept_with_author_and_time_and_read_newest_first(
        session: Session, quote: Quote, sales: User, finance: User) -> None:
    services.add_note(session, quote.ref, sales, "  Called the CFO  ", now=NOW)
    services.add_note(session, quote.ref, finance, "Budget approved in Q1",
                      now=NOW + timedelta(hours=1))

    notes = services.quote_notes(session, quote)

    assert [(n.body, n.author.email) for n in notes] == [
        ("Budget approved in Q1", "finance@example.com"), ("Called the CFO", "sales@example.com")]
    assert notes[1].created_at == NOW


def test_an_empty_or_too_long_note_is_refused_naming_the_field(
        session: Session, quote: Quote, sales: User) -> None:
    with pytest.raises(QuoteInputError) as empty:
        services.add_note(session, quote.ref, sales, "   \n ")
    with pytest.raises(QuoteInputError) as long:
        services.add_note(session, quote.ref, sales, "x" * (NOTE_MAX_LENGTH + 1))

    assert _codes(empty) == [("note", "empty")]
    assert _codes(long) == [("note", "too_long")]
    assert services.quote_notes(session, quote) == []


def test_the_database_refuses_to_change_or_delete_a_note(
        session: Session, quote: Quote, sales: User) -> None:
    note = services.add_note(session, quote.ref, sales, "first call", now=NOW)
    for statement in ("UPDATE quote_notes SET body = 'rewritten' WHERE id = :id",
                      "DELETE FROM quote_notes WHERE id = :id"):
        with pytest.raises(DatabaseError), session.begin_nested():
            session.execute(text(statement), {"id": note.id})
    assert session.scalars(select(QuoteNote.body)).all() == ["first call"]


def test_with_own_quotes_only_a_sales_user_cannot_note_someone_elses_quote(
        session: Session, quote: Quote, make_user: Callable[..., User]) -> None:
    other = make_user("sales")
    with pytest.raises(NotFound):
        services.add_note(session, quote.ref, other, "peek", own_quotes_only=True)
    services.add_note(session, quote.ref, other, "allowed when the desk is shared")


# ---------------------------------------------------------------- follow-up day


def test_setting_and_clearing_a_follow_up_day_is_audited(
        session: Session, quote: Quote, sales: User) -> None:
    day = date(2026, 11, 27)
    services.set_follow_up(session, quote.ref, sales, "2026-11-27", now=NOW)
    services.set_follow_up(session, quote.ref, sales, day, now=NOW)  # the same: no event
    assert services.follow_up_of(session, quote).follow_up_on == day  # type: ignore[union-attr]

    services.set_follow_up(session, quote.ref, sales, None, now=NOW)

    assert services.follow_up_of(session, quote) is None
    events = session.scalars(select(AuditEvent).where(
        AuditEvent.quote_id == quote.id, AuditEvent.action.like("follow_up.%"))
        .order_by(AuditEvent.id)).all()
    assert [(e.action, e.detail.get("on"), e.detail["previous"]) for e in events] == [
        ("follow_up.set", "2026-11-27", None), ("follow_up.clear", None, "2026-11-27")]


def test_a_follow_up_day_in_a_bad_format_or_in_the_past_is_refused(
        session: Session, quote: Quote, sales: User) -> None:
    with pytest.raises(QuoteInputError) as malformed:
        services.set_follow_up(session, quote.ref, sales, "27/11/2026", now=NOW)
    with pytest.raises(QuoteInputError) as impossible:
        services.set_follow_up(session, quote.ref, sales, "2026-02-30", now=NOW)
    with pytest.raises(QuoteInputError) as past:
        services.set_follow_up(session, quote.ref, sales, date(2026, 11, 24), now=NOW)

    assert _codes(malformed) == _codes(impossible) == [("follow_up_on", "bad_date")]
    assert _codes(past) == [("follow_up_on", "in_past")]
    assert services.follow_up_of(session, quote) is None


def test_only_the_owner_or_an_admin_sets_the_follow_up_day(
        session: Session, quote: Quote, finance: User, make_user: Callable[..., User]) -> None:
    with pytest.raises(PermissionDenied) as refused:
        services.set_follow_up(session, quote.ref, finance, QUOTE_DAY, now=NOW)
    assert refused.value.code == "not_follow_up_editor"

    services.set_follow_up(session, quote.ref, make_user("admin"), QUOTE_DAY, now=NOW)

    assert services.follow_up_of(session, quote).follow_up_on == QUOTE_DAY  # type: ignore[union-attr]


def test_follow_ups_due_are_the_owners_due_today_or_overdue_in_the_quotes_market(
        session: Session, sales: User, make_user: Callable[..., User]) -> None:
    other = make_user("sales")
    overdue = services.create_quote(session, example("mx"), sales, QUOTE_DAY, now=NOW)
    today = services.create_quote(session, example("es"), sales, QUOTE_DAY, now=NOW)
    later = services.create_quote(session, example("mx"), sales, QUOTE_DAY, now=NOW)
    not_mine = services.create_quote(session, example("mx"), other, QUOTE_DAY, now=NOW)
    services.set_follow_up(session, overdue.ref, sales, date(2026, 11, 25), now=NOW)
    services.set_follow_up(session, later.ref, sales, date(2026, 11, 28), now=NOW)
    services.set_follow_up(session, not_mine.ref, other, date(2026, 11, 25), now=NOW)
    # 23:30 in Madrid on the 26th is still the 26th in Mexico City, 16:30.
    evening = datetime(2026, 11, 26, 22, 30, tzinfo=UTC)
    services.set_follow_up(session, today.ref, sales, date(2026, 11, 26), now=NOW)

    due = services.follow_ups_due(session, sales, now=evening)

    assert [line.ref for line in due] == [overdue.ref, today.ref]
    assert due[0].follow_up_on == date(2026, 11, 25)


# ---------------------------------------------------------------- templates


def test_a_template_keeps_the_scope_without_client_or_date_and_starts_a_new_quote(
        session: Session, quote: Quote, sales: User) -> None:
    template = services.save_template(session, quote.ref, sales, "  Banca   8 weeks ", now=NOW)

    assert template.name == "Banca 8 weeks"
    assert "client" not in template.request
    assert "date" not in template.request
    assert template.request["licenses"] == services.current_revision(quote).request["licenses"]
    request = services.template_request(template)
    request["client"] = example("mx")["client"]
    copy = services.create_quote(session, request, sales, QUOTE_DAY, now=NOW)
    assert copy.program_total_minor == quote.program_total_minor


def test_a_template_name_must_be_given_and_unique_per_author_ignoring_accents_and_case(
        session: Session, quote: Quote, sales: User, finance: User) -> None:
    services.save_template(session, quote.ref, sales, "Pequeña empresa")
    with pytest.raises(QuoteInputError) as duplicate:
        services.save_template(session, quote.ref, sales, "PEQUENA EMPRESA")
    with pytest.raises(QuoteInputError) as empty:
        services.save_template(session, quote.ref, sales, "   ")

    assert _codes(duplicate) == [("name", "duplicate")]
    assert _codes(empty) == [("name", "empty")]
    services.save_template(session, quote.ref, finance, "Pequeña empresa")  # another author
    assert len(services.list_templates(session, sales)) == 2


def test_with_own_quotes_only_sales_see_and_use_only_their_own_templates(
        session: Session, quote: Quote, sales: User, finance: User,
        make_user: Callable[..., User]) -> None:
    mine = services.save_template(session, quote.ref, sales, "Mine")
    other = make_user("sales")

    assert services.list_templates(session, other, own_quotes_only=True) == []
    with pytest.raises(NotFound):
        services.get_template(session, mine.id, other, own_quotes_only=True)
    assert services.list_templates(session, finance, own_quotes_only=True) == [mine]


def test_only_the_author_or_an_admin_deletes_a_template(
        session: Session, quote: Quote, sales: User, finance: User,
        make_user: Callable[..., User]) -> None:
    template = services.save_template(session, quote.ref, sales, "Keep")
    with pytest.raises(PermissionDenied):
        services.delete_template(session, template.id, finance)

    services.delete_template(session, template.id, make_user("admin"))

    assert services.list_templates(session, sales) == []


# ---------------------------------------------------------------- home and inbox


def test_open_quotes_are_the_users_drafts_pending_and_sent_quotes(
        session: Session, sales: User, make_user: Callable[..., User]) -> None:
    draft = services.create_quote(session, example("mx"), sales, QUOTE_DAY, now=NOW)
    pending = services.create_quote(session, example("mx", discount_percent="15"), sales,
                                    QUOTE_DAY, now=NOW + timedelta(minutes=1))
    sent = services.create_quote(session, example("mx"), sales, QUOTE_DAY,
                                 now=NOW + timedelta(minutes=2))
    services.send_quote(session, sent.ref, sales, QUOTE_DAY, now=NOW + timedelta(minutes=3))
    withdrawn = services.create_quote(session, example("mx"), sales, QUOTE_DAY, now=NOW)
    services.withdraw_quote(session, withdrawn.ref, sales)
    services.create_quote(session, example("mx"), make_user("sales"), QUOTE_DAY, now=NOW)

    lines, total = services.open_quotes(session, sales)

    assert total == 3
    assert {line.ref for line in lines} == {draft.ref, pending.ref, sent.ref}
    assert lines[0].ref == sent.ref  # last changed first


def test_expiring_this_week_are_the_users_sent_quotes_ending_within_seven_days(
        session: Session, sales: User) -> None:
    sent = services.create_quote(session, example("mx"), sales, QUOTE_DAY, now=NOW)
    services.send_quote(session, sent.ref, sales, QUOTE_DAY, now=NOW)
    draft = services.create_quote(session, example("mx"), sales, QUOTE_DAY, now=NOW)
    ends = sent.valid_until
    noon = datetime(ends.year, ends.month, ends.day, 18, tzinfo=UTC)

    assert services.expiring_this_week(session, sales, now=noon - timedelta(days=8)) == []
    week = services.expiring_this_week(session, sales, now=noon - timedelta(days=7))
    assert [line.ref for line in week] == [sent.ref]
    assert draft.valid_until == ends  # a draft never counts
    assert services.expiring_this_week(session, sales, now=noon + timedelta(days=1)) == []


def test_the_inbox_lists_discounts_the_user_may_decide_never_their_own_or_revised(
        session: Session, sales: User, finance: User, make_user: Callable[..., User]) -> None:
    waiting = services.create_quote(session, example("mx", discount_percent="15"), sales,
                                    QUOTE_DAY, now=NOW)
    owned = services.create_quote(session, example("mx", discount_percent="15"), finance,
                                  QUOTE_DAY, now=NOW)
    revised = services.create_quote(session, example("mx", discount_percent="15"), sales,
                                    QUOTE_DAY, now=NOW)
    services.revise_quote(session, revised.ref, example("mx", discount_percent="16"),
                          finance, QUOTE_DAY, now=NOW + timedelta(hours=1))

    [item] = services.approval_inbox(session, finance)

    assert item.ref == waiting.ref
    assert item.discount_percent == Decimal("15")
    assert (item.program_currency, item.author_email) == ("MXN", "sales@example.com")
    assert item.waiting_since == NOW
    other_finance = make_user("finance")
    assert {i.ref for i in services.approval_inbox(session, other_finance)} == {
        waiting.ref, owned.ref, revised.ref}
    with pytest.raises(PermissionDenied):
        services.approval_inbox(session, sales)
    assert all(services.may_decide(finance, services.get_quote(session, i.ref))
               for i in services.approval_inbox(session, finance))


def test_the_home_of_a_sales_user_has_no_approval_section(
        session: Session, sales: User, finance: User) -> None:
    assert services.home_for(session, sales, now=NOW).waiting is None
    assert services.home_for(session, finance, now=NOW).waiting == []


# ---------------------------------------------------------------- the list as CSV


def test_the_list_export_reads_every_page_of_the_same_search(
        session: Session, sales: User) -> None:
    made = [services.create_quote(session, example("mx"), sales, QUOTE_DAY, now=NOW)
            for _ in range(5)]
    services.create_quote(session, example("ar"), sales, QUOTE_DAY, now=NOW)

    rows = list(services.iter_list(session, services.QuoteQuery(market="MX"), batch=2))

    assert [row.ref for row in rows] == [q.ref for q in reversed(made)]
    values = services.list_csv_values(rows[0], str.upper)
    assert values[services.LIST_CSV_COLUMNS.index("status")] == "DRAFT"
    assert values[services.LIST_CSV_COLUMNS.index("program_currency")] == "MXN"
