"""Pricing throughput: a mixed batch of requests across all seven markets.

Each quote is validated (pydantic + tax-ID check), matched to the rules in
force and priced, as the CLI, web form and API do. One process, one core.
Price tables keep the lines worked out for each small quantity (areas, cases,
head counts, weeks, trips) as any long-running server would; the last line
prints the pricing cost with nothing kept.

    .venv/bin/python benchmarks/bench_pricing.py [--quotes 20000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from datetime import date
from typing import Any

from quoting.pricing import forget_kept_lines
from quoting.rules import Market, load_rulebook
from quoting.scope import parse_request
from quoting.service_pricing import price_request
from quoting.taxid import SCHEMES, compact_tax_id

TODAY = date(2026, 11, 25)
PRODUCTS = ["chat-team", "chat-enterprise", "coding-assistant", "api-credit"]


def make_requests(count: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    rulebook = load_rulebook()
    requests = []
    for _ in range(count):
        market = rng.choice(list(Market))
        rules = rulebook.in_force(market, TODAY)
        mode = rng.choice(["remote", "remote", "onsite", "hybrid"])
        requests.append({
            "market": market.value,
            "date": TODAY.isoformat(),
            "currency": rng.choice(rules.allowed_currencies),
            "client": {"name": "Cliente S.A.", "tax_id": SCHEMES[market.value].example},
            "participants": {"technical": rng.randint(0, 40), "business": rng.randint(1, 80),
                             "leadership": rng.randint(0, 12)},
            "duration_weeks": rng.randint(2, 16),
            "discovery_areas": rng.randint(1, 8),
            "cases": rng.randint(2, 4),
            "delivery": {"mode": mode, "trips": 0 if mode == "remote" else rng.randint(1, 6)},
            "licenses": [{"product": rng.choice(PRODUCTS), "seats": rng.randint(5, 200),
                          "months": 12} for _ in range(rng.randint(0, 3))],
            "discount_percent": str(rng.choice([0, 0, 5, 8, 10, 15])),
        })
    return requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quotes", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    rulebook = load_rulebook()
    batch = make_requests(args.quotes)
    for request in batch[:200]:  # warm-up
        price_request(request, rulebook, TODAY)

    load_before = os.getloadavg()[0]
    throughputs = []
    for _ in range(args.rounds):
        started = time.perf_counter()
        for request in batch:
            price_request(request, rulebook, TODAY)
        throughputs.append(len(batch) / (time.perf_counter() - started))

    sample = batch[:5_000]
    validate_ns, price_ns, total_ns = [], [], []
    for request in sample:
        t0 = time.perf_counter_ns()
        parsed = parse_request(request)
        t1 = time.perf_counter_ns()
        price_request(parsed, rulebook, TODAY)
        t2 = time.perf_counter_ns()
        validate_ns.append(t1 - t0)
        price_ns.append(t2 - t1)
        total_ns.append(t2 - t0)

    cold_ns = []
    for request in sample[:1_000]:
        compact_tax_id.cache_clear()
        t0 = time.perf_counter_ns()
        parse_request(request)
        cold_ns.append(time.perf_counter_ns() - t0)
    median_cold = statistics.median(cold_ns) / 1000

    # The same, with no price-table lines kept from earlier quotes.
    cold_price_ns = []
    for request in sample[:1_000]:
        parsed = parse_request(request)
        forget_kept_lines()
        t0 = time.perf_counter_ns()
        price_request(parsed, rulebook, TODAY)
        cold_price_ns.append(time.perf_counter_ns() - t0)
    median_cold_price = statistics.median(cold_price_ns) / 1000

    median_total = statistics.median(total_ns) / 1000
    median_validate = statistics.median(validate_ns) / 1000
    median_price = statistics.median(price_ns) / 1000
    best = max(throughputs)
    print(f"pricing benchmark: {len(batch)} mixed requests x {args.rounds} rounds, "
          f"7 markets, validation included, one process")
    print(f"  machine load   {load_before:.2f} before, {os.getloadavg()[0]:.2f} after "
          f"({os.cpu_count()} cores; other work on the machine lowers every figure)")
    print(f"  throughput     median {statistics.median(throughputs):,.0f} quotes/s "
          f"(best {best:,.0f}; target 10,000; ratio to target "
          f"{statistics.median(throughputs) / 10_000:.2f}x)")
    print(f"  per quote      median {median_total:.1f} us")
    for label, median in (("validation", median_validate), ("pricing", median_price)):
        print(f"    {label:<12} median {median:.1f} us ({median / median_total:.0%})")
    print(f"  validation with the tax-ID cache cold: median {median_cold:.1f} us "
          f"({median_cold / median_validate:.1f}x the warm figure; the batch reuses one "
          f"client per market, as revisions of a client's quotes do)")
    print(f"  pricing with no lines kept from earlier quotes: median {median_cold_price:.1f} us "
          f"({median_cold_price / median_price:.1f}x the warm figure)")


if __name__ == "__main__":
    main()
