"""A quote's revisions side by side: what changed between any two (a route of the
quotes blueprint)."""

from __future__ import annotations

import contextlib
from typing import Any

from flask import render_template, request
from flask_babel import lazy_gettext as _l

from quoting import services
from quoting.i18n import market_today
from quoting.line_wording import license_name
from quoting.rules import Market, NoRulesInForce
from quoting.web import db_session
from quoting.web.formatting import DELIVERY_NAMES, LANGUAGE_NAMES, MARKET_NAMES, web_words
from quoting.web.quotes import bp, load_quote, small_number
from quoting.web.text import _


@bp.route("/quotes/<number>/history")
def history(number: str) -> str:
    quote = load_quote(number)
    revisions = {r.revision: r for r in quote.revisions}
    last = quote.current_revision

    def pick(name: str, default: int) -> int:
        value = request.args.get(name, "")
        chosen = small_number(value) or default
        return chosen if chosen in revisions else default

    new_number = pick("to", last)
    old_number = pick("from", max(1, new_number - 1))
    old, new = revisions[old_number], revisions[new_number]
    changes = _differences(old.request, new.request)
    totals = []
    for label, section in ((_("Program total"), "program"), (_("Licenses total"), "licenses")):
        before, after = old.priced[section], new.priced[section]
        if before["total"] != after["total"] or before["currency"] != after["currency"]:
            totals.append({"label": label, "before": (before["total"], before["currency"]),
                           "after": (after["total"], after["currency"])})
    return render_template("quotes/history.html", quote=quote, old=old, new=new,
                           changes=changes, totals=totals,
                           revisions=sorted(revisions.values(), key=lambda r: r.revision),
                           events=services.quote_events(db_session(), quote.ref))


def _field_label(key: str) -> str:
    """A request field's name as the form shows it ("licenses.2.seats" -> "License 2: seats")."""
    parts = key.split(".")
    labels = {
        "market": _l("Market"), "currency": _l("Program currency"),
        "language": _l("Proposal language"), "date": _l("Date"),
        "client.name": _l("Legal name"), "client.tax_id": _l("Tax ID"),
        "client.contact": _l("Contact person"), "client.email": _l("Contact email"),
        "participants.technical": _l("Technical"), "participants.business": _l("Business"),
        "participants.leadership": _l("Leadership"), "duration_weeks": _l("Weeks"),
        "discovery_areas": _l("Discovery areas"), "cases": _l("Client cases"),
        "delivery.mode": _l("Delivery"), "delivery.trips": _l("Trips"),
        "discount_percent": _l("Discount %"), "valid_days": _l("Valid for (days)"),
        "start_date": _l("Program start"),
        "context": _l("Client context"), "internal_owner": _l("Client's internal owner"),
    }
    if key in labels:
        return str(labels[key])
    if parts[0] == "licenses" and len(parts) == 3:
        part = {"product": _("Product"), "seats": _("Seats"), "months": _("Months")}
        return _("License line %(num)s: %(part)s", num=parts[1],
                 part=part.get(parts[2], parts[2]))
    if parts[0] == "case_descriptions" and len(parts) == 2:
        return _("Case %(num)s", num=parts[1])
    return key


def _value(key: str, value: str, market: str) -> str:
    """A stored value in the words a salesperson uses: a license's product name, not
    "coding-assistant"; "On site", not "onsite"."""
    if not value:
        return value
    if key.startswith("licenses.") and key.endswith(".product"):
        rules = None
        with contextlib.suppress(ValueError, NoRulesInForce):
            rules = services.default_rulebook().in_force(Market(market), market_today(market))
        return license_name(value, web_words(), rules)
    if key == "delivery.mode":
        return str(DELIVERY_NAMES.get(value, value))
    if key == "language":
        return LANGUAGE_NAMES.get(value, value)
    if key == "market":
        return str(MARKET_NAMES.get(value, value))
    return value


def _differences(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, str]]:
    """Every request field whose value differs between two revisions."""
    market = str(after.get("market") or before.get("market") or "")
    return [{"field": key, "label": _field_label(key), "before": _value(key, old, market),
             "after": _value(key, new, market)}
            for key, old, new in services.field_differences(before, after)]
