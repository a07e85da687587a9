"""A stored revision's proposal PDF, and its archiving when the revision is sent.

A sent revision is rendered as it was sent (a later acceptance or expiry changes
the quote's status, not the document); its bytes are kept in the database
(revision_pdfs) with the SHA-256 recorded on the revision, and served from there
ever after, whatever a later renderer would produce. The sales desk and the CLI
archive right after sending, so the finance API can serve the PDF at once and no
reader waits for a render. Drafts come from the content-addressed file cache.
WeasyPrint loads only when a render is needed.
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
    """The revision's PDF. A sent revision's is the one kept when it was sent; if
    none was kept yet, it is rendered and (unless `record` is false) kept now,
    raising services.Conflict if it differs from a SHA-256 recorded earlier."""
    snapshot = document_snapshot(session, number, revision)
    sent = bool(snapshot.get("sent_at"))
    if sent:
        kept = services.archived_pdf(session, number, int(snapshot["revision"]))
        if kept is not None:
            return kept
    from quoting import documents  # WeasyPrint, loaded only when a render is needed

    body = documents.cached_proposal(snapshot)
    if record and sent:
        services.archive_pdf(session, str(snapshot["number"]), int(snapshot["revision"]), body)
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
