"""The proposal's concrete answers: tax lines as accounts payable reads them, the
calendar, the payment plan, the systems we run, the metrics, the total in words.

Pure, like context.py: it receives the snapshot's data, the rules and the
language's words, and returns formatted text for the template.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal
from num2words import num2words

from quoting.i18n import format_plain_percent
from quoting.line_wording import Words, category_name, track_name
from quoting.money import minor_units
from quoting.rules import ProductionSystem, RulesVersion

Money = Callable[[str, str], str]
DateText = Callable[[dt.date], str]


def _join(items: Sequence[str], words: Words) -> str:
    """"a, b and c" in the document's language."""
    if len(items) <= 1:
        return "".join(items)
    return words.gettext("%(items)s and %(last)s") % {
        "items": ", ".join(items[:-1]), "last": items[-1]}


def tax_groups(taxes: Sequence[Mapping[str, Any]], rules: RulesVersion, language: str,
               words: Words, money: Money, currency: str) -> list[dict[str, Any]]:
    """One line per tax label and rate (accounts payable books VAT by rate, not by our
    line categories); exempt bases stay apart, with the categories they cover."""
    groups: dict[tuple[str, str, bool], dict[str, Any]] = {}
    for tax in taxes:
        treatment = rules.tax.get(tax["category"])
        label = treatment.label.get(language) if treatment else str(tax["label"])
        key = (label, str(tax.get("rate", "")), bool(tax["exempt"]))
        # Nothing added on top (Brazil: the taxes are inside the price): the line
        # would only say "0"; the taxes it stands for are listed under the total.
        inside_only = (bool(tax.get("included")) and not tax["exempt"]
                       and Decimal(str(tax["amount"])) == 0)
        group = groups.setdefault(key, {"label": label, "exempt": bool(tax["exempt"]),
                                        "categories": [], "base": Decimal(0),
                                        "amount": Decimal(0), "inside_only": inside_only})
        group["inside_only"] = group["inside_only"] and inside_only
        group["categories"].append(category_name(str(tax["category"]), words))
        group["base"] += Decimal(str(tax["base"]))
        group["amount"] += Decimal(str(tax["amount"]))
    return [{"label": g["label"], "exempt": g["exempt"],
             "category": _join(g["categories"], words),
             "base": money(str(g["base"]), currency),
             "amount": money(str(g["amount"]), currency),
             "inside_only": g["inside_only"]} for g in groups.values()]


def tax_intro(groups: Sequence[Mapping[str, Any]], words: Words) -> str:
    """How the program's amounts are taxed, worded per the actual split (Chile: the
    courses are exempt, the consulting is not)."""
    _ = words.gettext
    taxed = [g for g in groups if not g["exempt"] and not g["inside_only"]]
    exempt = [g for g in groups if g["exempt"]]
    if not taxed:
        return _("Amounts are net; this program is exempt from tax.") if exempt else ""
    if not exempt and len(taxed) == 1:
        return _("Amounts are net, plus %(tax)s.") % {"tax": taxed[0]["label"]}
    parts = [_("%(tax)s applies to %(categories)s") % {"tax": g["label"],
                                                       "categories": g["category"]}
             for g in taxed]
    text = _("Amounts are net; %(taxed)s.") % {"taxed": "; ".join(parts)}
    if exempt:
        text += " " + _("Exempt: %(categories)s.") % {
            "categories": _join([g["category"] for g in exempt], words)}
    return text


def calendar_rows(plan: Mapping[str, Any], words: Words,
                  date_text: DateText) -> dict[str, Any]:
    """The calendar's phases and reports, with each bar's place on a common time axis
    (percent of the span from the start to the 90-day report)."""
    _ = words.gettext
    start = dt.date.fromisoformat(plan["start_date"])
    end = dt.date.fromisoformat(plan["reports"][-1]["date"])
    span = max((end - start).days + 1, 1)

    def place(first: dt.date, last: dt.date) -> dict[str, str]:
        left = (first - start).days / span * 100
        width = max(((last - first).days + 1) / span * 100, 1.2)
        return {"left": f"{left:.2f}", "width": f"{min(width, 100 - left):.2f}"}

    names = {"discovery": _("Discovery interviews"),
             "case_building": _("Case building with your team")}
    rows = []
    for phase in plan["phases"]:
        first = dt.date.fromisoformat(phase["start"])
        last = dt.date.fromisoformat(phase["end"])
        name = (_("Live sessions: %(track)s track") % {"track": track_name(phase["track"], words)}
                if phase["phase"] == "live_sessions" else names[phase["phase"]])
        rows.append({"name": name, "kind": phase["phase"],
                     "dates": _("%(start)s to %(end)s") % {"start": date_text(first),
                                                           "end": date_text(last)},
                     "weeks": words.ngettext("%(num)s week", "%(num)s weeks",
                                             int(phase["weeks"])) % {"num": phase["weeks"]},
                     **place(first, last)})
    for report in plan["reports"]:
        day = dt.date.fromisoformat(report["date"])
        rows.append({"name": _("Adoption report, day %(day)s") % {"day": report["day"]},
                     "kind": "report", "dates": date_text(day), "weeks": "",
                     **place(day, day)})
    return {"rows": rows, "start": date_text(start), "end": date_text(end),
            "sessions_end": date_text(dt.date.fromisoformat(plan["sessions_end"])),
            "reports": [{"day": r["day"], "date": date_text(dt.date.fromisoformat(r["date"]))}
                        for r in plan["reports"]]}


