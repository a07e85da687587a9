"""How a priced line is worded for people: the line's concept, its unit, the track,
license product and tax category names, in any language.

One wording for the proposal PDF (gettext domain `messages`, babel.cfg) and the
sales desk (domain `web`, babel-web.cfg): both catalogues extract their strings
from this file. Pure: the caller hands in the language's gettext functions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from babel.numbers import format_decimal

from quoting.rules import RulesVersion


@dataclass(frozen=True, slots=True)
class Words:
    """The gettext functions of one language, uninterpolated (callers apply `%`)."""

    gettext: Callable[[str], str]
    ngettext: Callable[[str, str, int], str]


def line_concept(code: str, detail: Mapping[str, Any], words: Words,
                 rules: RulesVersion | None, locale: str, unknown: str | None = None) -> str:
    """Word a priced line from its code and detail; numbers in `locale`'s format.
    A code this version does not know (from an older quote) shows as `unknown`,
    e.g. the line's stored description, else as the code itself."""
    _ = words.gettext
    ngettext = words.ngettext
    head, _sep, rest = code.partition(".")
    if head == "discovery":
        return _("Discovery interviews, one per client area")
    if head == "cases":
        return _("Client cases turned into working material")
    if head == "track_design":
        return _("%(track)s track: design on the client's cases") % {
            "track": track_name(rest, words)}
    if head == "participants":
        role = str(detail.get("role", rest.split(".")[0]))
        first, last = int(detail.get("first", 0)), int(detail.get("last", 0))
        if first == last:
            return _("%(track)s track: participant %(first)s") % {
                "track": track_name(role, words), "first": first}
        return _("%(track)s track: participants %(first)s to %(last)s") % {
            "track": track_name(role, words), "first": first, "last": last}
    if head == "delivery_weeks":
        weeks, tracks = int(detail.get("weeks", 0)), int(detail.get("tracks", 0))
        return _("Live sessions: %(weeks)s × %(tracks)s") % {
            "weeks": ngettext("%(num)s week", "%(num)s weeks", weeks) % {"num": weeks},
            "tracks": ngettext("%(num)s track", "%(num)s tracks", tracks) % {"num": tracks},
        }
    if head == "travel":
        if rest == "onsite":
            return _("Travel for on-site delivery, per trip")
        return _("Travel for hybrid delivery, per trip")
    if head == "follow_up":
        return _("Adoption measurement at 30, 60 and 90 days")
    if head == "minimum_fee":
        return _("Adjustment to the program's minimum fee")
    if head == "license":
        product = str(detail.get("product", rest))
        seats, months = int(detail.get("seats", 0)), int(detail.get("months", 0))
        found = rules.license_product(product) if rules is not None else None
        unit = str(detail.get("unit") or (found.unit if found else "seat"))
        units = (ngettext("%(num)s block", "%(num)s blocks", seats) if unit == "block"
                 else ngettext("%(num)s seat", "%(num)s seats", seats))
        return _("%(product)s: %(seats)s × %(months)s") % {
            "product": license_name(product, words, rules),
            "seats": units % {"num": format_decimal(seats, locale=locale)},
            "months": ngettext("%(num)s month", "%(num)s months", months) % {"num": months},
        }
    return unknown or code


def track_name(role: str, words: Words) -> str:
    _ = words.gettext
    names = {"technical": _("Technical"), "business": _("Business"),
             "leadership": _("Leadership")}
    return names.get(role, role)


def license_name(product: str, words: Words, rules: RulesVersion | None) -> str:
    _ = words.gettext
    names = {
        "chat-team": _("Team chat assistant (business plan)"),
        "chat-enterprise": _("Enterprise chat assistant (SSO, data controls)"),
        "coding-assistant": _("Coding assistant for developers"),
    }
    if product == "api-credit":
        # The block is worth one unit's price, in the licenses' currency (EUR in Spain).
        found = rules.license_product(product) if rules is not None else None
        block = (f"{rules.licenses.currency} {found.per_seat_month.normalize():f}"
                 if rules is not None and found is not None else "USD 100")
        return _("API usage credit, block of %(amount)s") % {"amount": block}
    if product in names:
        return names[product]
    found = rules.license_product(product) if rules is not None else None
    return found.name if found else product


def unit_name(unit: str, quantity: int, words: Words) -> str:
    ngettext = words.ngettext
    units = {
        "area": ngettext("area", "areas", quantity),
        "case": ngettext("case", "cases", quantity),
        "track": ngettext("track", "tracks", quantity),
        "participant": ngettext("participant", "participants", quantity),
        "track-week": ngettext("track-week", "track-weeks", quantity),
        "trip": ngettext("trip", "trips", quantity),
        "program": ngettext("program", "programs", quantity),
        "seat-month": ngettext("seat-month", "seat-months", quantity),
        "block-month": ngettext("block-month", "block-months", quantity),
    }
    return units.get(unit, unit)


def category_name(category: str, words: Words) -> str:
    _ = words.gettext
    names = {"training": _("training"), "consulting": _("consulting"),
             "travel": _("travel"), "license": _("licenses")}
    return names.get(category, category)
