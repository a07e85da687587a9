"""What changed between two revisions of a quote.

- `field_differences`: every request field whose value differs (the desk's
  revision comparison words these).
- `compare_revisions`: what a client sees change between two revisions (pure):
  the scope (participants per role track, weeks, discovery areas, client cases,
  delivery, licenses' seats and months), the priced lines added, removed or
  changed, the discount, subtotal, taxes and total of each section (with their
  currency) and the validity. Nothing internal: no author, no approval, no
  rule or internal note.
- `changes_since_sent`: for the revision a client link shows, those changes since
  the latest earlier revision of the quote that was sent (None if there is none).

Values are kept as stored (counts as int, amounts as decimal strings, dates as
ISO strings, priced lines as their dicts): the pages word and format them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.orm import Session

from quoting.services.quotes import get_quote
from quoting.store.models import QuoteRevision

ROLES = ("technical", "business", "leadership")
# The request fields a client sees in the proposal's scope, in the order they show.
SCOPE_FIELDS = (*(f"participants.{role}" for role in ROLES), "duration_weeks",
                "discovery_areas", "cases", "delivery.mode", "delivery.trips")
SECTIONS = ("program", "licenses")
AMOUNTS = ("subtotal", "discount", "tax", "total")
CLIENT_LINE_FIELDS = ("code", "detail", "category", "quantity", "unit", "unit_price",
                      "amount")

__all__ = ["AmountChange", "LineChange", "RevisionChanges", "ScopeChange",
           "changes_since_sent", "compare_revisions", "field_differences", "flatten"]


@dataclass(frozen=True, slots=True)
class ScopeChange:
    """A scope value that changed. `field` is one of SCOPE_FIELDS (ints; the delivery
    mode a string), "license" (`key` the product; values {"seats", "months"} or None
    where the product is not quoted) or "valid_until" (ISO dates)."""

    field: str
    before: Any
    after: Any
    key: str | None = None


@dataclass(frozen=True, slots=True)
class LineChange:
    """A priced line of a section ("program" or "licenses") that was added (no
    `before`), removed (no `after`) or whose quantity or amount changed: each side
    is what the proposal shows of the stored line (CLIENT_LINE_FIELDS)."""

    section: str
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None

    @property
    def kind(self) -> str:
        if self.before is None:
            return "added"
        return "removed" if self.after is None else "changed"


@dataclass(frozen=True, slots=True)
class AmountChange:
    """A section's subtotal, discount, tax or total that changed (decimal strings,
    each with its currency); for the discount, the percentages too."""

    section: str
    name: str
    before: str
    before_currency: str
    after: str
    after_currency: str
    before_percent: str | None = None
    after_percent: str | None = None


@dataclass(frozen=True, slots=True)
class RevisionChanges:
    """What changed from revision `since` (sent at `since_sent_at`) to `revision`."""

    revision: int
    since: int
    since_sent_at: datetime | None
    scope: tuple[ScopeChange, ...]
    lines: tuple[LineChange, ...]
    amounts: tuple[AmountChange, ...]
    # Each section's currency before and after.
    currencies: Mapping[str, tuple[str, str]]

    @property
    def empty(self) -> bool:
        return not (self.scope or self.lines or self.amounts)


# ---------------------------------------------------------------- request fields


def flatten(value: Any, prefix: str = "") -> dict[str, str]:
    """A JSON document as {"a.b.1.c": "text"} (list items numbered from 1)."""
    if isinstance(value, dict):
        flat: dict[str, str] = {}
        for key, item in value.items():
            flat.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(value, list | tuple):
        flat = {}
        for index, item in enumerate(value):
            flat.update(flatten(item, f"{prefix}.{index + 1}"))
        return flat
    return {prefix: "" if value is None else str(value)}


def field_differences(before: Mapping[str, Any], after: Mapping[str, Any]
                      ) -> list[tuple[str, str, str]]:
    """(field, before, after) for every request field whose value differs, by field."""
    old, new = flatten(dict(before)), flatten(dict(after))
    return [(key, old.get(key, ""), new.get(key, ""))
            for key in sorted(set(old) | set(new)) if old.get(key, "") != new.get(key, "")]


# ---------------------------------------------------------------- what a client sees


def compare_revisions(before_request: Mapping[str, Any], before_priced: Mapping[str, Any],
                      after_request: Mapping[str, Any], after_priced: Mapping[str, Any]
                      ) -> tuple[tuple[ScopeChange, ...], tuple[LineChange, ...],
                                 tuple[AmountChange, ...]]:
    """The scope, line and amount changes a client sees between two revisions (a
    stored request and priced quote each)."""
    scope = [*_scope_changes(before_request, after_request),
             *_license_changes(before_request, after_request)]
    if str(before_priced["valid_until"]) != str(after_priced["valid_until"]):
        scope.append(ScopeChange("valid_until", str(before_priced["valid_until"]),
                                 str(after_priced["valid_until"])))
    lines: list[LineChange] = []
    amounts: list[AmountChange] = []
    for section in SECTIONS:
        old, new = before_priced[section], after_priced[section]
        lines.extend(_line_changes(section, old["lines"], new["lines"]))
        amounts.extend(_amount_changes(section, old, new))
    return tuple(scope), tuple(lines), tuple(amounts)


def changes_since_sent(session: Session, ref: str, revision: int) -> RevisionChanges | None:
    """The changes a client sees in `revision` of the quote since the latest earlier
    revision that was sent, or None if no earlier revision was sent."""
    quote = get_quote(session, ref)
    shown = next((r for r in quote.revisions if r.revision == revision), None)
    if shown is None:
        return None
    earlier = _latest_sent_before(quote.revisions, revision)
    if earlier is None:
        return None
    scope, lines, amounts = compare_revisions(earlier.request, earlier.priced,
                                              shown.request, shown.priced)
    currencies = {section: (str(earlier.priced[section]["currency"]),
                            str(shown.priced[section]["currency"])) for section in SECTIONS}
    return RevisionChanges(revision=shown.revision, since=earlier.revision,
                           since_sent_at=earlier.sent_at, scope=scope, lines=lines,
                           amounts=amounts, currencies=currencies)


# ---------------------------------------------------------------- helpers


def _latest_sent_before(revisions: Iterable[QuoteRevision], revision: int
                        ) -> QuoteRevision | None:
    sent = [r for r in revisions if r.revision < revision and r.sent_at is not None]
    return max(sent, key=lambda r: r.revision, default=None)


def _scope_value(request: Mapping[str, Any], field: str) -> Any:
    flat = flatten(dict(request))
    if field == "delivery.mode" and "delivery" in flat:  # an older request: "remote"
        return flat["delivery"]
    text = flat.get(field, "")
    if field == "delivery.mode":
        return text or "remote"
    return int(text) if text.strip().lstrip("-").isdigit() else 0


def _scope_changes(before: Mapping[str, Any], after: Mapping[str, Any]
                   ) -> list[ScopeChange]:
    changes = []
    for field in SCOPE_FIELDS:
        old, new = _scope_value(before, field), _scope_value(after, field)
        if old != new:
            changes.append(ScopeChange(field, old, new))
    return changes


def _licenses(request: Mapping[str, Any]) -> dict[str, dict[str, int]]:
    """The request's license lines by product (a product quoted twice: seats added,
    the longer term kept; the proposal prices each line, the scope is per product)."""
    found: dict[str, dict[str, int]] = {}
    for line in request.get("licenses") or ():
        product = str(line.get("product", ""))
        seats, months = int(line.get("seats") or 0), int(line.get("months") or 0)
        if product in found:
            found[product] = {"seats": found[product]["seats"] + seats,
                              "months": max(found[product]["months"], months)}
        else:
            found[product] = {"seats": seats, "months": months}
    return found


def _license_changes(before: Mapping[str, Any], after: Mapping[str, Any]
                     ) -> list[ScopeChange]:
    old, new = _licenses(before), _licenses(after)
    products = [*old, *(p for p in new if p not in old)]
    return [ScopeChange("license", old.get(p), new.get(p), key=p)
            for p in products if old.get(p) != new.get(p)]


def _keyed(lines: Iterable[Mapping[str, Any]]) -> dict[tuple[str, int], Mapping[str, Any]]:
    """Lines by (code, occurrence): the same code twice (a product on two license
    lines) pairs in order."""
    seen: dict[str, int] = {}
    keyed = {}
    for line in lines:
        code = str(line["code"])
        seen[code] = seen.get(code, 0) + 1
        keyed[code, seen[code]] = line
    return keyed


def _same_line(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return (int(a["quantity"]) == int(b["quantity"])
            and _number(a["unit_price"]) == _number(b["unit_price"])
            and _number(a["amount"]) == _number(b["amount"])
            and dict(a.get("detail") or {}) == dict(b.get("detail") or {}))


def _line_changes(section: str, before: Iterable[Mapping[str, Any]],
                  after: Iterable[Mapping[str, Any]]) -> list[LineChange]:
    old, new = _keyed(before), _keyed(after)
    changes = []
    for key, line in new.items():  # in the new revision's order, then what went
        if key not in old:
            changes.append(LineChange(section, None, _client_line(line)))
        elif not _same_line(old[key], line):
            changes.append(LineChange(section, _client_line(old[key]), _client_line(line)))
    changes.extend(LineChange(section, _client_line(line), None) for key, line in old.items()
                   if key not in new)
    return changes


def _client_line(line: Mapping[str, Any]) -> dict[str, Any]:
    """What the proposal shows of a line (not the pricing rule behind it)."""
    return {name: line[name] for name in CLIENT_LINE_FIELDS if name in line}


def _amount_changes(section: str, before: Mapping[str, Any], after: Mapping[str, Any]
                    ) -> list[AmountChange]:
    old_currency, new_currency = str(before["currency"]), str(after["currency"])
    changes = []
    for name in AMOUNTS:
        old, new = str(before[name]), str(after[name])
        percents = (str(before.get("discount_percent", "0")),
                    str(after.get("discount_percent", "0")))
        differs = _number(old) != _number(new) or old_currency != new_currency
        if name == "discount":
            differs = differs or _number(percents[0]) != _number(percents[1])
            if differs and (_number(old) != 0 or _number(new) != 0):
                changes.append(AmountChange(section, name, old, old_currency, new,
                                            new_currency, *percents))
        elif differs:
            changes.append(AmountChange(section, name, old, old_currency, new, new_currency))
    return changes


def _number(value: Any) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return Decimal(0)
