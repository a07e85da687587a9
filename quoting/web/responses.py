"""Responses more than one page builds the same way."""

from __future__ import annotations

from flask import Response, make_response


def pdf_response(body: bytes, filename: str, *, download: bool) -> Response:
    """A PDF, shown in the browser or downloaded, never cached by anyone on the way."""
    response = make_response(body)
    response.mimetype = "application/pdf"
    disposition = "attachment" if download else "inline"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
