from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True, scope="session")
def _pdf_cache_outside_the_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Rendered PDFs go to a throwaway cache, never the project's instance/ folder."""
    directory = tmp_path_factory.mktemp("pdf-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("QUOTING_PDF_CACHE", str(directory))
        yield directory
