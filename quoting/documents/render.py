"""Render a stored revision (snapshot) to a tagged PDF/A-3a proposal with WeasyPrint.

Deterministic: the same snapshot gives the same bytes in any process on any
day. The PDF's dates come from the revision, its /ID from the snapshot's
hash, and its fonts only from templates/proposal/fonts (fontconfig is pointed
at an empty configuration while the font map is built, so no system font can
stand in for a missing glyph).

Fast: one FontConfiguration, one parsed stylesheet and one compiled template
per language are kept for the life of the process; each page is laid out once
(page references are numbered after layout); streams are compressed at zlib's
default level.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import warnings
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jinja2
import pydyf
from markupsafe import Markup, escape
from weasyprint import CSS, HTML, Attachment
from weasyprint.document import Document
from weasyprint.formatting_structure.boxes import TextBox
from weasyprint.html import UA, UA_COUNTER_STYLE
from weasyprint.text.fonts import FontConfiguration

from quoting import paths
from quoting.documents.context import (
    build_context,
    document_data,
    document_timestamp,
    words_for,
)
from quoting.documents.fetcher import AssetFetcher
from quoting.documents.printable import check_printable

# pydyf (WeasyPrint's PDF writer) compresses every stream at zlib level 9. For a tagged
# proposal that was a third of writing the PDF, for 2.5% fewer bytes than zlib's own
# default level, 6, which pydyf is given here. One level for every render: the bytes
# stay deterministic.
COMPRESSION_LEVEL = 6


class _ZlibAtOneLevel:
    """zlib as pydyf sees it: every compressor at COMPRESSION_LEVEL."""

    def __getattr__(self, name: str) -> Any:
        return getattr(zlib, name)

    @staticmethod
    def compressobj(level: int = -1, *args: Any, **kwargs: Any) -> Any:
        return zlib.compressobj(COMPRESSION_LEVEL, *args, **kwargs)

    @staticmethod
    def compress(data: bytes, level: int = -1) -> bytes:
        return zlib.compress(data, COMPRESSION_LEVEL)


pydyf.zlib = _ZlibAtOneLevel()

TEMPLATES_DIR = paths.TEMPLATES_DIR
ASSETS_DIR = TEMPLATES_DIR / "proposal"
FONTCONFIG_FILE = ASSETS_DIR / "fonts" / "fonts.conf"
PDF_VARIANT = "pdf/a-3a"


def canonical_json(snapshot: Mapping[str, Any]) -> bytes:
    """The snapshot as canonical JSON: sorted keys, no spaces, UTF-8."""
    return json.dumps(snapshot, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def pdf_sha256(pdf: bytes) -> str:
    """Hex SHA-256 of a rendered PDF, as stored on the revision."""
    return hashlib.sha256(pdf).hexdigest()


@dataclass
class _Renderer:
    """Per-process state: built once, reused for every render."""

    font_config: FontConfiguration
    fetcher: AssetFetcher
    stylesheet: CSS
    environments: dict[tuple[str, str], jinja2.Environment]
    lock: threading.RLock  # re-entrant: render_html holds it across both halves


_renderer: _Renderer | None = None
_renderer_lock = threading.Lock()


# WeasyPrint's HTML user-agent stylesheet gives *every* element six pseudo-elements
# (::marker, ::footnote-call, ::footnote-marker, ::note-call, ::note-marker,
# ::note-callback), and each one gets a computed style: for this document that is
# ~2,300 styles nobody draws and about half of the style step. The proposal has
# markers only on <li> and no footnotes or notes, so its user-agent stylesheet
# keeps ::marker for <li> and drops the note rules. Everything else is unchanged.
_UA_EDITS = (
    ("::marker {", "li::marker {"),
    ("::footnote-call {", None),
    ("::footnote-marker {", None),
    ("::note-call {", None),
    ("::note-marker {", None),
    ("::note-callback {", None),
)


def proposal_user_agent_css() -> str:
    """WeasyPrint's UA stylesheet with the edits above; unchanged if it no longer matches."""
    stock: str = UA
    lines = stock.splitlines(keepends=True)
    for prefix, replacement in _UA_EDITS:
        found = [i for i, line in enumerate(lines) if line.startswith(prefix)]
        if len(found) != 1:
            return stock  # another WeasyPrint: render with its own sheet, just slower
        index = found[0]
        lines[index] = "" if replacement is None else replacement + lines[index][len(prefix):]
    return "".join(lines)


