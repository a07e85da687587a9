"""The receipt of a client's decision as the client reads it: one A4 page of PDF/A in
the proposal's language and market formats, with the evidence and the hash."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from quoting.documents.receipt import render_receipt
from tests.documents.conftest import SnapshotFactory

SHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


def _evidence(**changes: Any) -> dict[str, Any]:
    evidence = {"decision": "accepted", "revision": 1, "signer_name": "Lucía Fernández",
                "signer_position": "Directora de Operaciones", "authorised": True,
                "po_number": "OC-7781", "reason": None,
                "decided_at": "2026-11-25T15:04:05+00:00", "ip": "203.0.113.9",
                "user_agent": "Mozilla/5.0 Test/1.0", "pdf_sha256": SHA256, "link_id": 1}
    evidence.update(changes)
    return evidence


def _text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "receipt.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


def test_an_acceptance_receipt_is_one_pdf_a_page_with_the_evidence_in_spanish(
        snapshot_for: SnapshotFactory, tmp_path: Path) -> None:
    pdf = render_receipt(snapshot_for("ES", number="ES-2026-0042"), _evidence())

    reader = PdfReader(_saved(pdf, tmp_path))
    assert len(reader.pages) == 1
    assert "/StructTreeRoot" in reader.trailer["/Root"]  # tagged for screen readers
    assert reader.trailer["/Root"]["/Lang"] == "es-ES"
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert 'pdfaid:part="3"' in xmp or "<pdfaid:part>3</pdfaid:part>" in xmp
    text = " ".join(_text(pdf, tmp_path).split())
    assert "Justificante de aceptación" in text  # Spain's word (locales/es_ES)
    assert "Presupuesto ES-2026-0042" in text
    assert "Firmado por Lucía Fernández, Directora de Operaciones" in text
    assert "Orden de compra OC-7781" in text
    # Madrid's time, and UTC.
    assert "25 de noviembre de 2026, 16:04:05" in text
    assert "2026-11-25 15:04:05 UTC" in text
    assert SHA256[:40] in text.replace(" ", "")


@pytest.mark.parametrize(("language", "title", "answered"), [
    ("en", "Decline receipt", "Answered by"), ("pt", "Comprovante de recusa", "Respondido por")])
def test_a_decline_receipt_gives_the_reason_in_the_proposal_s_language(
        snapshot_for: SnapshotFactory, tmp_path: Path, language: str, title: str,
        answered: str) -> None:
    pdf = render_receipt(snapshot_for("MX", number="MX-2026-0042", language=language),
                         _evidence(decision="declined", authorised=False, po_number=None,
                                   reason="Budget closed until March"))

    text = " ".join(_text(pdf, tmp_path).split())
    assert title in text
    assert f"{answered} Lucía Fernández" in text
    assert "Budget closed until March" in text
    assert "OC-7781" not in text


def _saved(pdf: bytes, tmp_path: Path) -> Path:
    path = tmp_path / "saved.pdf"
    path.write_bytes(pdf)
    return path
