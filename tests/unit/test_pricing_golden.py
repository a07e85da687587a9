"""Every example request prices to the exact JSON stored under tests/unit/golden/.

A change to a figure, a rounding or a field shows here as a diff to review. When
a change is intended, regenerate with:

    UPDATE_GOLDEN=1 .venv/bin/pytest tests/unit/test_pricing_golden.py
"""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import pytest

from quoting.pricing import forget_kept_lines
from quoting.rules import load_rulebook
from quoting.service_pricing import price_request

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent / "golden"
TODAY = date(2026, 11, 25)
MARKETS = ["ar", "mx", "ec", "co", "cl", "pe", "es", "uy", "br"]


@pytest.mark.parametrize("market", MARKETS)
def test_each_example_prices_to_its_reviewed_json(market: str) -> None:
    request = json.loads((ROOT / "examples" / f"{market}.json").read_text("utf-8"))
    forget_kept_lines()
    priced = json.dumps(price_request(request, load_rulebook(), TODAY).to_dict(), indent=2,
                        ensure_ascii=False) + "\n"
    golden = GOLDEN / f"{market}.json"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(priced, "utf-8")
    assert priced == golden.read_text("utf-8")
