"""Stored quotes re-priced under a candidate price list (quoting.services.simulation)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from quoting import services
from quoting.errors import QuoteInputError, RulesError
from quoting.rules import RulesVersion
from quoting.services import simulation
from quoting.store.models import Quote, User
from tests.integration.conftest import example

ROOT = Path(__file__).resolve().parents[2]
MX_RULES = ROOT / "pricing_rules" / "MX" / "MX-2025-01.toml"
PERIOD = simulation.SimulationQuery(date(2026, 7, 1), date(2026, 9, 30))


def mx_text(*replacements: tuple[str, str]) -> str:
    text_ = MX_RULES.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text_
        text_ = text_.replace(old, new, 1)
    return text_


def candidate(*replacements: tuple[str, str]) -> RulesVersion:
    return simulation.candidate_from_text(mx_text(*replacements), "MX-2027-01.toml")


def without_product(code: str) -> RulesVersion:
    text_ = MX_RULES.read_text(encoding="utf-8")
    start = text_.index(f'[[licenses.products]]\ncode = "{code}"')
    end = text_.find("[[licenses.products]]", start + 10)
    return simulation.candidate_from_text(text_[:start] + (text_[end:] if end > 0 else ""),
                                          "MX-2027-01.toml")


RAISED_CASES = ('per_case = "27000.00"', 'per_case = "32400.00"')


def store(session: Session, author: User, market: str, day: str, status: str = "draft",
          **changes: object) -> Quote:
    quote = services.create_quote(session, example(market, date=day, **changes), author,
                                  date.fromisoformat(day))
    if status != "draft":
        session.execute(update(Quote).where(Quote.id == quote.id).values(status=status))
        session.refresh(quote)
    return quote


@pytest.fixture
def stored(session: Session, sales: User) -> dict[str, Quote]:
    quotes = {
        "july": store(session, sales, "MX", "2026-07-15", "sent"),
        "august": store(session, sales, "MX", "2026-08-03", "accepted", licenses=[]),
        "september": store(session, sales, "MX", "2026-09-30", "draft",
                           discount_percent="4"),
        "october": store(session, sales, "MX", "2026-10-01", "sent"),
        "argentina": store(session, sales, "AR", "2026-08-03", "sent"),
    }
    session.flush()
    return quotes


def test_each_quote_of_the_market_and_period_is_repriced_once(
        session: Session, stored: dict[str, Quote], sales: User) -> None:
    july = stored["july"]
    services.revise_quote(session, july.ref, example("MX", date="2026-07-20",
                                                     duration_weeks=10),
                          sales, date(2026, 7, 20))
    report = simulation.simulate(session, candidate(RAISED_CASES), PERIOD)
    assert [c.number for c in report.changes] == [july.ref, stored["august"].ref,
                                                  stored["september"].ref]
    assert report.changes[0].revision == 2  # its current revision, not both
    assert report.count == 3
    assert report.priced_count == 3


def test_the_new_totals_come_from_the_candidate_and_the_old_from_the_stored_revision(
        session: Session, stored: dict[str, Quote]) -> None:
    report = simulation.simulate(session, candidate(RAISED_CASES), PERIOD)
    july = report.changes[0]
    revision = services.current_revision(stored["july"])
    assert july.old_program == revision.program_total
    # 4 cases, 5,400 MXN more each, less the 8% discount, plus 16% VAT.
    expected = (Decimal(4 * 5400) * Decimal("0.92") * Decimal("1.16")).quantize(Decimal("0.01"))
    assert july.program_difference == expected
    assert july.new_licenses == july.old_licenses
    assert july.license_percent == Decimal(0)
    assert july.program_percent == (expected * 100 / july.old_program).quantize(
        Decimal("0.01"))


def test_the_summary_adds_up_totals_revenue_and_the_distribution(
        session: Session, stored: dict[str, Quote]) -> None:
    report = simulation.simulate(session, candidate(RAISED_CASES), PERIOD)
    summary = report.summary()
    old = sum((c.old_program for c in report.changes), Decimal(0))
    new = sum((c.new_program or Decimal(0) for c in report.changes), Decimal(0))
    assert summary["program_totals"]["MXN"]["old"] == str(old)
    assert summary["program_totals"]["MXN"]["new"] == str(new)
    august = report.changes[1]
    assert august.status == "accepted"
    assert summary["accepted_revenue"]["MXN"] == {
        "old": str(august.old_program), "new": str(august.new_program),
        "difference": str(august.program_difference),
        "percent": str(august.program_percent)}
    program_counts = {d["bucket"]: d["program"] for d in summary["distribution"]}
    assert sum(program_counts.values()) == 3
    assert program_counts["(0,5)"] + program_counts["[5,10)"] == 3
    # Two quotes carry licenses (the August one has none), unchanged by the candidate.
    assert {d["bucket"]: d["licenses"] for d in summary["distribution"]}["0"] == 2


def test_only_the_statuses_asked_for_are_simulated(session: Session,
                                                   stored: dict[str, Quote]) -> None:
    query = simulation.make_query(date(2026, 7, 1), date(2026, 9, 30), "sent,accepted")
    report = simulation.simulate(session, candidate(RAISED_CASES), query)
    assert {c.status for c in report.changes} == {"sent", "accepted"}
    assert report.count == 2


def test_a_removed_license_product_is_listed_with_the_reason_not_a_crash(
        session: Session, stored: dict[str, Quote]) -> None:
    report = simulation.simulate(session, without_product("coding-assistant"), PERIOD)
    unpriced = {c.number: c.problem for c in report.unpriced}
    assert set(unpriced) == {stored["july"].ref, stored["september"].ref}
    assert all("unknown license product 'coding-assistant'" in (p or "")
               for p in unpriced.values())
    assert report.priced_count == 1  # the August quote has no licenses
    # Totals compare like with like: only the quotes priced both ways.
    assert report.summary()["program_totals"]["MXN"]["old"] == str(
        report.changes[1].old_program)


def test_quotes_crossing_the_candidates_approval_limit_are_named_both_ways(
        session: Session, stored: dict[str, Quote], sales: User) -> None:
    generous = store(session, sales, "MX", "2026-08-10", "pending_approval",
                     discount_percent="12")
    report = simulation.simulate(session, candidate(
        ('discount_without_approval = "10"', 'discount_without_approval = "5"')), PERIOD)
    crossings = {c.number: c.approval_crossing for c in report.crossings}
    # 8% now needs approval (limit 5%); 4% still does not; 12% needed it already.
    assert crossings == {stored["july"].ref: "into", stored["august"].ref: "into"}
    assert generous.ref not in crossings
    lowered = simulation.simulate(session, candidate(
        ('discount_without_approval = "10"', 'discount_without_approval = "15"')), PERIOD)
    assert {c.number: c.approval_crossing for c in lowered.crossings} == {
        generous.ref: "out_of"}


def test_a_candidate_with_a_bad_field_is_refused_naming_its_path_and_field(
        tmp_path: Path) -> None:
    path = tmp_path / "MX-2027-01.toml"
    path.write_text(mx_text(('per_case = "27000.00"', 'per_case = "-5.00"')), encoding="utf-8")
    with pytest.raises(RulesError) as refused:
        simulation.candidate_from_file(path)
    assert str(path) in str(refused.value)
    assert "prices.MXN.per_case" in str(refused.value)


def test_an_oversized_or_binary_candidate_is_refused() -> None:
    with pytest.raises(RulesError, match="larger than 256 KiB"):
        simulation.candidate_from_bytes(b"#" * (simulation.MAX_CANDIDATE_BYTES + 1), "big.toml")
    with pytest.raises(RulesError, match="not UTF-8"):
        simulation.candidate_from_bytes(b"\xff\xfe", "binary.toml")


def test_the_same_candidate_text_is_parsed_once() -> None:
    assert candidate(RAISED_CASES) is candidate(RAISED_CASES)


def test_percent_buckets_cover_every_change() -> None:
    assert simulation.bucket_of(Decimal("-25")) == "<-20"
    assert simulation.bucket_of(Decimal("-20")) == "[-20,-10)"
    assert simulation.bucket_of(Decimal("-0.01")) == "[-5,0)"
    assert simulation.bucket_of(Decimal("0")) == "0"
    assert simulation.bucket_of(Decimal("0.01")) == "(0,5)"
    assert simulation.bucket_of(Decimal("5")) == "[5,10)"
    assert simulation.bucket_of(Decimal("20")) == ">=20"
    assert simulation.percent_change(Decimal(0), Decimal(0)) == Decimal(0)
    assert simulation.percent_change(Decimal(0), Decimal(5)) is None


def test_unknown_statuses_and_a_reversed_period_are_refused_naming_the_field() -> None:
    with pytest.raises(QuoteInputError) as unknown:
        simulation.parse_statuses("sent,won")
    assert unknown.value.problems[0].field == "status"
    assert "won" in unknown.value.problems[0].message
    with pytest.raises(ValueError, match="to: 2026-06-30 is before 2026-07-01"):
        simulation.make_query(date(2026, 7, 1), date(2026, 6, 30))


def test_a_read_only_session_cannot_write(fresh_engine: Engine) -> None:
    with simulation.read_only_session(fresh_engine) as session, pytest.raises(
            DBAPIError):
        session.execute(text("DELETE FROM quotes"))
    # The connection goes back to the pool writable again.
    with Session(fresh_engine) as session:
        session.execute(text("DELETE FROM quotes"))
        session.rollback()


def test_a_quote_the_candidate_would_price_in_another_currency_is_not_compared(
        session: Session, stored: dict[str, Quote]) -> None:
    report = simulation.simulate(session, candidate(
        ('default_currency = "MXN"', 'default_currency = "USD"')), PERIOD)
    assert report.priced_count == 0
    change = report.changes[0]
    assert change.problem == ("currency: the candidate prices this quote in USD, it was "
                              "quoted in MXN")
    assert change.problems[0].code == "currency_changed"
    assert report.summary()["program_totals"] == {}
