"""A stored revision's proposal PDF, and its archiving when the revision is sent.

A sent revision is rendered as it was sent (a later acceptance or expiry changes
the quote's status, not the document), from the content-addressed cache after
the first time, and its SHA-256 is recorded on the revision. The sales desk and
the CLI archive right after sending, so the finance API can serve the PDF at once
and no reader waits for the first render. WeasyPrint loads only when called.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from sqlalchemy.orm import Session

from quoting import services

log = logging.getLogger(__name__)


def document_snapshot(session: Session, number: str,
                      revision: int | None = None) -> dict[str, Any]:
    """What the renderer needs for a revision (the current one by default); a sent
    revision always shows as sent."""
    snapshot = services.revision_snapshot(session, number, revision)
    if snapshot.get("sent_at"):
        snapshot["status"] = "sent"
    return snapshot


def revision_pdf(session: Session, number: str, revision: int | None = None, *,
                 record: bool = True) -> bytes:
    """The revision's PDF; for a sent revision, its SHA-256 is recorded the first
    time unless `record` is false (raises services.Conflict if a different one was
    recorded)."""
    from quoting import documents

    snapshot = document_snapshot(session, number, revision)
    body = documents.cached_proposal(snapshot)
    if record and snapshot.get("sent_at"):
        services.record_pdf_sha256(session, str(snapshot["number"]), int(snapshot["revision"]),
                                   hashlib.sha256(body).hexdigest())
    return body


def archive_sent(session: Session, number: str, revision: int) -> str | None:
    """Render and record the PDF of the revision just sent and committed; returns
    its SHA-256. The send stands whatever happens here: on failure (None, logged)
    the PDF is rendered when it is first asked for. Commits."""
    try:
        body = revision_pdf(session, number, revision)
        session.commit()
    except Exception:  # the document is rendered again on first view; log, don't undo
        session.rollback()
        log.exception("could not archive the PDF of %s when it was sent", number)
        return None
    return hashlib.sha256(body).hexdigest()
