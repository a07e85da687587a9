"""Long and unusual inputs stay inside the page: names, many lines, accents and emoji."""

from __future__ import annotations

import copy
import io
import re
from pathlib import Path
from typing import Any

import pdfplumber
import pytest

from tests.documents.conftest import (
    assert_contents_pages_match_the_bookmarks,
    example_request,
    make_snapshot,
    rendered,
)

MM = 72 / 25.4
SIDE_MARGIN = 18 * MM  # proposal.css: @page margin left and right
EDGE = 8 * MM  # running headers and footers sit in the margins, never nearer the edge
TOLERANCE = 0.5

LONG_NAME = ("Compañía Andina de Logística, Señalización y Ñandúes 🚀 S.A. — "
             + "Distribuidora" * 8 + " " + "Ü" * 40)[:200]


def _long_snapshot() -> dict[str, Any]:
    raw = example_request("MX")
    raw["client"] = {**raw["client"], "name": LONG_NAME,
                     "contact": "María José Nuñez-Çelik 😀 " + "x" * 150}
    raw["context"] = ("Equipo de operación con acentos: áéíóú ÁÉÍÓÚ ñ Ñ ü ç ã õ, y emoji 🚀🤖📈. "
                      * 20) + "Sinespacios" * 30
    raw["case_descriptions"] = [("Conciliación bancaria automática con IA — " * 6)[:300]] * 4
    raw["cases"] = 4
    raw["internal_owner"] = "Gerente de Transformación Digital " + "Ñ" * 160
    products = ["chat-team", "chat-enterprise", "coding-assistant", "api-credit"]
    raw["licenses"] = [{"product": products[i % 4], "seats": 101 + i, "months": 12}
                       for i in range(40)]
    snapshot = make_snapshot(raw, number="MX-2026-9999")
    program = snapshot["priced"]["program"]
    lines = program["lines"]
    padding = [copy.deepcopy(lines[i % len(lines)]) for i in range(30 - len(lines))]
    program["lines"] = lines + padding
    assert len(program["lines"]) == 30
    assert len(snapshot["priced"]["licenses"]["lines"]) == 40
    return snapshot


@pytest.fixture(scope="module")
def long_pdf() -> Any:
    with pdfplumber.open(io.BytesIO(rendered(_long_snapshot()))) as pdf:
        return [(page.width, page.height, page.chars, page.extract_text() or "")
                 for page in pdf.pages]


def test_every_character_stays_inside_the_page_margins(long_pdf: Any) -> None:
    outside = []
    for number, (width, height, chars, _text) in enumerate(long_pdf, start=1):
        for char in chars:
            if (char["x0"] < SIDE_MARGIN - TOLERANCE
                    or char["x1"] > width - SIDE_MARGIN + TOLERANCE
                    or char["top"] < EDGE or char["bottom"] > height - EDGE):
                outside.append((number, char["text"], round(char["x0"]), round(char["top"])))
    assert outside == []


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_license_table_repeats_its_header_and_keeps_rows_whole(long_pdf: Any) -> None:
    texts = [_flat(text) for _w, _h, _c, text in long_pdf]
    license_pages = [i for i, text in enumerate(texts)
                     if re.search(r"\b1\d\d (usuarios|bloques) × 12 meses", text)]
    assert len(license_pages) >= 2, "40 license lines should take more than one page"
    for index in license_pages:
        assert "CONCEPTO CANTIDAD PRECIO UNITARIO IMPORTE" in texts[index]
    for seats in range(101, 141):
        # Every fourth line is API credit, counted in blocks rather than seats.
        concept = f"{seats} {'bloques' if (seats - 101) % 4 == 3 else 'usuarios'}"
        quantity = f"{seats * 12:,}"  # es_MX groups with ","
        pages = [i for i, text in enumerate(texts) if concept in text]
        assert len(pages) == 1, (seats, pages)
        # The row's quantity cell is on the same page as its concept: the row is whole.
        assert re.search(rf"(?<![\d,]){quantity}(?![\d,])", texts[pages[0]]), seats


def test_program_table_with_thirty_lines_repeats_its_header(long_pdf: Any) -> None:
    texts = [_flat(text) for _w, _h, _c, text in long_pdf]
    start = next(i for i, t in enumerate(texts) if "9. Inversión" in t and i > 1)
    end = next(i for i, t in enumerate(texts) if "10. Licencias" in t and i > 1)
    for index in range(start, end + 1):
        if "Itinerario" in texts[index] and index != end:
            assert "CONCEPTO CANTIDAD" in texts[index]


def test_accents_and_emoji_are_printed_with_the_bundled_fonts(long_pdf: Any) -> None:
    text = " ".join(_flat(t) for _w, _h, _c, t in long_pdf)
    assert "áéíóú ÁÉÍÓÚ ñ Ñ ü ç ã õ" in text
    assert "🚀" in text
    fonts = {char["fontname"].split("+")[-1] for _w, _h, chars, _t in long_pdf
             for char in chars}
    assert fonts <= {"Quoting-Sans", "Quoting-Sans-Bold", "Quoting-Sans-Semi-Bold",
                     "Quoting-Sans-Italic", "Quoting-Emoji"}, fonts
    assert "Quoting-Emoji" in fonts


def test_a_proposal_of_ten_pages_or_more_numbers_its_contents_right(
        long_pdf: Any, tmp_path: Path) -> None:
    assert len(long_pdf) >= 10  # two-digit page numbers: the placeholders were widened
    assert_contents_pages_match_the_bookmarks(rendered(_long_snapshot()), tmp_path)