def payment_rows(schedule: Mapping[str, Any], money: Money, words: Words, locale: str,
                 date_text: DateText) -> dict[str, Any]:
    _ = words.gettext
    events = {"signing": _("On signing this proposal"),
              "start": _("When the program starts"),
              "sessions_end": _("At the end of the live sessions"),
              "day_30": _("With the 30-day report"),
              "day_60": _("With the 60-day report"),
              "day_90": _("With the 90-day report")}
    days = int(schedule.get("payment_days") or 0)
    program = []
    for milestone in schedule["program"]:
        invoice = milestone.get("invoice_date")
        due = milestone.get("due_date")
        when = events[milestone["event"]]
        if invoice:
            when += f" ({date_text(dt.date.fromisoformat(invoice))})"
        percent = format_plain_percent(milestone["percent"], locale)
        program.append({
            "when": when,
            # "50% at the end of the live sessions (5 March 2027)": in a sentence, the
            # event's first letter drops to lower case, never the month's.
            "in_sentence": f"{percent} {when[:1].lower()}{when[1:]}",
            "percent": percent,
            "amount": money(milestone["amount"], milestone["currency"]),
            "due": (_("within %(days)s days of the invoice, by %(date)s") % {
                "days": days, "date": date_text(dt.date.fromisoformat(due))}
                if due and days else _("on the invoice date") if due else _("on signing")),
        })
    licenses = None
    billing = schedule.get("licenses")
    if billing:
        installments = billing["installments"]
        currency = billing["currency"]
        first = dt.date.fromisoformat(installments[0]["date"])
        if billing["billing"] == "upfront":
            text = _("Licenses are billed in full when the program starts (%(date)s): "
                     "%(amount)s.") % {"date": date_text(first),
                                       "amount": money(installments[0]["amount"], currency)}
        else:
            amounts = [Decimal(i["amount"]) for i in installments]
            text = words.ngettext(
                "Licenses are billed monthly from %(date)s, in %(num)s installment: %(list)s.",
                "Licenses are billed monthly from %(date)s, in %(num)s installments: %(list)s.",
                len(installments)) % {
                "date": date_text(first), "num": len(installments),
                "list": _runs(amounts, money, currency, words)}
        licenses = text
    return {"program": program, "licenses": licenses}


def _runs(amounts: list[Decimal], money: Money, currency: str, words: Words) -> str:
    """Equal consecutive installments said once: "11 × $1.000,00 and 1 × $999,95"."""
    runs: list[tuple[Decimal, int]] = []
    for amount in amounts:
        if runs and runs[-1][0] == amount:
            runs[-1] = (amount, runs[-1][1] + 1)
        else:
            runs.append((amount, 1))
    return _join([f"{count} × {money(str(amount), currency)}" for amount, count in runs], words)


def production_systems(systems: Sequence[ProductionSystem], language: str, locale: str,
                       words: Words, date_text: DateText) -> list[dict[str, Any]]:
    _ = words.gettext
    shown = []
    for system in systems:
        shown.append({
            "name": system.name,
            "what": system.what.get(language),
            "since": _("In production since %(date)s.") % {"date": date_text(system.since)},
            "figures": [{"value": (format_plain_percent(figure.value, locale) if figure.percent
                                   else format_decimal(figure.value, locale=locale)),
                         "label": figure.label.get(language)} for figure in system.figures],
            "as_of": _("Figures as of %(date)s, from our own monitoring.") % {
                "date": date_text(system.figures_as_of)},
        })
    return shown


_MILLIONS_BEFORE_NOUN = re.compile(r"\b(millón|millones|milhão|milhões)\s+(?!de\b)(?=\w)")