_UA_STYLESHEET = CSS(string=proposal_user_agent_css(), counter_style=UA_COUNTER_STYLE)


class _ProposalHTML(HTML):  # type: ignore[misc]  # WeasyPrint ships no type hints
    """An HTML document laid out with the proposal's user-agent stylesheet."""

    def _ua_stylesheets(self, forms: bool = False) -> list[CSS]:
        return [_UA_STYLESHEET]


def _isolated_font_configuration() -> FontConfiguration:
    """A FontConfiguration that sees only the fonts the stylesheet declares."""
    previous = os.environ.get("FONTCONFIG_FILE")
    os.environ["FONTCONFIG_FILE"] = str(FONTCONFIG_FILE)
    try:
        return FontConfiguration()
    finally:
        if previous is None:
            del os.environ["FONTCONFIG_FILE"]
        else:
            os.environ["FONTCONFIG_FILE"] = previous


def _get_renderer() -> _Renderer:
    global _renderer
    with _renderer_lock:
        if _renderer is None:
            font_config = _isolated_font_configuration()
            fetcher = AssetFetcher(ASSETS_DIR)
            stylesheet = CSS(filename=str(ASSETS_DIR / "proposal.css"), base_url=fetcher.base_url,
                             url_fetcher=fetcher, font_config=font_config)
            _renderer = _Renderer(font_config, fetcher, stylesheet, {}, threading.RLock())
        return _renderer


def breakable_email(address: object) -> Markup:
    """An email address that may wrap after "@" or a dot, never inside a word."""
    text = str(escape(str(address)))
    return Markup(re.sub(r"([@.])", r"\1<wbr>", text))


def _environment(renderer: _Renderer, language: str, market: str) -> jinja2.Environment:
    key = (language, market)
    env = renderer.environments.get(key)
    if env is None:
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,  # templates ship with the code: no stat() per render
        )
        env.filters["breakable_email"] = breakable_email
        words = words_for(language, market)
        env.install_gettext_callables(  # type: ignore[attr-defined]
            words.gettext, words.ngettext, newstyle=True)
        renderer.environments[key] = env
    return env


# Indentation before a block-level tag never prints, but each run of it is a text
# node that WeasyPrint parses, styles and wraps in a box before throwing it away.
# Only whitespace right before a block-level tag goes: whitespace between inline
# elements is kept, and escaped free text can never end in ">".
_BLOCK_TAGS = ("html|head|body|meta|title|style|section|div|p|h[1-6]|ul|ol|li|dl|dt|dd|"
               "table|colgroup|col|thead|tbody|tr|td|th")
_SPACE_BEFORE_BLOCK = re.compile(rf">\s+(?=</?(?:{_BLOCK_TAGS})[\s>])")


def proposal_html(snapshot: Mapping[str, Any]) -> str:
    """The proposal as HTML (what WeasyPrint lays out); free text is escaped here."""
    context = build_context(snapshot)
    env = _environment(_get_renderer(), context["language"], context["market"])
    html = env.get_template("proposal/proposal.html").render(**context)
    return _SPACE_BEFORE_BLOCK.sub(">", html)


def render_proposal(snapshot: Mapping[str, Any]) -> bytes:
    """Render a stored revision to tagged PDF/A-3a bytes, with the snapshot attached as quote.json.
    A document that would print a leftover (None, {{, an untranslated message...) is
    refused (printable.UnprintableText): sent bytes are kept for ever."""
    document = proposal_html(snapshot)
    check_printable(document, snapshot)
    return render_html(document, **proposal_pdf_options(snapshot))


def proposal_pdf_options(snapshot: Mapping[str, Any]) -> dict[str, Any]:
    """`write_pdf` options for a revision: PDF/A-3a, fixed /ID, quote.json attached."""
    renderer = _get_renderer()
    data = canonical_json(snapshot)
    stamp = document_timestamp(snapshot).replace(tzinfo=None)
    attachment = Attachment(
        string=json.dumps(document_data(snapshot), indent=2, sort_keys=True, ensure_ascii=False),
        base_url=renderer.fetcher.base_url, url_fetcher=renderer.fetcher,
        name="quote.json",
        description=("Quote revision data (number, request, priced figures, exchange rates, "
                     "calendar, payment_schedule)"),
        created=stamp, modified=stamp, relationship="Data",
    )
    identifier = hashlib.sha256(data).hexdigest()[:32].encode("ascii")
    return {"pdf_variant": PDF_VARIANT, "pdf_identifier": identifier,
            "attachments": [attachment], "finisher": _list_attachments_once}


