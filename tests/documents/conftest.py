"""Fixtures for proposal PDFs: snapshots built from the example requests, PDF text."""

from __future__ import annotations

import io
import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from quoting.documents import draft_snapshot, render_proposal
from quoting.rules import load_rulebook
from quoting.scope import parse_request
from quoting.service_pricing import price_request

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
MARKETS = ["AR", "MX", "EC", "CO", "CL", "PE", "ES", "UY", "BR"]

SnapshotFactory = Callable[..., dict[str, Any]]


def example_request(market: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / f"{market.lower()}.json").read_text("utf-8"))
    return data


def make_snapshot(raw: dict[str, Any], number: str = "X-2026-0001", revision: int = 1,
                  **extra: Any) -> dict[str, Any]:
    request = parse_request(raw)
    priced = price_request(request, load_rulebook())
    snapshot = draft_snapshot(request, priced, number=number, revision=revision)
    snapshot["status"] = "sent"
    snapshot["created_at"] = "2026-11-25T14:30:00-03:00"
    snapshot.update(extra)
    return snapshot


@pytest.fixture
def snapshot_for() -> SnapshotFactory:
    """`snapshot_for("MX", language="en", client={"name": ...})`: an example, changed."""

    def build(market: str, number: str | None = None, **changes: Any) -> dict[str, Any]:
        raw = example_request(market)
        for key, value in changes.items():
            if isinstance(value, dict) and isinstance(raw.get(key), dict):
                raw[key] = {**raw[key], **value}
            else:
                raw[key] = value
        return make_snapshot(raw, number=number or f"{market}-2026-0042")

    return build


_rendered: dict[str, bytes] = {}


def rendered(snapshot: dict[str, Any]) -> bytes:
    """Render once per distinct snapshot within the test session."""
    key = json.dumps(snapshot, sort_keys=True)
    if key not in _rendered:
        _rendered[key] = render_proposal(snapshot)
    return _rendered[key]


def pdf_text(pdf: bytes, tmp_path: Path) -> list[str]:
    """Text per page, as pdftotext reads it (no-break spaces made plain)."""
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True,
                         capture_output=True).stdout.decode("utf-8")
    pages = out.split("\f")
    if pages and not pages[-1].strip():
        pages = pages[:-1]
    return [" ".join(page.replace("\u00a0", " ").split()) for page in pages]


def assert_contents_pages_match_the_bookmarks(pdf: bytes, tmp_path: Path) -> None:
    """The contents list (on the cover, or on page 2 when a long cover pushes it over)
    gives each numbered section the page its bookmark opens."""
    reader = PdfReader(io.BytesIO(pdf))
    bookmark_pages = {item.title: reader.get_destination_page_number(item) + 1
                      for item in reader.outline if not isinstance(item, list)}
    numbered = {title: page for title, page in bookmark_pages.items() if title[0].isdigit()}
    assert len(numbered) >= 13, numbered
    contents = " ".join(pdf_text(pdf, tmp_path)[:2])
    for title, page in numbered.items():
        assert re.search(re.escape(title) + r"\s*" + str(page) + r"\b", contents), (title, page)
