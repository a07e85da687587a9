"""The only way a proposal reaches outside itself: the project's own assets and data: URLs.

WeasyPrint's default fetcher opens any file: URL and any http(s) URL, so a
stray `<img>` or `<link rel=attachment>` could embed /etc/passwd in a PDF or
call a cloud metadata service. This fetcher serves files under one asset
directory (read once, kept in memory) and data: URLs, and refuses everything
else before any file or socket is opened.
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
import threading
from pathlib import Path
from urllib.parse import unquote, unquote_to_bytes, urlsplit

from weasyprint.urls import URLFetcher, URLFetcherResponse

MAX_DATA_URL_BYTES = 2_000_000


class FetchRefused(ValueError):
    """A URL outside the proposal's own assets was asked for."""


class AssetFetcher(URLFetcher):  # type: ignore[misc]  # WeasyPrint ships no type hints
    """Serves `file:` URLs inside `asset_root` and `data:` URLs; refuses the rest."""

    def __init__(self, asset_root: Path) -> None:
        super().__init__(allowed_protocols=("file", "data"), allow_redirects=False)
        self._root = asset_root.resolve()
        self._cache: dict[Path, bytes] = {}
        self._lock = threading.Lock()
        self.refused: list[str] = []

    @property
    def base_url(self) -> str:
        return self._root.as_uri() + "/"

    def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme == "data":
            return self._data(url)
        if scheme == "file":
            return self._asset(url)
        raise self._refusal(url, "only the proposal's own assets and data: URLs are served")

    def _refusal(self, url: str, why: str) -> FetchRefused:
        with self._lock:
            self.refused.append(url)
        return FetchRefused(f"refused to fetch {url[:200]!r}: {why}")

    def _asset(self, url: str) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise self._refusal(url, "remote file: URLs are not served")
        path = Path(unquote(parts.path)).resolve()
        if not path.is_relative_to(self._root) or not path.is_file():
            raise self._refusal(url, "the file is not one of the proposal's assets")
        with self._lock:
            body = self._cache.get(path)
        if body is None:
            body = path.read_bytes()
            with self._lock:
                self._cache[path] = body
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), body, {"Content-Type": mime})

    def _data(self, url: str) -> URLFetcherResponse:
        header, sep, payload = url[5:].partition(",")
        if not sep or len(payload) > MAX_DATA_URL_BYTES:
            raise self._refusal(url, "malformed or oversized data: URL")
        is_base64 = header.endswith(";base64")
        mime = (header.removesuffix(";base64").split(";")[0] or "text/plain").strip()
        try:
            body = base64.b64decode(payload, validate=True) if is_base64 else (
                unquote_to_bytes(payload))
        except (binascii.Error, ValueError):
            raise self._refusal(url, "malformed base64 in data: URL") from None
        return URLFetcherResponse(url, body, {"Content-Type": mime})
