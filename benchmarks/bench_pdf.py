"""Proposal PDF benchmark: naive WeasyPrint vs. the tuned renderer, cache, memory, throughput.

    .venv/bin/python benchmarks/bench_pdf.py            # full run (300 renders for memory)
    RENDERS=40 ROUNDS=5 .venv/bin/python benchmarks/bench_pdf.py   # a quick look

Everything is measured in the same run, on the same standard proposal (the MX
example with case descriptions and an internal owner, six pages). The "floor"
line lays out the proposal's words as plain paragraphs: what WeasyPrint needs
for that much text on this machine before any table or styling.
"""

from __future__ import annotations

import io
import json
import os
import re
import resource
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pypdf import PdfReader  # noqa: E402
from weasyprint import CSS, HTML, Attachment  # noqa: E402
from weasyprint.text.fonts import FontConfiguration  # noqa: E402

from quoting.documents import (  # noqa: E402
    PdfCache,
    cached_proposal,
    draft_snapshot,
    proposal_html,
    render_proposal,
)
from quoting.documents.render import (  # noqa: E402
    ASSETS_DIR,
    layout_html,
    proposal_pdf_options,
    write_document,
)
from quoting.rules import RuleBook, load_rulebook  # noqa: E402
from quoting.scope import parse_request  # noqa: E402
from quoting.service_pricing import price_request  # noqa: E402

ROUNDS = int(os.environ.get("ROUNDS", "15"))
RENDERS = int(os.environ.get("RENDERS", "300"))
PER_WORKER = int(os.environ.get("PER_WORKER", "10"))


@cache
def _standard_request() -> dict[str, Any]:
    raw: dict[str, Any] = json.loads((ROOT / "examples" / "mx.json").read_text("utf-8"))
    return raw


@cache
def _rulebook() -> RuleBook:
    return load_rulebook()


def standard_snapshot(revision: int = 1) -> dict[str, Any]:
    raw = dict(_standard_request())
    raw["case_descriptions"] = ["Propuesta comercial que hoy toma tres horas",
                                "Reporte semanal de ventas armado a mano",
                                "Consultas internas sobre políticas de compras"][:raw["cases"]]
    raw["internal_owner"] = "Ana Gómez, Dirección de Operaciones"
    request = parse_request(raw)
    priced = price_request(request, _rulebook())
    snapshot = draft_snapshot(request, priced, number="MX-2026-0042", revision=revision)
    snapshot["created_at"] = "2026-11-25T14:30:00-06:00"
    return snapshot


def naive_render(snapshot: dict[str, Any]) -> bytes:
    """What a first version does: new font config, stylesheet parsed, auto tables, default
    fetcher, every time."""
    html = proposal_html(snapshot)
    css_text = (ASSETS_DIR / "proposal.css").read_text("utf-8").replace(
        "table-layout: fixed", "table-layout: auto")
    font_config = FontConfiguration()
    css = CSS(string=css_text, base_url=ASSETS_DIR.as_uri() + "/", font_config=font_config)
    attachment = Attachment(string=json.dumps(snapshot), name="quote.json", relationship="Data")
    pdf: bytes = HTML(string=html, base_url=ASSETS_DIR.as_uri() + "/").write_pdf(
        stylesheets=[css], font_config=font_config, pdf_variant="pdf/a-3b",
        attachments=[attachment])
    return pdf


def plain_text_html(snapshot: dict[str, Any]) -> str:
    """The proposal's words as plain paragraphs: no tables, boxes or running headers."""
    body = proposal_html(snapshot).split("<body>", 1)[1]
    chunks = (chunk.strip() for chunk in re.sub(r"<[^>]+>", "\n", body).split("\n"))
    paragraphs = "".join(f"<p>{chunk}</p>" for chunk in chunks if chunk)
    return f"<html><body>{paragraphs}</body></html>"


@cache
def _plain_css() -> tuple[CSS, FontConfiguration]:
    font_config = FontConfiguration()
    css = CSS(string='@font-face { font-family: Q; src: url("fonts/NotoSans-Regular.ttf") } '
                     "@page { size: A4; margin: 22mm 18mm } html { font: 9.5pt Q } "
                     "p { margin: 0 0 1mm }",
              base_url=ASSETS_DIR.as_uri() + "/", font_config=font_config)
    return css, font_config


def plain_render(html: str) -> bytes:
    """The floor: WeasyPrint on the same text with nothing to style, one font, reused."""
    css, font_config = _plain_css()
    pdf: bytes = HTML(string=html, base_url=ASSETS_DIR.as_uri() + "/").write_pdf(
        stylesheets=[css], font_config=font_config)
    return pdf


def rss_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _worker(count: int) -> int:
    for index in range(count):
        render_proposal(standard_snapshot(revision=1000 + os.getpid() * 100 + index))
    return count


