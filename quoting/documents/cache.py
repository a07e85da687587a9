"""Content-addressed cache of rendered proposals.

The key is the SHA-256 of the canonical snapshot JSON plus a fingerprint of
everything else that shapes the PDF (templates, stylesheet, fonts,
catalogues, WeasyPrint's version): the same revision is rendered once, and a
change of template is never served from a stale file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import weasyprint

from quoting import paths
from quoting.documents.context import LOCALES_DIR
from quoting.documents.render import ASSETS_DIR, canonical_json, render_proposal
from quoting.metrics import timed_pdf_render

CACHE_ENV = "QUOTING_PDF_CACHE"
DEFAULT_CACHE_DIR = paths.instance_dir() / "pdf-cache"


def default_cache_dir() -> Path:
    """`$QUOTING_PDF_CACHE`, else pdf-cache/ in the instance folder (quoting.paths)."""
    configured = os.environ.get(CACHE_ENV)
    return Path(configured) if configured else DEFAULT_CACHE_DIR


@cache
def renderer_fingerprint() -> str:
    """Hash of the files and versions a PDF depends on besides the snapshot."""
    digest = hashlib.sha256(f"weasyprint {weasyprint.__version__}".encode())
    package = Path(__file__).resolve().parents[1]
    # Outside documents/, these shape what the PDF prints too.
    shared = [package / name for name in ("line_wording.py", "i18n.py", "taxid.py", "money.py")]
    files = sorted([*ASSETS_DIR.rglob("*"), *LOCALES_DIR.rglob("*.po"),
                    *Path(__file__).parent.glob("*.py"), *shared])
    for path in files:
        if path.is_file():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def snapshot_key(snapshot: Mapping[str, Any]) -> str:
    digest = hashlib.sha256(renderer_fingerprint().encode())
    digest.update(canonical_json(snapshot))
    return digest.hexdigest()


class PdfCache:
    """PDFs on disk, one file per key, written atomically."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or default_cache_dir()

    def path_for(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.pdf"

    def get(self, key: str) -> bytes | None:
        try:
            return self.path_for(key).read_bytes()
        except FileNotFoundError:
            return None

    def put(self, key: str, pdf: bytes) -> None:
        path = self.path_for(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".pdf")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(pdf)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def cached_proposal(snapshot: Mapping[str, Any], cache_: PdfCache | None = None) -> bytes:
    """The revision's PDF from the cache, rendering and storing it the first time."""
    store = cache_ or PdfCache()
    key = snapshot_key(snapshot)
    pdf = store.get(key)
    if pdf is None:
        with timed_pdf_render():
            pdf = render_proposal(snapshot)
        store.put(key, pdf)
    return pdf
