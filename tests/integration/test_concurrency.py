"""Quote numbers stay unique and gapless when many people create quotes at once.

Runs against whichever database the suite runs on (SQLite file, or PostgreSQL
in the second `make test` pass), with real commits on a database of its own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from quoting import services
from quoting.store.models import (
    ApprovalDecision,
    AuditEvent,
    Quote,
    QuoteCounter,
    RevisionPdf,
)
from tests.integration.conftest import PASSWORD, QUOTE_DAY, example

WORKERS = 16
QUOTES = 400
# Every few attempts a worker throws its new draft away: a draft takes no number,
# so the numbers of the quotes sent must still have no hole.
ROLLBACK_EVERY = 7


def _create_users(engine: Engine, role: str = "sales", count: int = WORKERS) -> list[str]:
    emails = [f"{role}{n}@example.com" for n in range(count)]
    with Session(engine) as session:
        for email in emails:
            services.create_user(session, email, email, role, PASSWORD)
        session.commit()
    return emails


def test_sixteen_workers_sending_400_quotes_at_once_get_400_gapless_numbers(
        fresh_engine: Engine) -> None:
    emails = _create_users(fresh_engine)
    request = example("ar")
    start = threading.Barrier(WORKERS)

    def work(email: str) -> tuple[list[str], int]:
        sent, thrown_away = [], 0
        start.wait()
        with Session(fresh_engine) as session:
            author = services.get_user(session, email)
            session.commit()
            attempt = 0
            while len(sent) < QUOTES // WORKERS:
                attempt += 1
                quote = services.create_quote(session, request, author, QUOTE_DAY)
                if attempt % ROLLBACK_EVERY == 0:
                    # A draft given up before it is sent never takes a number.
                    session.rollback()
                    thrown_away += 1
                    continue
                session.commit()
                services.send_quote(session, quote.ref, author, QUOTE_DAY)
                session.commit()
                sent.append(str(quote.number))
        return sent, thrown_away

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        results = list(pool.map(work, emails))

    numbers = [number for sent, _ in results for number in sent]
    assert sum(thrown_away for _, thrown_away in results) > 0
    assert len(numbers) == QUOTES
    assert sorted(numbers) == [f"AR-2026-{n:04d}" for n in range(1, QUOTES + 1)]
    with Session(fresh_engine) as session:
        assert session.scalars(select(Quote.sequence).order_by(Quote.sequence)).all() == list(
            range(1, QUOTES + 1))
        assert session.scalar(select(QuoteCounter.last_sequence)) == QUOTES
        # Every numbered quote is sent with its PDF kept.
        assert session.scalar(select(func.count()).select_from(RevisionPdf)) == QUOTES
        assert set(session.scalars(select(Quote.status))) == {"sent"}
        assert session.scalar(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.action == "quote.create")) == QUOTES


def _outcome(call: Callable[[Session], object], engine: Engine) -> str:
    """Run one step in a session of its own: "done", or the refusal's code."""
    with Session(engine) as session:
        try:
            call(session)
            session.commit()
            return "done"
        except services.Refused as refused:
            session.rollback()
            return refused.code


def _pending_quote(engine: Engine, owner_email: str) -> str:
    with Session(engine) as session:
        owner = services.get_user(session, owner_email)
        quote = services.create_quote(session, example("mx", discount_percent="20"), owner,
                                      QUOTE_DAY)
        session.commit()
        assert quote.status == "pending_approval"
        return quote.ref


def _run_at_once(steps: list[Callable[[Session], object]], engine: Engine) -> list[str]:
    start = threading.Barrier(len(steps))

    def run(step: Callable[[Session], object]) -> str:
        start.wait()
        return _outcome(step, engine)

    with ThreadPoolExecutor(max_workers=len(steps)) as pool:
        return list(pool.map(run, steps))


