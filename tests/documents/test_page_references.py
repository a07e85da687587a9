"""Page references (the contents list's page numbers) are written in once the pages are
laid out: right numbers at any length, a missing anchor refused, and the cover that
holds them laid out only once."""

from __future__ import annotations

import pytest
from weasyprint.layout import page as weasyprint_page

from quoting.documents.render import (
    FIGURE_SPACE,
    layout_html,
    proposal_html,
    write_document,
)
from tests.documents.conftest import SnapshotFactory


def _document(pages: int, references: list[str]) -> str:
    spans = "".join(f'<p>{anchor} <span data-page-of="{anchor}">0</span></p>'
                    for anchor in references)
    body = "".join(f'<section id="p{number}" style="break-before: page">page {number}</section>'
                   for number in range(2, pages + 1))
    return f"<html><body>{spans}{body}</body></html>"


def _reference_texts(html: str) -> list[str]:
    document = layout_html(html)
    return [box.text for box in document.pages[0]._page_box.descendants()
            if getattr(box, "text", None) and box.element is not None
            and box.element.get("data-page-of")]


def test_each_reference_gets_the_page_of_its_anchor() -> None:
    assert _reference_texts(_document(5, ["p3", "p5", "p2"])) == ["3", "5", "2"]


def test_a_two_digit_page_widens_every_reference_with_figure_spaces() -> None:
    texts = _reference_texts(_document(12, ["p2", "p12"]))
    assert texts == [FIGURE_SPACE + "2", "12"]


def test_a_reference_to_an_anchor_the_document_lacks_is_refused() -> None:
    with pytest.raises(ValueError, match="'nowhere'"):
        layout_html(_document(3, ["p2", "nowhere"]))


def test_the_proposal_lays_out_each_page_once(
        snapshot_for: SnapshotFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    # target-counter() laid the cover out three times; the numbers come after layout.
    made: list[int] = []
    original = weasyprint_page.remake_page

    def remake_page(index: int, *args: object) -> object:
        made.append(index)
        return original(index, *args)

    monkeypatch.setattr(weasyprint_page, "remake_page", remake_page)
    document = layout_html(proposal_html(snapshot_for("MX")))
    assert made == list(range(len(document.pages)))
    assert write_document(document).startswith(b"%PDF")
