"""Each market's client reads its own Spanish (and a Brazilian buyer Brazilian
Portuguese): Spain says presupuesto, formación, impartir, desbloquear, de dentro; the
other markets keep the neutral Latin American catalogue except where a word of it is
foreign to them (locales/<es_XX>/LC_MESSAGES/regional.po). Every regional entry
translates a message of its base catalogue, with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from quoting import paths
from quoting.documents.context import build_context
from quoting.documents.printable import visible_text
from quoting.documents.receipt import render_receipt
from quoting.documents.render import proposal_html
from tests.documents.conftest import SnapshotFactory, pdf_text, rendered

# What the issue found Spain reading in its proposal.
LATIN_AMERICAN = re.compile(
    r"\bcotiza\w*|\bcapacitación\b|\bdictan?\b|\bdictar\b|\bdestrabar\b|\bde adentro\b"
    r"|\bplanillas?\b|\bcomputadoras?\b|\bmodalidad remota\b|\bnos contó\b|\bfallas\b"
    r"|\ben vivo\b|\bmonitoreo\b", re.IGNORECASE)
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%%")


def _text(snapshot: dict, tmp_path: Path) -> str:
    return " ".join(pdf_text(rendered(snapshot), tmp_path))


def test_spain_s_proposal_says_presupuesto_and_formacion_never_the_latin_american_words(
        snapshot_for: SnapshotFactory, tmp_path: Path) -> None:
    snapshot = snapshot_for("ES", language="es")

    text = _text(snapshot, tmp_path)
    html_text = visible_text(proposal_html(snapshot))  # no hyphenation to hide a word

    assert LATIN_AMERICAN.findall(text) == []
    assert LATIN_AMERICAN.findall(html_text) == []
    for words in ("Presupuesto ES-2026-0042", "¿Cómo elaboran el presupuesto?",
                  "Presupuestamos por alcance", "formación", "lo imparten",
                  "Itinerario Técnico: diseño a partir de los casos del cliente",
                  "Lo que nos ha contado su equipo", "Este presupuesto es válido durante 30 días",
                  "Válido hasta", "Licencias, presupuestadas aparte", "modalidad a distancia",
                  "Sesiones en directo", "Tarifa ES-2025-01"):
        assert words in text, words


def test_spain_s_proposal_names_the_document_presupuesto_in_its_rules(
        snapshot_for: SnapshotFactory) -> None:
    assert build_context(snapshot_for("ES", language="es"))["document_name"] == "Presupuesto"


def test_latin_american_proposals_keep_the_neutral_wording(
        snapshot_for: SnapshotFactory, tmp_path: Path) -> None:
    text = _text(snapshot_for("CO", language="es"), tmp_path)

    assert "¿Cómo cotizan?" in text
    assert "capacitación" in text
    assert "presupuesto" not in text.lower()


@pytest.mark.parametrize(("market", "present", "absent"), [
    ("MX", ["lo imparten personas", "del área jurídica", "Notas fiscales y retenciones"],
     ["lo dictan", "finanzas y legales"]),
    ("CO", ["lo dictan personas", "del área jurídica", "Notas tributarias y retenciones"],
     ["finanzas y legales", "Notas fiscales"]),
    ("CL", ["del área legal"], ["finanzas y legales"]),
    ("PE", ["del área legal", "Notas tributarias", "detracción"],
     ["finanzas y legales", "Notas fiscales y retenciones"]),
    ("EC", ["del área legal", "Notas tributarias y retenciones"],
     ["finanzas y legales", "Notas fiscales"]),
    ("AR", ["relevamiento", "planillas", "Notas impositivas y retenciones"],
     ["Notas fiscales"]),
])
def test_each_latin_american_market_reads_its_own_words(
        market: str, present: list[str], absent: list[str], snapshot_for: SnapshotFactory,
        tmp_path: Path) -> None:
    text = _text(snapshot_for(market, language="es"), tmp_path)

    for words in present:
        assert words in text, words
    for words in absent:
        assert words not in text, words


@pytest.mark.parametrize("market", ["MX", "ES"])
def test_portuguese_reads_as_brazilian_without_english_or_calques(
        market: str, snapshot_for: SnapshotFactory, tmp_path: Path) -> None:
    text = _text(snapshot_for(market, language="pt"), tmp_path)

    assert "listas de verificação" in text
    assert "pré-seleção de casos" in text
    for words in ("checklist", "lista curta", "ancoram", "desenho sobre"):
        assert words not in text, words


def test_spain_s_receipt_says_justificante(snapshot_for: SnapshotFactory,
                                            tmp_path: Path) -> None:
    evidence = {"decision": "declined", "revision": 1, "signer_name": "Javier Martín",
                "signer_position": None, "authorised": False, "po_number": None,
                "reason": "Sin presupuesto este año", "decided_at": "2026-11-25T15:04:05+00:00",
                "ip": "203.0.113.9", "user_agent": "Mozilla/5.0 Test/1.0",
                "pdf_sha256": "0" * 64, "link_id": 1}
    path = tmp_path / "receipt.pdf"
    path.write_bytes(render_receipt(snapshot_for("ES", language="es"), evidence))

    text = " ".join(pdf_text(path.read_bytes(), tmp_path))

    assert "Justificante de rechazo" in text
    assert "Este justificante se emitió" in text
    assert "Constancia" not in text


def _regional_catalogues() -> list[tuple[Path, Path]]:
    pairs = []
    for po in sorted(paths.LOCALES_DIR.glob("*_*/LC_MESSAGES/*.po")):
        language = po.parent.parent.name.split("_")[0]
        base = {"regional": "messages", "web_regional": "web"}.get(po.stem)
        if base is not None:
            pairs.append((po, paths.LOCALES_DIR / language / "LC_MESSAGES" / f"{base}.po"))
    return pairs


@pytest.mark.parametrize(("regional", "base"), _regional_catalogues(),
                         ids=lambda path: f"{path.parent.parent.name}/{path.name}")
def test_every_regional_entry_translates_a_base_message_with_its_placeholders(
        regional: Path, base: Path) -> None:
    with base.open("rb") as handle:
        known = {(m.context, m.id if isinstance(m.id, str) else m.id[0]): m
                 for m in read_po(handle) if m.id}
    with regional.open("rb") as handle:
        entries = [m for m in read_po(handle) if m.id]

    assert entries
    for entry in entries:
        key = entry.id if isinstance(entry.id, str) else entry.id[0]
        original = known.get((entry.context, key))
        assert original is not None, f"{regional}: {key!r} is not in {base}"
        assert original.id == entry.id, key  # same plural forms
        plural = isinstance(entry.id, tuple | list)
        strings = list(entry.string) if plural else [entry.string]
        expected = sorted(PLACEHOLDER.findall(entry.id[-1] if plural else key))
        for string in strings:
            assert string, key
            found = sorted(PLACEHOLDER.findall(string))
            # A plural form may leave a count out ("one week"), never add a placeholder.
            assert (set(found) <= set(expected)) if plural else found == expected, key
