"""The proposal renderer fetches only its own assets and data: URLs."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from pypdf import PdfReader

from quoting.documents.fetcher import AssetFetcher, FetchRefused
from quoting.documents.render import ASSETS_DIR, asset_fetcher, render_html


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Fail loudly if anything tries to open a connection."""
    attempts: list[object] = []

    def refuse(self: socket.socket, address: object) -> None:
        attempts.append(address)
        raise AssertionError(f"network access attempted: {address!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts


def test_the_fetcher_serves_the_proposal_fonts() -> None:
    fetcher = AssetFetcher(ASSETS_DIR)
    response = fetcher.fetch((ASSETS_DIR / "fonts" / "NotoSans-Regular.ttf").as_uri())
    assert response.read()[:4] == b"\x00\x01\x00\x00"


def test_the_fetcher_serves_data_urls() -> None:
    fetcher = AssetFetcher(ASSETS_DIR)
    assert fetcher.fetch("data:text/plain;base64,aGVsbG8=").read() == b"hello"
    assert fetcher.fetch("data:,a%20b").read() == b"a b"


@pytest.mark.parametrize("url", [
    "file:///etc/passwd",
    "http://169.254.169.254/latest/meta-data/",
    "https://example.com/logo.png",
    "ftp://example.com/file",
    "file://remote-host/etc/passwd",
])
def test_the_fetcher_refuses_anything_outside_the_assets(
        url: str, no_network: list[object]) -> None:
    fetcher = AssetFetcher(ASSETS_DIR)
    with pytest.raises(FetchRefused):
        fetcher.fetch(url)
    assert fetcher.refused == [url]
    assert no_network == []


def test_the_fetcher_refuses_paths_that_climb_out_of_the_assets() -> None:
    fetcher = AssetFetcher(ASSETS_DIR)
    climbing = ASSETS_DIR.as_uri() + "/../../pyproject.toml"
    with pytest.raises(FetchRefused):
        fetcher.fetch(climbing)


def _attachment_names(pdf: bytes, tmp_path: Path) -> list[str]:
    path = tmp_path / "attack.pdf"
    path.write_bytes(pdf)
    return list(PdfReader(path).attachments)


def test_a_local_file_cannot_be_attached_to_a_pdf(tmp_path: Path,
                                                  no_network: list[object]) -> None:
    html = ('<html><head><link rel="attachment" href="file:///etc/passwd"></head>'
            '<body><p>hello</p><a rel="attachment" href="file:///etc/hostname">x</a></body></html>')
    pdf = render_html(html)
    assert b"root:" not in pdf
    assert _attachment_names(pdf, tmp_path) == []
    assert "file:///etc/passwd" in asset_fetcher().refused


def test_a_pdf_never_reaches_the_cloud_metadata_service(no_network: list[object]) -> None:
    html = ('<html><body><img src="http://169.254.169.254/latest/meta-data/">'
            '<div style="background: url(http://169.254.169.254/x.png)">x</div>'
            '<style>@import url("http://169.254.169.254/evil.css");</style></body></html>')
    render_html(html)
    assert no_network == []
    assert any(url.startswith("http://169.254.169.254/") for url in asset_fetcher().refused)
