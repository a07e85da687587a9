"""What a client sees change between revisions (quoting.services.changes): the
revision a link shows against the latest earlier revision that was sent."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from quoting import services
from quoting.services.changes import compare_revisions
from quoting.store.models import Quote, User
from tests.integration.conftest import NOW, QUOTE_DAY, example

LATER = NOW + timedelta(days=3)
LATER_DAY = QUOTE_DAY + timedelta(days=3)


def _sent(session: Session, user: User, **changes: Any) -> Quote:
    quote = services.create_quote(session, example("mx", **changes), user, QUOTE_DAY,
                                  now=NOW)
    return services.send_quote(session, quote.ref, user, QUOTE_DAY, now=NOW)


def _revised(session: Session, quote: Quote, user: User, *, send: bool = True,
             **changes: Any) -> Quote:
    ref = str(quote.number)
    request = example("mx", date=LATER_DAY.isoformat(), **changes)
    revised = services.revise_quote(session, ref, request, user, LATER_DAY, now=LATER)
    if send:
        revised = services.send_quote(session, ref, user, LATER_DAY, now=LATER)
    return revised


REVISED = {
    # 12 -> 15 technical, leadership track dropped, 10 weeks, one case less, hybrid.
    "participants": {"technical": 15, "business": 20, "leadership": 0},
    "duration_weeks": 10, "cases": 3, "delivery": {"mode": "hybrid", "trips": 2},
    # Enterprise chat gone, team chat added, coding assistant 12 -> 20 seats.
    "licenses": [{"product": "coding-assistant", "seats": 20, "months": 12},
                 {"product": "chat-team", "seats": 30, "months": 6}],
    "discount_percent": "5",
    # Not the client's concern on this page: internal wording changes.
    "internal_owner": "Mariana Ortiz", "context": "Otro contexto",
}


def test_the_changes_since_the_revision_sent_before_are_what_the_client_sees(
        session: Session, sales: User) -> None:
    quote = _sent(session, sales)
    _revised(session, quote, sales, **REVISED)
    stored = {r.revision: r for r in services.get_quote(session, str(quote.number)).revisions}

    changes = services.changes_since_sent(session, str(quote.number), 2)

    assert changes is not None
    assert (changes.revision, changes.since) == (2, 1)
    assert changes.since_sent_at == stored[1].sent_at
    scope = {(c.field, c.key): (c.before, c.after) for c in changes.scope}
    assert scope == {
        ("participants.technical", None): (12, 15),
        ("participants.leadership", None): (5, 0),
        ("duration_weeks", None): (8, 10),
        ("cases", None): (4, 3),
        ("delivery.mode", None): ("remote", "hybrid"),
        ("delivery.trips", None): (0, 2),
        ("license", "chat-enterprise"): ({"seats": 37, "months": 12}, None),
        ("license", "coding-assistant"): ({"seats": 12, "months": 12},
                                          {"seats": 20, "months": 12}),
        ("license", "chat-team"): (None, {"seats": 30, "months": 6}),
        ("valid_until", None): (stored[1].valid_until.isoformat(),
                                stored[2].valid_until.isoformat()),
    }
    # Scope first, in the proposal's order; the validity last.
    assert [c.field for c in changes.scope][:6] == [
        "participants.technical", "participants.leadership", "duration_weeks", "cases",
        "delivery.mode", "delivery.trips"]

    lines = {(line.section, line.kind,
              str((line.after or line.before or {})["code"])) for line in changes.lines}
    assert ("program", "removed", "track_design.leadership") in lines
    assert ("program", "removed", "participants.leadership.1") in lines
    assert ("program", "added", "travel.hybrid") in lines
    assert ("program", "changed", "participants.technical.2") in lines  # 11-12 -> 11-15
    assert ("program", "changed", "delivery_weeks") in lines
    assert ("program", "changed", "cases") in lines
    assert ("licenses", "removed", "license.chat-enterprise") in lines
    assert ("licenses", "added", "license.chat-team") in lines
    assert ("licenses", "changed", "license.coding-assistant") in lines
    unchanged = {"discovery", "track_design.technical", "track_design.business",
                 "participants.technical.1", "participants.business.1",
                 "participants.business.2", "follow_up"}
    assert not {code for _s, _k, code in lines} & unchanged
    weeks = next(line for line in changes.lines if line.after
                 and line.after["code"] == "delivery_weeks")
    assert weeks.before is not None
    assert (weeks.before["detail"]["weeks"], weeks.after["detail"]["weeks"]) == (8, 10)

    amounts = {(a.section, a.name): a for a in changes.amounts}
    assert set(amounts) == {("program", n) for n in ("subtotal", "discount", "tax", "total")
                            } | {("licenses", n) for n in ("subtotal", "tax", "total")}
    total = amounts["program", "total"]
    assert (total.before, total.before_currency) == (stored[1].priced["program"]["total"],
                                                     "MXN")
    assert (total.after, total.after_currency) == (stored[2].priced["program"]["total"],
                                                   "MXN")
    discount = amounts["program", "discount"]
    assert (discount.before_percent, discount.after_percent) == ("8", "5")
    assert amounts["licenses", "total"].after_currency == "USD"
    assert changes.currencies == {"program": ("MXN", "MXN"), "licenses": ("USD", "USD")}

    # Nothing internal: no author, approval, pricing rule, internal owner or context.
    text = json.dumps(asdict(changes), default=str)
    for internal in ("author", "sales@example.com", "approv", "rule", "Mariana Ortiz",
                     "Otro contexto", "internal_owner", "requires_approval"):
        assert internal not in text, internal


def test_the_first_sent_revision_has_nothing_to_compare_with(
        session: Session, sales: User) -> None:
    quote = _sent(session, sales)

    assert services.changes_since_sent(session, str(quote.number), 1) is None
    assert services.changes_since_sent(session, str(quote.number), 7) is None


def test_a_revision_never_sent_is_skipped_the_comparison_is_with_the_last_one_sent(
        session: Session, sales: User) -> None:
    quote = _sent(session, sales)
    _revised(session, quote, sales, send=False, duration_weeks=12)  # revision 2, a draft
    _revised(session, quote, sales, duration_weeks=10)  # revision 3, sent

    changes = services.changes_since_sent(session, str(quote.number), 3)

    assert changes is not None
    assert changes.since == 1
    assert ("duration_weeks", 8, 10) in {(c.field, c.before, c.after) for c in changes.scope}
    # A draft's revision shown against the one sent before it, too.
    draft_view = services.changes_since_sent(session, str(quote.number), 2)
    assert draft_view is not None
    assert draft_view.since == 1


def test_the_same_scope_and_figures_give_no_changes_and_request_fields_are_listed() -> None:
    request = example("mx")
    from quoting.scope import parse_request
    from quoting.service_pricing import price_request

    parsed = parse_request(request).model_copy(update={"date": QUOTE_DAY})
    priced = price_request(parsed, services.default_rulebook(), QUOTE_DAY).to_dict()
    stored_request = parsed.model_dump(mode="json")

    assert compare_revisions(stored_request, priced, stored_request, priced) == ((), (), ())
    edited = {**stored_request, "cases": 5,
              "client": {**stored_request["client"], "contact": "Otra persona"}}
    assert services.field_differences(stored_request, edited) == [
        ("cases", "4", "5"), ("client.contact", "Andrés Treviño", "Otra persona")]
