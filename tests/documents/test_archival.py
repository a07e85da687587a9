"""PDF/A-3 with the revision's data attached; the same revision always gives the same bytes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader

from quoting.documents import (
    PdfCache,
    SnapshotError,
    cached_proposal,
    pdf_sha256,
    render_proposal,
)
from quoting.documents import cache as cache_module
from tests.documents.conftest import SnapshotFactory, rendered


def _reader(pdf: bytes, tmp_path: Path) -> PdfReader:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    return PdfReader(path)


def test_the_pdf_declares_pdf_a_3a_and_its_metadata(snapshot_for: SnapshotFactory,
                                                    tmp_path: Path) -> None:
    reader = _reader(rendered(snapshot_for("PE")), tmp_path)
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert 'pdfaid:part="3"' in xmp or "<pdfaid:part>3</pdfaid:part>" in xmp
    # Level A: tagged, so a screen reader follows headings, tables and reading order.
    assert 'pdfaid:conformance="A"' in xmp or "<pdfaid:conformance>A" in xmp
    info = reader.metadata
    assert info is not None
    assert info.title is not None
    assert "PE-2026-0042" in info.title
    assert info.author == "Adopción IA Perú S.A.C."
    assert info.subject is not None
    assert "Cotización" in info.subject
    assert reader.trailer["/Root"]["/Lang"] == "es-PE"
    assert "/OutputIntents" in reader.trailer["/Root"]


def test_the_revision_data_is_attached_as_quote_json(snapshot_for: SnapshotFactory,
                                                     tmp_path: Path) -> None:
    snapshot = snapshot_for("AR")
    reader = _reader(rendered(snapshot), tmp_path)
    attached = json.loads(reader.attachments["quote.json"][0])
    # The stored revision as it is, plus the calendar and payment schedule worked out from it.
    plan = {key: attached.pop(key) for key in ("calendar", "payment_schedule")}
    assert attached == snapshot
    assert plan["calendar"]["start_date"] >= snapshot["priced"]["quote_date"]
    milestones = plan["payment_schedule"]["program"]
    assert sum(Decimal(m["amount"]) for m in milestones) == Decimal(
        snapshot["priced"]["program"]["total"])
    assert attached["priced"]["program"]["total"] == snapshot["priced"]["program"]["total"]
    root = reader.trailer["/Root"]
    [filespec] = [ref.get_object() for ref in root["/AF"]]
    assert filespec["/AFRelationship"] == "/Data"
    assert filespec["/UF"] == "quote.json"
    embedded = filespec["/EF"]["/F"].get_object()
    assert embedded["/Subtype"] == "/application/json"


def test_fonts_are_the_bundled_ones_and_embedded(snapshot_for: SnapshotFactory,
                                                 tmp_path: Path) -> None:
    reader = _reader(rendered(snapshot_for("CO")), tmp_path)
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            fonts[str(font["/BaseFont"])] = "/FontFile2" in descriptor
    assert fonts
    assert all("Quoting-Sans" in name for name in fonts), fonts
    assert all(fonts.values())


def test_the_same_revision_renders_to_the_same_bytes(snapshot_for: SnapshotFactory) -> None:
    snapshot = snapshot_for("CL")
    first = render_proposal(snapshot)
    assert render_proposal(json.loads(json.dumps(snapshot))) == first
    assert pdf_sha256(first) == pdf_sha256(render_proposal(snapshot))
    assert len(pdf_sha256(first)) == 64


def test_another_process_on_another_day_renders_the_same_bytes(
        snapshot_for: SnapshotFactory, tmp_path: Path) -> None:
    snapshot = snapshot_for("ES")
    expected = pdf_sha256(render_proposal(snapshot))
    (tmp_path / "snap.json").write_text(json.dumps(snapshot), "utf-8")
    script = ("import json, sys; from quoting.documents import render_proposal, pdf_sha256; "
              "print(pdf_sha256(render_proposal(json.load(open(sys.argv[1])))))")
    env = {**os.environ, "PYTHONHASHSEED": "12345", "TZ": "Asia/Tokyo"}
    out = subprocess.run([sys.executable, "-c", script, str(tmp_path / "snap.json")],
                         check=True, capture_output=True, text=True, env=env).stdout.strip()
    assert out == expected


def test_a_different_revision_renders_differently(snapshot_for: SnapshotFactory) -> None:
    snapshot = snapshot_for("CL")
    changed = {**snapshot, "revision": 2}
    assert render_proposal(changed) != rendered(snapshot)


def test_the_cache_renders_once_and_then_serves_the_file(
        snapshot_for: SnapshotFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    snapshot = snapshot_for("EC")
    calls = []

    def counting(snap: dict) -> bytes:
        calls.append(1)
        return render_proposal(snap)

    monkeypatch.setattr(cache_module, "render_proposal", counting)
    store = PdfCache(tmp_path / "pdf-cache")
    first = cached_proposal(snapshot, store)
    second = cached_proposal(snapshot, store)
    assert first == second
    assert calls == [1]  # served from the file; its speed is benchmarks/bench_pdf.py's to report
    assert len(list((tmp_path / "pdf-cache").rglob("*.pdf"))) == 1


def test_the_cache_keys_on_content(snapshot_for: SnapshotFactory) -> None:
    snapshot = snapshot_for("EC")
    reordered = dict(reversed(list(snapshot.items())))
    assert cache_module.snapshot_key(snapshot) == cache_module.snapshot_key(reordered)
    assert cache_module.snapshot_key(snapshot) != cache_module.snapshot_key(
        {**snapshot, "revision": 9})


def test_a_snapshot_without_what_the_proposal_needs_is_refused(
        snapshot_for: SnapshotFactory) -> None:
    snapshot = snapshot_for("MX")
    with pytest.raises(SnapshotError, match="market"):
        render_proposal({**snapshot, "priced": {}})
    unknown_rules = {**snapshot, "priced": {**snapshot["priced"], "rules_version": "MX-1999-01"}}
    with pytest.raises(SnapshotError, match="MX-1999-01"):
        render_proposal(unknown_rules)