def amount_in_words(amount: str, currency: str, language: str) -> str | None:
    """ "ochocientos setenta y tres mil novecientos treinta pesos con ocho centavos",
    from num2words; None where it has no wording for the language or currency."""
    lang = {"es": "es", "pt": "pt_BR"}.get(language)
    if lang is None:
        return None
    value = Decimal(amount)
    if minor_units(currency) == 0 or value == value.to_integral_value():
        value = value.quantize(Decimal(1))
    try:
        if lang == "pt_BR":
            # num2words' Brazilian Portuguese words reais only; other currencies in
            # Portuguese come out European ("cêntimos"): better no words than those.
            if currency != "BRL":
                return None
            text = str(num2words(value, lang=lang, to="currency"))
        else:
            text = str(num2words(value, lang=lang, to="currency", currency=currency))
    except (NotImplementedError, KeyError, ValueError, TypeError):
        return None
    if lang == "pt_BR":
        text = text.replace(",", "")  # "mil duzentos", not "mil, duzentos"
    if value == value.to_integral_value():
        # "... pesos con cero centavos" says nothing; whole amounts end at the currency.
        text = re.sub(r"\s+(con|e) zero\b.*$|\s+con cero\b.*$", "", text)
    # Spanish and Portuguese say "un millón de pesos", "um milhão de reais".
    return _MILLIONS_BEFORE_NOUN.sub(lambda m: f"{m.group(1)} de ", text)


def answers(words: Words, calendar: Mapping[str, Any], cases: int, people: int, weeks: int,
            tracks: Sequence[Mapping[str, Any]], locale: str) -> dict[str, Any]:
    """The metrics (§6), the follow-up cadence (§7) and the executive summary's outcome."""
    _ = words.gettext
    ngettext = words.ngettext
    reports = {r["day"]: r["date"] for r in calendar["reports"]}
    baseline = _("Taken during discovery (%(dates)s), before any session.") % {
        "dates": calendar["rows"][0]["dates"]}
    routine_cases = max(1, -(-cases * 7 // 10))  # 70% of the cases, rounded up
    metrics = [
        {"name": _("Weekly active use"),
         "definition": _("Share of participants who used the approved AI tools for their own "
                         "work on at least three of the last five working days."),
         "measure": _("The usage log of your AI tool workspace; where there is none, a "
                      "two-minute weekly check-in per participant."),
         "target": _("%(percent)s of participants by day 90.") % {
             "percent": format_plain_percent(70, locale)}},
        {"name": _("Tasks solved with AI"),
         "definition": _("Work tasks per participant and week finished with AI help and kept "
                         "(a draft sent, a report delivered, a query answered)."),
         "measure": _("A weekly log per track, sampled and checked with the internal owner."),
         "target": _("At least five per participant and week by day 60.")},
        {"name": _("Time recovered"),
         "definition": _("Hours per participant and week saved on the selected cases, against "
                         "the time the same task took before the program."),
         "measure": _("Each case is timed in discovery and again at every checkpoint, on the "
                      "same sample of tasks."),
         "target": _("Two hours per participant and week by day 90.")},
        {"name": _("Cases in routine use"),
         "definition": _("Program cases the team still uses at least once a week."),
         "measure": _("Checked with each area's lead at every checkpoint."),
         "target": ngettext("%(num)s of %(total)s case by day 90.",
                            "%(num)s of %(total)s cases by day 90.", cases) % {
             "num": routine_cases, "total": cases}},
    ]
    follow_up = [
        ngettext("Weekly during the program: a 30-minute follow-up with each track for %(num)s "
                 "week, to unblock cases and adjust material.",
                 "Weekly during the program: a 30-minute follow-up with each track for %(num)s "
                 "weeks, to unblock cases and adjust material.", weeks) % {"num": weeks},
        _("Fortnightly from the last session (%(end)s) to the 90-day report (%(day90)s): six "
          "follow-ups with the internal owner and the area leads.") % {
            "end": calendar["sessions_end"], "day90": reports[90]},
        _("After day 90: the closing report with a recommended next step. The material and the "
          "cases stay with your team; any further support is proposed separately, never "
          "renewed by default."),
    ]
    outcome = [
        ngettext("%(people)s person across %(tracks)s works on real tasks with AI, safely.",
                 "%(people)s people across %(tracks)s work on real tasks with AI, safely.",
                 people) % {"people": people, "tracks": ngettext(
                     "%(num)s role track", "%(num)s role tracks", len(tracks)) % {
                     "num": len(tracks)}},
        ngettext("%(num)s of your own processes becomes working material your team keeps.",
                 "%(num)s of your own processes become working material your team keeps.",
                 cases) % {"num": cases},
        _("From %(start)s to %(end)s, with adoption figures on %(day30)s, %(day60)s and "
          "%(day90)s.") % {"start": calendar["start"], "end": calendar["sessions_end"],
                           "day30": reports[30], "day60": reports[60], "day90": reports[90]},
    ]
    return {"metrics": metrics, "baseline": baseline, "follow_up": follow_up,
            "outcome": outcome, "reports": calendar["reports"]}
