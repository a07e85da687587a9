"""Quote numbers stay unique and gapless when many people create quotes at once.

Runs against whichever database the suite runs on (SQLite file, or PostgreSQL
in the second `make test` pass), with real commits on a database of its own.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from quoting import services
from quoting.store.models import AuditEvent, Quote, QuoteCounter, QuoteRevision
from tests.integration.conftest import PASSWORD, QUOTE_DAY, example

WORKERS = 16
QUOTES = 400
# Every few attempts a worker rolls back after its quote got a number: the
# number must go back to the pool, not leave a hole.
ROLLBACK_EVERY = 7


def _create_users(engine: Engine) -> list[str]:
    emails = [f"seller{n}@example.com" for n in range(WORKERS)]
    with Session(engine) as session:
        for email in emails:
            services.create_user(session, email, email, "sales", PASSWORD)
        session.commit()
    return emails


def test_sixteen_workers_creating_400_quotes_at_once_get_400_gapless_numbers(
        fresh_engine: Engine) -> None:
    emails = _create_users(fresh_engine)
    request = example("ar")
    start = threading.Barrier(WORKERS)

    def work(email: str) -> tuple[list[str], int]:
        created, rolled_back = [], 0
        start.wait()
        with Session(fresh_engine) as session:
            author = services.get_user(session, email)
            session.commit()
            attempt = 0
            while len(created) < QUOTES // WORKERS:
                attempt += 1
                quote = services.create_quote(session, request, author, QUOTE_DAY)
                if attempt % ROLLBACK_EVERY == 0:
                    session.rollback()
                    rolled_back += 1
                    continue
                number = quote.number
                session.commit()
                created.append(number)
        return created, rolled_back

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        results = list(pool.map(work, emails))

    numbers = [number for created, _ in results for number in created]
    assert sum(rolled_back for _, rolled_back in results) > 0
    assert len(numbers) == QUOTES
    assert sorted(numbers) == [f"AR-2026-{n:04d}" for n in range(1, QUOTES + 1)]
    with Session(fresh_engine) as session:
        assert session.scalars(select(Quote.sequence).order_by(Quote.sequence)).all() == list(
            range(1, QUOTES + 1))
        assert session.scalar(select(QuoteCounter.last_sequence)) == QUOTES
        revisions_per_quote = session.execute(
            select(QuoteRevision.quote_id, func.count()).group_by(QuoteRevision.quote_id)
        ).all()
        assert len(revisions_per_quote) == QUOTES
        assert {count for _, count in revisions_per_quote} == {1}
        assert session.scalar(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.action == "quote.create")) == QUOTES


def test_concurrent_transitions_on_one_quote_let_exactly_one_win(fresh_engine: Engine) -> None:
    emails = _create_users(fresh_engine)
    with Session(fresh_engine) as session:
        owner = services.get_user(session, emails[0])
        quote = services.create_quote(session, example("mx"), owner, QUOTE_DAY)
        number = quote.number
        session.commit()
    start = threading.Barrier(8)

    def send(_: int) -> str:
        start.wait()
        with Session(fresh_engine) as session:
            try:
                services.send_quote(session, number, services.get_user(session, emails[0]),
                                    QUOTE_DAY)
                session.commit()
                return "sent"
            except services.InvalidTransition:
                session.rollback()
                return "refused"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(send, range(8)))

    assert sorted(outcomes) == ["refused"] * 7 + ["sent"]
    with Session(fresh_engine) as session:
        assert [e.action for e in services.quote_events(session, number)] == [
            "quote.create", "quote.send"]
