"""The program's calendar and payment plan (quoting.plan): real dates, exact cents."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quoting.errors import QuoteInputError
from quoting.plan import calendar, document_plan, payment_schedule, split_exactly
from quoting.rules import load_rulebook
from quoting.service_pricing import price_request

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
RULES = load_rulebook()


def _request(market: str, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / f"{market.lower()}.json").read_text("utf-8"))
    data.update(changes)
    return data


def _snapshot(market: str, **changes: Any) -> dict[str, Any]:
    request = _request(market, **changes)
    priced = price_request(request, RULES).to_dict()
    return {"request": request, "priced": priced}


def test_without_a_start_date_the_program_starts_on_the_first_monday_after_the_lead_time() -> None:
    snapshot = _snapshot("MX", date="2026-11-25")  # a Wednesday; MX lead time 14 days
    plan = document_plan(snapshot, RULES.by_version(snapshot["priced"]["rules_version"]))
    assert plan["calendar"]["start_date"] == "2026-12-14"
    assert dt.date.fromisoformat(plan["calendar"]["start_date"]).weekday() == 0


def test_every_phase_follows_the_one_before_and_reports_fall_30_60_90_days_after() -> None:
    rules = RULES.by_version("MX-2025-01")
    request = _request("MX", start_date="2027-01-04", discovery_areas=5, cases=4,
                       duration_weeks=6)
    plan = calendar(request, dt.date(2026, 11, 25), rules)
    phases = plan["phases"]
    assert [p["phase"] for p in phases[:2]] == ["discovery", "case_building"]
    # 5 areas: two discovery weeks; 4 cases: two building weeks; then 6 weeks live.
    assert (phases[0]["start"], phases[0]["end"]) == ("2027-01-04", "2027-01-15")
    assert (phases[1]["start"], phases[1]["end"]) == ("2027-01-18", "2027-01-29")
    live = [p for p in phases if p["phase"] == "live_sessions"]
    assert {p["track"] for p in live} == {"technical", "business", "leadership"}
    assert all((p["start"], p["end"]) == ("2027-02-01", "2027-03-12") for p in live)
    assert plan["sessions_end"] == "2027-03-12"
    assert [r["date"] for r in plan["reports"]] == ["2027-04-11", "2027-05-11", "2027-06-10"]


def test_a_start_date_before_the_quote_or_beyond_a_year_is_refused_naming_the_field() -> None:
    for start in ("2026-11-24", "2027-12-01"):
        with pytest.raises(QuoteInputError) as refused:
            price_request(_request("MX", date="2026-11-25", start_date=start), RULES)
        assert [p.field for p in refused.value.problems] == ["start_date"]


def test_the_milestones_add_up_to_the_program_total_to_the_cent() -> None:
    snapshot = _snapshot("MX", date="2026-11-25", discount_percent="7")
    rules = RULES.by_version(snapshot["priced"]["rules_version"])
    plan = document_plan(snapshot, rules)
    milestones = plan["payment_schedule"]["program"]
    assert [m["event"] for m in milestones] == ["signing", "sessions_end"]
    assert sum(Decimal(m["amount"]) for m in milestones) == Decimal(
        snapshot["priced"]["program"]["total"])
    assert milestones[0]["invoice_date"] is None  # due on signing, whenever that is
    assert milestones[1]["invoice_date"] == plan["calendar"]["sessions_end"]


def test_spain_invoices_at_start_and_end_and_is_paid_within_thirty_days() -> None:
    snapshot = _snapshot("ES", date="2026-11-25")
    plan = document_plan(snapshot, RULES.by_version(snapshot["priced"]["rules_version"]))
    start, end = plan["payment_schedule"]["program"]
    assert start["invoice_date"] == plan["calendar"]["start_date"]
    assert (dt.date.fromisoformat(start["due_date"])
            - dt.date.fromisoformat(start["invoice_date"])).days == 30
    assert end["invoice_date"] == plan["calendar"]["sessions_end"]


def test_monthly_license_billing_adds_up_to_the_licenses_total() -> None:
    snapshot = _snapshot("ES", date="2026-11-25", licenses=[
        {"product": "chat-team", "seats": 7, "months": 12},
        {"product": "coding-assistant", "seats": 3, "months": 5}])
    rules = RULES.by_version(snapshot["priced"]["rules_version"])
    assert rules.license_billing == "monthly"
    billing = document_plan(snapshot, rules)["payment_schedule"]["licenses"]
    amounts = [Decimal(i["amount"]) for i in billing["installments"]]
    assert len(amounts) == 12
    assert sum(amounts) == Decimal(snapshot["priced"]["licenses"]["total"])
    assert amounts[0] > amounts[-1]  # the five-month seats stop after month 5


def test_up_front_license_billing_is_one_installment_on_the_start_date() -> None:
    snapshot = _snapshot("MX", date="2026-11-25",
                         licenses=[{"product": "chat-team", "seats": 4, "months": 6}])
    rules = RULES.by_version(snapshot["priced"]["rules_version"])
    plan = document_plan(snapshot, rules)
    [installment] = plan["payment_schedule"]["licenses"]["installments"]
    assert installment["date"] == plan["calendar"]["start_date"]
    assert installment["amount"] == snapshot["priced"]["licenses"]["total"]


def test_a_quote_without_licenses_has_no_license_billing() -> None:
    snapshot = _snapshot("MX", date="2026-11-25", licenses=[])
    rules = RULES.by_version(snapshot["priced"]["rules_version"])
    schedule = payment_schedule(snapshot["priced"], snapshot["request"],
                                calendar(snapshot["request"], dt.date(2026, 11, 25), rules),
                                rules)
    assert schedule["licenses"] is None


@given(total=st.decimals(min_value=0, max_value=10**9, places=2),
       weights=st.lists(st.integers(min_value=1, max_value=100), min_size=1, max_size=6))
def test_split_exactly_never_loses_or_invents_a_cent(total: Decimal, weights: list[int]) -> None:
    parts = split_exactly(total, [Decimal(w) for w in weights], "USD")
    assert sum(parts) == total
    assert all(part == part.quantize(Decimal("0.01")) for part in parts)


@given(total=st.integers(min_value=0, max_value=10**9))
def test_split_exactly_keeps_whole_pesos_for_currencies_without_cents(total: int) -> None:
    parts = split_exactly(Decimal(total), [Decimal(50), Decimal(30), Decimal(20)], "CLP")
    assert sum(parts) == total
    assert all(part == part.to_integral_value() for part in parts)


def test_a_payment_plan_that_does_not_add_up_to_100_is_refused() -> None:
    from pydantic import ValidationError

    from quoting.rules import RulesVersion

    data = RULES.by_version("MX-2025-01").model_dump(mode="json")
    data["payment_plan"] = [{"percent": "50", "due": "signing"}, {"percent": "40", "due": "start"}]
    with pytest.raises(ValidationError, match="add up to 100"):
        RulesVersion.model_validate(data)
