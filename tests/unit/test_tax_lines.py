"""Tax as accounts payable books it: one amount per rate and label, base × rate exactly."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from quoting.money import round_half_up
from quoting.rules import load_rulebook
from quoting.service_pricing import price_request

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
RULES = load_rulebook()


def _request(market: str, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / f"{market.lower()}.json").read_text("utf-8"))
    data.update(changes)
    return data


@settings(max_examples=200, deadline=None)
@given(market=st.sampled_from(["MX", "AR", "PE", "ES", "CO", "EC"]),
       discount=st.decimals(min_value=0, max_value=30, places=2),
       areas=st.integers(min_value=1, max_value=12), cases=st.integers(min_value=2, max_value=4),
       trips=st.integers(min_value=1, max_value=5))
def test_categories_at_one_rate_are_taxed_on_their_joint_base(
        market: str, discount: Decimal, areas: int, cases: int, trips: int) -> None:
    priced = price_request(_request(market, discount_percent=str(discount),
                                    discovery_areas=areas, cases=cases,
                                    delivery={"mode": "hybrid", "trips": trips}), RULES)
    section = priced.program
    groups: dict[tuple[Decimal, str], list[Any]] = {}
    for tax in section.taxes:
        if not tax.exempt:
            groups.setdefault((tax.rate, tax.label), []).append(tax)
    for (rate, _label), taxes in groups.items():
        base = sum(t.base.amount for t in taxes)
        assert sum(t.amount.amount for t in taxes) == round_half_up(base * rate,
                                                                    section.currency)
    assert section.total.amount == section.net.amount + section.tax.amount


def test_each_category_keeps_within_a_cent_of_its_own_base_times_rate() -> None:
    priced = price_request(_request("MX", discount_percent="7.77"), RULES)
    for tax in priced.program.taxes:
        own = round_half_up(tax.base.amount * tax.rate, priced.program.currency)
        assert abs(tax.amount.amount - own) <= Decimal("0.01")
