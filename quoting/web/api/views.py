"""The API's views: parse the query with pydantic, call the service layer, shape JSON.

Authentication, scopes, rate limiting and the audit record happen before a
view runs (quoting.web.api.auth); errors become JSON in quoting.web.api.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterator
from typing import Any

from flask import Response, current_app, jsonify, request, stream_with_context

from quoting import services
from quoting.web import db_session
from quoting.web.api.errors import ApiError
from quoting.web.api.params import ExportParams, ListParams, SummaryParams, parse_query

# A number (MX-2026-0042) or, for a quote never sent, its draft reference (D-00042).
QUOTE_NUMBER = re.compile(r"[A-Za-z]{2}-\d{4}-\d{1,10}|[Dd]-\d{1,12}")
MAX_REVISION = 2**31 - 1
CSV_FLUSH_ROWS = 500


def _quote_number(number: str) -> str:
    if not QUOTE_NUMBER.fullmatch(number):
        raise ApiError(404, "not_found", f"no quote {number!r} (numbers look like "
                       f"MX-2026-0042, draft references like D-00042)", "number")
    return number.upper()


def list_quotes() -> Response:
    params: ListParams = parse_query(ListParams, request.args)
    page = services.history.list_history(db_session(), params.to_filter(), sort=params.sort,
                                      limit=params.limit, cursor=params.cursor)
    return jsonify({"items": page.items, "next_cursor": page.next_cursor})


def get_quote(number: str) -> Response:
    session = db_session()
    quote = services.get_quote(session, _quote_number(number))
    view = services.quote_view(session, quote)
    view["events"] = [
        {"at": e.at.isoformat(), "actor": e.actor, "action": e.action, "revision": e.revision,
         "from_status": e.from_status, "to_status": e.to_status, "detail": e.detail}
        for e in services.quote_events(session, quote.ref)
    ]
    return jsonify(view)


def revision_pdf(number: str, revision: int) -> Response:
    session = db_session()
    if not 1 <= revision <= MAX_REVISION:
        raise ApiError(404, "not_found", f"no revision {revision}", "revision")
    quote = services.get_quote(session, _quote_number(number))
    stored = next((r for r in quote.revisions if r.revision == revision), None)
    if stored is None:
        raise ApiError(404, "not_found", f"{quote.ref} has no revision {revision} "
                       f"(revisions 1 to {quote.current_revision})", "revision")
    if stored.pdf_sha256 is None:
        raise ApiError(404, "pdf_not_archived", f"no PDF was archived for {quote.ref} "
                       f"revision {revision}: a PDF is archived when the revision is sent",
                       "revision")
    # The bytes kept when it was sent; a revision archived before they were kept
    # (hash only) is rendered again and served only if it still matches.
    pdf = services.archived_pdf(session, quote.ref, revision)
    if pdf is None:
        snapshot = services.revision_snapshot(session, quote.ref, revision)
        if stored.sent_at is not None:
            # The hash is recorded for the document as sent; a later acceptance or
            # expiry changes the snapshot's status, not the document archived.
            snapshot["status"] = "sent"
        pdf = _archived_pdf(snapshot)
    digest = hashlib.sha256(pdf).hexdigest()
    if digest != stored.pdf_sha256:
        raise ApiError(409, "pdf_mismatch", f"the PDF of {quote.ref} revision {revision} "
                       f"no longer matches its recorded SHA-256 {stored.pdf_sha256}; "
                       f"it is not served rather than served altered")
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'inline; filename="{quote.ref}-r{revision}.pdf"')
    response.headers["ETag"] = f'"{digest}"'
    return response


def _archived_pdf(snapshot: dict[str, Any]) -> bytes:
    """The revision's PDF from the content-addressed cache (rendered once, the same
    bytes every time), as the sales desk serves it."""
    try:
        from quoting.documents import cached_proposal
    except ImportError:  # pragma: no cover - the documents package ships with the app
        raise ApiError(503, "pdf_unavailable", "PDF rendering is not installed") from None
    return cached_proposal(snapshot)


def summary() -> Response:
    params: SummaryParams = parse_query(SummaryParams, request.args)
    return jsonify(services.reports.summary(db_session(), params.to_filter(),
                                         convert_to=params.convert_to))


def _export_rows(params: ExportParams) -> Iterator[dict[str, Any]]:
    return services.history.iter_history(db_session(), params.to_filter(), sort=params.sort)


def export_csv() -> Response:
    params: ExportParams = parse_query(ExportParams, request.args)
    rows = _export_rows(params)

    def generate() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(services.history.CSV_COLUMNS)
        pending = 0
        for item in rows:
            writer.writerow(services.history.csv_values(item))
            pending += 1
            if pending == CSV_FLUSH_ROWS:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
                pending = 0
        yield buffer.getvalue()

    return _attachment(generate(), "text/csv; charset=utf-8", "quotes.csv")


def export_ndjson() -> Response:
    params: ExportParams = parse_query(ExportParams, request.args)
    rows = _export_rows(params)

    def generate() -> Iterator[str]:
        chunk: list[str] = []
        for item in rows:
            chunk.append(json.dumps(item, ensure_ascii=False, separators=(",", ":")))
            if len(chunk) == CSV_FLUSH_ROWS:
                yield "\n".join(chunk) + "\n"
                chunk = []
        if chunk:
            yield "\n".join(chunk) + "\n"

    return _attachment(generate(), "application/x-ndjson", "quotes.ndjson")


def _attachment(chunks: Iterator[str], mimetype: str, filename: str) -> Response:
    response = Response(stream_with_context(chunks), content_type=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def openapi_document() -> Response:
    document = current_app.extensions["quoting.api_openapi"]
    return jsonify(document)
