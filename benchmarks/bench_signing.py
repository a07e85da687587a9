"""Signing a sent proposal: the median time to add the seller's PAdES signature
(quoting.signing.sign_pdf) to the standard rendered proposal (bench_pdf's MX
example, six pages), with a throwaway self-signed pair. The proposal is rendered
once, outside the timing.

    .venv/bin/python benchmarks/bench_signing.py            # 50 signatures
    REPEAT=3 .venv/bin/python benchmarks/bench_signing.py   # a quick look
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_pdf import standard_snapshot  # noqa: E402

from quoting.documents import render_proposal  # noqa: E402
from quoting.signing import generate_demo_pair, load_signer, sign_pdf  # noqa: E402

REPEAT = int(os.environ.get("REPEAT", "50"))
SELLER = "Adopción IA México S.C."


def main() -> None:
    pdf = render_proposal(standard_snapshot())
    with tempfile.TemporaryDirectory(prefix="bench-signing-") as folder:
        signer = load_signer(*generate_demo_pair(folder))
        signed = sign_pdf(pdf, signer, organisation=SELLER)  # warm pyHanko up
        times = []
        for _ in range(REPEAT):
            started = time.perf_counter()
            sign_pdf(pdf, signer, organisation=SELLER)
            times.append(time.perf_counter() - started)
    print(f"sign a rendered proposal ({len(pdf) / 1024:.0f} KiB, RSA 2048, SHA-256): "
          f"median {statistics.median(times) * 1000:.1f} ms over {REPEAT} "
          f"(+{(len(signed) - len(pdf)) / 1024:.1f} KiB)")


if __name__ == "__main__":
    main()