def throughput(processes: int, per_worker: int) -> float:
    with ProcessPoolExecutor(max_workers=processes) as pool:
        list(pool.map(_worker, [1] * processes))  # warm every worker
        started = time.perf_counter()
        done = sum(pool.map(_worker, [per_worker] * processes))
        return done / (time.perf_counter() - started)


def main() -> None:
    # Warm both paths (imports, fonts, templates, catalogues).
    naive_render(standard_snapshot())
    pdf = render_proposal(standard_snapshot())
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    print(f"standard proposal: {len(pdf):,} bytes, {pages} pages; {ROUNDS} rounds, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")

    naive, tuned, naive_cpu, tuned_cpu = [], [], [], []
    phases: dict[str, list[float]] = {"html": [], "layout": [], "write_pdf": [], "floor": []}
    plain = plain_text_html(standard_snapshot())
    plain_render(plain)
    for round_ in range(ROUNDS):  # interleaved so both see the same machine load
        snapshot = standard_snapshot(revision=round_ + 2)
        started, cpu = time.perf_counter(), time.process_time()
        naive_render(snapshot)
        naive.append(time.perf_counter() - started)
        naive_cpu.append(time.process_time() - cpu)
        started, cpu = time.perf_counter(), time.process_time()
        render_proposal(snapshot)
        tuned.append(time.perf_counter() - started)
        tuned_cpu.append(time.process_time() - cpu)
        # The same render again, split into its steps (another revision: nothing cached).
        snapshot = standard_snapshot(revision=round_ + 500)
        marks = [time.perf_counter()]
        html = proposal_html(snapshot)
        marks.append(time.perf_counter())
        document = layout_html(html)
        marks.append(time.perf_counter())
        write_document(document, **proposal_pdf_options(snapshot))
        marks.append(time.perf_counter())
        plain_render(plain)
        marks.append(time.perf_counter())
        for name, begin, end in zip(phases, marks[:-1], marks[1:], strict=True):
            phases[name].append(end - begin)
    naive_median, tuned_median = statistics.median(naive), statistics.median(tuned)
    print(f"first render, naive WeasyPrint : median {naive_median * 1000:7.1f} ms wall, "
          f"{statistics.median(naive_cpu) * 1000:7.1f} ms CPU")
    print(f"first render, tuned renderer   : median {tuned_median * 1000:7.1f} ms wall, "
          f"{statistics.median(tuned_cpu) * 1000:7.1f} ms CPU   "
          f"(naive/tuned = {naive_median / tuned_median:.2f}x; target <= 200 ms)")
    split = {name: statistics.median(values) * 1000 for name, values in phases.items()}
    print(f"  tuned, step by step (median)  : HTML {split['html']:.1f} ms, parse+style+layout "
          f"{split['layout']:.1f} ms, draw+write PDF {split['write_pdf']:.1f} ms")
    print(f"  floor: same words as plain <p>: {split['floor']:7.1f} ms wall "
          f"(WeasyPrint with one font, no tables, no page furniture)")

    with tempfile.TemporaryDirectory() as folder:
        store = PdfCache(Path(folder))
        snapshot = standard_snapshot(revision=999)
        cached_proposal(snapshot, store)
        hits = []
        for _ in range(200):
            started = time.perf_counter()
            cached_proposal(snapshot, store)
            hits.append(time.perf_counter() - started)
    print(f"cached retrieval               : median {statistics.median(hits) * 1000:7.2f} ms   "
          f"(target <= 5 ms; {tuned_median / statistics.median(hits):,.0f}x faster than "
          f"rendering)")

    marks = {}
    start_rss = rss_mib()
    for index in range(1, RENDERS + 1):
        render_proposal(standard_snapshot(revision=10_000 + index))
        if index in (1, RENDERS // 3, 2 * RENDERS // 3, RENDERS):
            marks[index] = rss_mib()
    print(f"memory (RSS) over {RENDERS} renders  : start {start_rss:.0f} MiB, "
          + ", ".join(f"after {n}: {mib:.0f} MiB" for n, mib in marks.items())
          + f"  (growth after the first: {marks[RENDERS] - marks[1]:+.1f} MiB, "
          f"{(marks[RENDERS] - marks[1]) * 1024 / max(RENDERS - 1, 1):.0f} KiB/render)")

    cores = os.cpu_count() or 1
    single = throughput(1, PER_WORKER)
    multi = throughput(cores, PER_WORKER)
    print(f"throughput, 1 process          : {single:5.2f} documents/s")
    print(f"throughput, {cores} processes (1/core): {multi:5.2f} documents/s "
          f"({multi / single:.2f}x)")


if __name__ == "__main__":
    main()
