"""The program's calendar and payment plan, worked out from a priced quote.

Pure: no clock, no I/O. The same stored request, priced figures and rules
version always give the same dates and amounts, so the proposal (and its
attached quote.json) reads the same whenever it is rendered.

The calendar: the program starts on `start_date`, or on the first Monday at
least the market's lead time after the quote date; discovery takes a week per
four client areas, case building a week per three cases, then the live sessions
run `duration_weeks` for every track at once; adoption is reported 30, 60 and
90 days after the last session.

The payment plan: the market's milestones (percent of the program total, due on
an event of the calendar) with the cents split so the milestones add up to the
total exactly; licenses billed up front or per month from the start.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from quoting.money import round_half_up
from quoting.rules import RulesVersion

AREAS_PER_DISCOVERY_WEEK = 4
CASES_PER_BUILD_WEEK = 3
REPORT_DAYS = (30, 60, 90)
HUNDRED = Decimal(100)


def _monday_on_or_after(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=(7 - day.weekday()) % 7)


def _week_span(start: dt.date, weeks: int) -> tuple[dt.date, dt.date]:
    """`weeks` working weeks from a Monday: Monday to the last Friday."""
    return start, start + dt.timedelta(days=7 * weeks - 3)


def start_date(request: Mapping[str, Any], quote_date: dt.date, rules: RulesVersion) -> dt.date:
    chosen = request.get("start_date")
    if chosen:
        return dt.date.fromisoformat(str(chosen))
    return _monday_on_or_after(quote_date + dt.timedelta(days=rules.start_lead_days))


def calendar(request: Mapping[str, Any], quote_date: dt.date,
             rules: RulesVersion) -> dict[str, Any]:
    """Every phase with its dates (ISO strings, as in quote.json)."""
    start = start_date(request, quote_date, rules)
    areas = int(request.get("discovery_areas") or 1)
    cases = int(request.get("cases") or 1)
    weeks = int(request.get("duration_weeks") or 1)
    participants = request.get("participants") or {}
    tracks = [role for role in ("technical", "business", "leadership")
              if int(participants.get(role) or 0) > 0]

    discovery_weeks = max(1, math.ceil(areas / AREAS_PER_DISCOVERY_WEEK))
    build_weeks = max(1, math.ceil(cases / CASES_PER_BUILD_WEEK))
    discovery = _week_span(_monday_on_or_after(start), discovery_weeks)
    build = _week_span(discovery[0] + dt.timedelta(weeks=discovery_weeks), build_weeks)
    sessions_start = build[0] + dt.timedelta(weeks=build_weeks)
    sessions = _week_span(sessions_start, weeks)
    phases: list[dict[str, Any]] = [
        {"phase": "discovery", "start": discovery[0], "end": discovery[1],
         "weeks": discovery_weeks},
        {"phase": "case_building", "start": build[0], "end": build[1], "weeks": build_weeks},
        *({"phase": "live_sessions", "track": track, "start": sessions[0], "end": sessions[1],
           "weeks": weeks} for track in tracks),
    ]
    reports = [(day, sessions[1] + dt.timedelta(days=day)) for day in REPORT_DAYS]
    return {
        "start_date": start.isoformat(),
        "sessions_end": sessions[1].isoformat(),
        "phases": [{k: (v.isoformat() if isinstance(v, dt.date) else v)
                    for k, v in phase.items()} for phase in phases],
        "reports": [{"day": day, "date": date.isoformat()} for day, date in reports],
    }


def _event_dates(plan: Mapping[str, Any]) -> dict[str, str | None]:
    reports = {f"day_{r['day']}": r["date"] for r in plan["reports"]}
    return {"signing": None, "start": plan["start_date"],
            "sessions_end": plan["sessions_end"], **reports}


def split_exactly(total: Decimal, weights: list[Decimal], currency: str) -> list[Decimal]:
    """`total` in parts proportional to `weights`, each rounded half-up to the
    currency's minor unit, the last taking what rounding left: they add up to
    `total` to the cent."""
    whole = sum(weights)
    if not whole:
        return [Decimal(0) for _ in weights]
    parts = [round_half_up(total * weight / whole, currency) for weight in weights[:-1]]
    return [*parts, total - sum(parts)]


def payment_schedule(priced: Mapping[str, Any], request: Mapping[str, Any],
                     plan: Mapping[str, Any], rules: RulesVersion) -> dict[str, Any]:
    """The program's milestones and the licenses' billing, amounts as decimal strings."""
    program = priced["program"]
    currency = str(program["currency"])
    total = Decimal(str(program["total"]))
    events = _event_dates(plan)
    amounts = split_exactly(total, [m.percent for m in rules.payment_plan], currency)
    days = rules.invoice_payment_days
    milestones = []
    for milestone, amount in zip(rules.payment_plan, amounts, strict=True):
        invoiced = events[milestone.due]
        due = (None if invoiced is None else
               (dt.date.fromisoformat(invoiced) + dt.timedelta(days=days)).isoformat())
        milestones.append({"event": milestone.due, "percent": str(milestone.percent),
                           "amount": str(amount), "currency": currency,
                           "invoice_date": invoiced, "due_date": due})
    schedule: dict[str, Any] = {"program": milestones, "payment_days": days, "licenses": None}

    licenses = priced["licenses"]
    if licenses["lines"]:
        schedule["licenses"] = _license_billing(licenses, plan, rules)
    return schedule


def _license_billing(licenses: Mapping[str, Any], plan: Mapping[str, Any],
                     rules: RulesVersion) -> dict[str, Any]:
    currency = str(licenses["currency"])
    total = Decimal(str(licenses["total"]))
    start = dt.date.fromisoformat(plan["start_date"])
    if rules.license_billing == "upfront":
        return {"billing": "upfront", "currency": currency, "installments": [
            {"month": 1, "date": start.isoformat(), "amount": str(total)}]}
    # Per month: each month bills the seats still running that month; taxes included,
    # split in proportion so the months add up to the licenses' total.
    months = max(int(line["detail"].get("months") or 1) if line.get("detail") else 1
                 for line in licenses["lines"])
    weights = []
    for month in range(1, months + 1):
        net = Decimal(0)
        for line in licenses["lines"]:
            detail = line.get("detail") or {}
            line_months = int(detail.get("months") or 1)
            if month <= line_months:
                net += Decimal(str(line["amount"])) / line_months
        weights.append(net)
    amounts = split_exactly(total, weights, currency)
    return {"billing": "monthly", "currency": currency, "installments": [
        {"month": month, "date": _add_months(start, month - 1).isoformat(),
         "amount": str(amount)}
        for month, amount in enumerate(amounts, start=1)]}


def _add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has a 28th")


def document_plan(snapshot: Mapping[str, Any], rules: RulesVersion) -> dict[str, Any]:
    """The calendar and payment schedule of a stored revision, as quote.json carries them."""
    priced, request = snapshot["priced"], snapshot["request"]
    quote_date = dt.date.fromisoformat(str(priced["quote_date"]))
    plan = calendar(request, quote_date, rules)
    return {"calendar": plan, "payment_schedule": payment_schedule(priced, request, plan, rules)}
