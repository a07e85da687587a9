"""What the renderer does to be fast must not change what the proposal prints."""

from __future__ import annotations

from pathlib import Path

from weasyprint.html import UA

from quoting.documents import proposal_html
from quoting.documents.render import proposal_user_agent_css
from tests.documents.conftest import SnapshotFactory, pdf_text, rendered


def test_the_user_agent_sheet_keeps_list_markers_and_drops_note_pseudo_elements() -> None:
    css = proposal_user_agent_css()
    assert css != UA, "the edits no longer match this WeasyPrint's stylesheet"
    assert "\nli::marker {" in css
    for pseudo in ("footnote-call", "footnote-marker", "note-call", "note-marker",
                   "note-callback"):
        assert f"::{pseudo}" not in css
    assert len(css.splitlines()) == len(UA.splitlines()) - 5


def test_list_items_still_print_their_bullets(snapshot_for: SnapshotFactory,
                                              tmp_path: Path) -> None:
    text = " ".join(pdf_text(rendered(snapshot_for("MX")), tmp_path))
    assert text.count("•") >= 6


def test_indentation_before_block_tags_is_dropped_but_inline_spaces_stay(
        snapshot_for: SnapshotFactory) -> None:
    html = proposal_html(snapshot_for("MX", context="Línea uno\n\n  sangría >  final  "))
    assert "\n  <" not in html
    assert "</strong> " in html  # "Scope: ..." keeps its space after the bold label
    assert "Línea uno\n\n  sangría &gt;  final</p>" in html  # pre-wrap text untouched
