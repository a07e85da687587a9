"""`quoting render REQUEST.json -o out.pdf` as a salesperson would run it."""

from __future__ import annotations

import json
from pathlib import Path

from babel.messages.pofile import read_po
from click.testing import CliRunner

from quoting.cli import main
from tests.documents.conftest import EXAMPLES, pdf_text

LOCALES = Path(__file__).resolve().parents[2] / "locales"


def test_render_writes_a_proposal_with_the_given_number(tmp_path: Path) -> None:
    out = tmp_path / "mx.pdf"
    result = CliRunner().invoke(main, ["render", str(EXAMPLES / "mx.json"), "-o", str(out),
                                       "--number", "MX-2026-0042", "--revision", "3"])
    assert result.exit_code == 0, result.output
    pdf = out.read_bytes()
    assert pdf.startswith(b"%PDF-")
    text = " ".join(pdf_text(pdf, tmp_path))
    assert "MX-2026-0042" in text
    assert "rev. 3" in text


def test_render_without_a_number_marks_the_proposal_as_a_draft(tmp_path: Path) -> None:
    out = tmp_path / "draft.pdf"
    result = CliRunner().invoke(main, ["render", str(EXAMPLES / "co.json"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = " ".join(pdf_text(out.read_bytes(), tmp_path))
    assert "BORRADOR" in text
    assert "Borrador: no válido para aceptación" in text


def test_render_refuses_an_invalid_request_with_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    request = json.loads((EXAMPLES / "mx.json").read_text("utf-8"))
    request["cases"] = 9
    bad.write_text(json.dumps(request), "utf-8")
    out = tmp_path / "bad.pdf"
    result = CliRunner().invoke(main, ["render", str(bad), "-o", str(out)])
    assert result.exit_code == 2
    assert "cases" in result.stderr
    assert not out.exists()


def test_render_refuses_a_file_that_is_not_json(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", "utf-8")
    result = CliRunner().invoke(main, ["render", str(bad), "-o", str(tmp_path / "x.pdf")])
    assert result.exit_code == 2
    assert "not valid JSON" in result.stderr


def test_every_message_is_translated_in_spanish_and_portuguese() -> None:
    with (LOCALES / "messages.pot").open("rb") as handle:
        template = {m.id for m in read_po(handle) if m.id}
    for language in ("es", "pt"):
        with (LOCALES / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
            catalog = read_po(handle)
        translated = {m.id for m in catalog if m.id and m.string and (
            all(m.string) if isinstance(m.string, tuple) else True)}
        assert template <= translated, (language, template - translated)