def test_concurrent_sends_of_one_quote_let_exactly_one_win(fresh_engine: Engine) -> None:
    emails = _create_users(fresh_engine)
    with Session(fresh_engine) as session:
        quote = services.create_quote(session, example("mx"), services.get_user(
            session, emails[0]), QUOTE_DAY)
        ref = quote.ref
        session.commit()

    def send(session: Session) -> object:
        return services.send_quote(session, ref, services.get_user(session, emails[0]),
                                   QUOTE_DAY, seen_revision=1)

    outcomes = _run_at_once([send] * 8, fresh_engine)

    assert outcomes.count("done") == 1
    assert set(outcomes) <= {"done", "wrong_status"}
    with Session(fresh_engine) as session:
        assert [e.action for e in services.quote_events(session, ref)] == [
            "quote.create", "quote.number", "quote.send"]
        assert services.get_quote(session, ref).number == "MX-2026-0001"


def test_sixteen_parallel_edits_of_one_quote_store_one_revision_and_refuse_the_rest(
        fresh_engine: Engine) -> None:
    emails = _create_users(fresh_engine)
    ref = _pending_quote(fresh_engine, emails[0])

    def edit(weeks: int) -> Callable[[Session], object]:
        return lambda session: services.revise_quote(
            session, ref, example("mx", duration_weeks=weeks), services.get_user(
                session, emails[0]), QUOTE_DAY, seen_revision=1)

    outcomes = _run_at_once([edit(4 + n % 8) for n in range(16)], fresh_engine)

    assert sorted(outcomes) == ["done"] + ["stale_revision"] * 15
    with Session(fresh_engine) as session:
        assert services.get_quote(session, ref).current_revision == 2


def test_approving_and_rejecting_at_once_stores_exactly_one_decision(
        fresh_engine: Engine) -> None:
    emails = _create_users(fresh_engine)
    managers = _create_users(fresh_engine, "finance", 8)
    ref = _pending_quote(fresh_engine, emails[0])

    def decide(email: str, approve: bool) -> Callable[[Session], object]:
        call = services.approve_discount if approve else services.reject_discount
        return lambda session: call(session, ref, services.get_user(session, email), "why",
                                    seen_revision=1)

    steps = [decide(email, n % 2 == 0) for n, email in enumerate(managers)]
    outcomes = _run_at_once(steps, fresh_engine)

    assert outcomes.count("done") == 1
    assert set(outcomes) <= {"done", "wrong_status"}
    with Session(fresh_engine) as session:
        decisions = session.scalars(select(ApprovalDecision)).all()
        assert len(decisions) == 1
        quote = services.get_quote(session, ref)
        assert quote.status == {"approved": "draft", "rejected": "discount_rejected"}[
            decisions[0].decision]


def test_raising_a_discount_while_finance_approves_never_leaves_it_sendable_unapproved(
        fresh_engine: Engine) -> None:
    emails = _create_users(fresh_engine)
    managers = _create_users(fresh_engine, "finance", 1)
    for trial in range(6):
        ref = _pending_quote(fresh_engine, emails[0])

        def approve(session: Session, ref: str = ref) -> object:
            return services.approve_discount(session, ref, services.get_user(
                session, managers[0]), "ok at 20%", seen_revision=1)

        def raise_discount(session: Session, ref: str = ref) -> object:
            return services.revise_quote(session, ref, example("mx", discount_percent="30"),
                                         services.get_user(session, emails[0]), QUOTE_DAY,
                                         seen_revision=1)

        steps = [approve, raise_discount] if trial % 2 else [raise_discount, approve]
        _run_at_once(steps, fresh_engine)

        with Session(fresh_engine) as session:
            quote = services.get_quote(session, ref)
            current = services.current_revision(quote)
            approved = {d.revision for d in session.scalars(select(ApprovalDecision).where(
                ApprovalDecision.quote_id == quote.id, ApprovalDecision.decision == "approved"))}
            assert current.request["discount_percent"] == "30"
            assert quote.status == "pending_approval"
            assert current.revision not in approved
            with pytest.raises(services.InvalidTransition, match="must approve it"):
                services.send_quote(session, ref, services.get_user(session, emails[0]),
                                    QUOTE_DAY)