def _list_attachments_once(document: Any, pdf: Any) -> None:
    """WeasyPrint 70 lists each PDF/A-3 attachment twice in the catalogue's /AF."""
    if "AF" in pdf.catalog:
        unique = list(dict.fromkeys(pdf.catalog["AF"]))
        pdf.catalog["AF"].clear()
        pdf.catalog["AF"].extend(unique)


def render_html(html: str, **pdf_options: Any) -> bytes:
    """Lay out and write HTML with the shared fonts, stylesheet and sandboxed fetcher."""
    with _get_renderer().lock:
        return write_document(layout_html(html), **pdf_options)


def layout_html(html: str) -> Document:
    """Parse, style and paginate HTML (the first half of `render_html`), then write each
    page reference's number into its placeholder (`number_page_references`)."""
    renderer = _get_renderer()
    with renderer.lock:
        document = _layout(renderer, html)
        digits = number_page_references(document)
        if digits:  # a number longer than its placeholder: again, with wider ones
            document = _layout(renderer, _PAGE_REFERENCE.sub(
                lambda found: found.group(1) + PAGE_PLACEHOLDER * digits + found.group(2), html))
            if number_page_references(document):
                raise RuntimeError("page references still longer than their placeholders")
    return document


def _layout(renderer: _Renderer, html: str) -> Document:
    document: Document = _ProposalHTML(
        string=html, base_url=renderer.fetcher.base_url, url_fetcher=renderer.fetcher,
    ).render(stylesheets=[renderer.stylesheet], font_config=renderer.font_config)
    return document


# A page reference: <span data-page-of="ANCHOR">0</span>, its text a placeholder of
# digits that the number of the page holding ANCHOR replaces once the pages are laid
# out. CSS target-counter() does the same, but WeasyPrint then lays out the page that
# holds the references again for each pass (the cover, three times: a fifth of the
# layout). The fonts' digits all have one width, so a number written over a placeholder
# of as many digits moves nothing; a shorter one is padded with figure spaces (as wide
# as a digit).
PAGE_PLACEHOLDER = "0"
FIGURE_SPACE = "\u2007"
_PAGE_REFERENCE = re.compile(r'(<span\b[^>]*\bdata-page-of="[^"]*"[^>]*>)0+(</span>)')


def number_page_references(document: Document) -> int:
    """Write into each page reference the number of the page holding its anchor. Returns
    0 when done, else the digits the widest number needs (nothing was written)."""
    first_page: dict[str, int] = {}
    for number, page in enumerate(document.pages, 1):
        for anchor in page.anchors:
            first_page.setdefault(anchor, number)
    references = [box for page in document.pages for box in page._page_box.descendants()
                  if isinstance(box, TextBox) and box.element is not None
                  and box.element.get("data-page-of")]
    labels: list[str] = []
    for box in references:
        anchor = box.element.get("data-page-of")
        if anchor not in first_page:
            raise ValueError(f"a page reference to {anchor!r}, which the document lacks")
        labels.append(str(first_page[anchor]))
    if any(len(label) > len(box.text) for label, box in zip(labels, references, strict=True)):
        return max(len(label) for label in labels)
    for label, box in zip(labels, references, strict=True):
        text = label.rjust(len(box.text), FIGURE_SPACE)
        box.text = box.pango_layout.text = text  # drawn from the layout's text
    return 0


def write_document(document: Document, **pdf_options: Any) -> bytes:
    """Draw a laid-out document and write it as PDF (the second half of `render_html`)."""
    with _get_renderer().lock, warnings.catch_warnings():
        # WeasyPrint 70 opens its sRGB profile for PDF/A without closing it;
        # the file is read in full, so the warning is noise, not a leak we can fix.
        warnings.filterwarnings("ignore", message=r"unclosed file .*sRGB2014\.icc",
                                category=ResourceWarning)
        pdf: bytes = document.write_pdf(**pdf_options)
    return pdf


def asset_fetcher() -> AssetFetcher:
    """The process's sandboxed fetcher (its `refused` list records what it turned away)."""
    return _get_renderer().fetcher
