"""A proposal the client signs as is: taxes as accounts payable reads them, one rule per
market and per document, real dates and amounts, a navigable and tagged PDF."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from quoting.documents.program_text import amount_in_words
from quoting.i18n import format_long_date
from quoting.plan import document_plan
from quoting.rules import load_rulebook
from tests.documents.conftest import (
    SnapshotFactory,
    assert_contents_pages_match_the_bookmarks,
    pdf_text,
    rendered,
)

API_CREDIT = [{"product": "api-credit", "seats": 10, "months": 12}]


def _text(snapshot: dict[str, Any], tmp_path: Path) -> str:
    return " ".join(pdf_text(rendered(snapshot), tmp_path))


def _body(snapshot: dict[str, Any], tmp_path: Path) -> str:
    """The text after the cover (whose contents list repeats the headings)."""
    return " ".join(pdf_text(rendered(snapshot), tmp_path)[1:])


def test_taxes_at_one_rate_print_as_one_line_with_their_joint_base(
        snapshot_for: SnapshotFactory, tmp_path: Path) -> None:
    text = _body(snapshot_for("MX"), tmp_path)
    investment = text[text.index("9. Inversión"):text.index("10. Licencias")]
    # Training and consulting are both at 16%: one line naming both, not two lines.
    assert investment.count("IVA 16% ·") == 1
    assert "IVA 16% · capacitación y consultoría" in investment


def test_chile_words_the_tax_per_the_actual_split(snapshot_for: SnapshotFactory,
                                                  tmp_path: Path) -> None:
    text = _text(snapshot_for("CL"), tmp_path)
    assert "más IVA 19%" not in text
    assert "IVA 19% se aplica a consultoría" in text
    assert "Exento de impuesto: capacitación" in text


def test_argentina_states_one_exchange_rate_rule(snapshot_for: SnapshotFactory,
                                                 tmp_path: Path) -> None:
    text = _text(snapshot_for("AR"), tmp_path)
    assert text.count("Banco Nación") == 1
    assert "oficial de la fecha de factura" not in text


def test_each_license_product_is_counted_in_its_own_unit_in_every_language(
        snapshot_for: SnapshotFactory, tmp_path: Path) -> None:
    expected = {"es": ("10 bloques × 12 meses", "bloques-mes"),
                "en": ("10 blocks × 12 months", "block-months"),
                "pt": ("10 blocos × 12 meses", "blocos-mês")}
    for language, (concept, unit) in expected.items():
        text = _text(snapshot_for("MX", language=language, licenses=API_CREDIT), tmp_path)
        assert concept in text, language
        assert unit in text, language
        assert "usuarios-mes" not in text
        assert "seat-months" not in text


def test_one_percent_style_per_document(snapshot_for: SnapshotFactory, tmp_path: Path) -> None:
    text = _text(snapshot_for("MX"), tmp_path)
    assert "Descuento (8%)" in text
    assert not re.search(r"\d %", text)  # never "8 %" beside "16%"


def test_an_english_proposal_for_spain_writes_dates_day_first(
        snapshot_for: SnapshotFactory, tmp_path: Path) -> None:
    text = _text(snapshot_for("ES", language="en"), tmp_path)
    assert "25 November 2026" in text
    assert "November 25" not in text
    assert re.search(r"\d{1,3}(\.\d{3})*,\d\d €", text)  # Spain's money beside it


def test_a_dollar_sign_is_never_bare_outside_its_own_market_and_language(
        snapshot_for: SnapshotFactory, tmp_path: Path) -> None:
    mx_en = _text(snapshot_for("MX", language="en"), tmp_path)
    assert not re.search(r"(?<![A-Z])\$", mx_en)  # MXN and USD, each by its code
    assert re.search(r"MXN ?[\d,]+\.\d\d", mx_en)
    ar_pt = _text(snapshot_for("AR", language="pt"), tmp_path)
    assert re.search(r"ARS ?[\d.]+,\d\d", ar_pt)
    assert not re.search(r"(?<![A-Z])\$", ar_pt.replace("US$", ""))
    mx_es = _text(snapshot_for("MX"), tmp_path)
    assert re.search(r"(?<![A-Z])\$[\d,]+\.\d\d", mx_es)  # at home, pesos keep their "$"


def test_bookmarks_are_the_numbered_headings_alone(snapshot_for: SnapshotFactory) -> None:
    reader = PdfReader(io.BytesIO(rendered(snapshot_for("MX"))))
    titles = [item.title for item in reader.outline if not isinstance(item, list)]
    assert titles[0] == "Resumen ejecutivo"
    assert titles[1:] == [
        "1. Contexto y objetivos", "2. Plan de diagnóstico", "3. Sus casos",
        "4. Itinerarios por rol", "5. Un sistema en producción",
        "6. Adopción a 30, 60 y 90 días", "7. Seguimiento y responsable interno",
        "8. Calendario", "9. Inversión", "10. Licencias", "11. Plan de pagos",
        "12. Condiciones", "13. Aceptación"]
    assert not any("¿" in title for title in titles)


def test_the_contents_list_links_each_section_and_gives_its_page(
        snapshot_for: SnapshotFactory, tmp_path: Path) -> None:
    pdf = rendered(snapshot_for("MX"))
    reader = PdfReader(io.BytesIO(pdf))
    assert_contents_pages_match_the_bookmarks(pdf, tmp_path)
    links = [annotation.get_object() for annotation in reader.pages[0]["/Annots"]]
    internal = [link for link in links if link.get("/Subtype") == "/Link"
                and ("/Dest" in link or "/GoTo" in str(link.get("/A", "")))]
    assert len(internal) >= 13


def _structure_types(node: Any, found: set[str], depth: int = 0) -> None:
    if depth > 60:
        return
    node = node.get_object() if hasattr(node, "get_object") else node
    if isinstance(node, DictionaryObject):
        if "/S" in node:
            found.add(str(node["/S"]))
        kids = node.get("/K")
        if kids is not None:
            kids = kids.get_object() if hasattr(kids, "get_object") else kids
            for kid in kids if isinstance(kids, list) else [kids]:
                _structure_types(kid, found, depth + 1)


def test_the_pdf_is_tagged_with_headings_tables_and_its_language(
        snapshot_for: SnapshotFactory) -> None:
    reader = PdfReader(io.BytesIO(rendered(snapshot_for("PE"))))
    root = reader.trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"]
    assert root["/Lang"] == "es-PE"
    found: set[str] = set()
    _structure_types(root["/StructTreeRoot"], found)
    assert {"/H1", "/H2", "/Table", "/TH", "/TD", "/P", "/L"} <= found, found


def test_the_total_is_written_in_words_where_the_market_expects_it(
        snapshot_for: SnapshotFactory, tmp_path: Path) -> None:
    snapshot = snapshot_for("MX")
    total = snapshot["priced"]["program"]["total"]
    words = amount_in_words(total, "MXN", "es")
    assert words is not None
    assert words.endswith("centavos")
    assert f"Son {words}, total del programa." in _text(snapshot, tmp_path)
    english = _text(snapshot_for("MX", language="en"), tmp_path)
    assert "in words" not in english  # num2words wording only in es and pt


def test_the_calendar_and_payment_plan_print_the_dates_and_amounts_of_quote_json(
        snapshot_for: SnapshotFactory, tmp_path: Path) -> None:
    snapshot = snapshot_for("MX", start_date="2027-01-11")
    plan = document_plan(snapshot, load_rulebook().by_version("MX-2025-01"))
    text = _text(snapshot, tmp_path)
    assert "El programa empieza el 11 de enero de 2027" in text
    sessions_end = dt.date.fromisoformat(plan["calendar"]["sessions_end"])
    assert f"Al terminar las sesiones en vivo ({format_long_date(sessions_end, 'es_MX')})" in text
    amounts = [Decimal(m["amount"]) for m in plan["payment_schedule"]["program"]]
    assert sum(amounts) == Decimal(snapshot["priced"]["program"]["total"])
    for amount in amounts:
        assert f"${amount:,.2f}" in text


def test_section_five_names_a_system_with_its_figures(snapshot_for: SnapshotFactory,
                                                      tmp_path: Path) -> None:
    text = _body(snapshot_for("AR"), tmp_path)
    section = text[text.index("5. Un sistema en producción"):text.index("6. Adopción")]
    assert "Consulta" in section
    assert "En producción desde el 4 de marzo de 2024" in section
    assert "41.200" in section
    assert "96,1%" in section
