"""A stored revision's proposal PDF.

A sent revision's PDF is kept byte for byte (revision_pdfs) in the transaction
that sends it (see lifecycle.send_quote) and served from there ever after,
whatever a later renderer would produce. Drafts come from the content-addressed
file cache. WeasyPrint loads only when a render is needed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from quoting.errors import QuoteInputError
from quoting.rules import NoRulesInForce
from quoting.services.common import begin_write, default_rulebook, record, revision_of
from quoting.services.errors import Conflict, Refused
from quoting.services.quotes import get_quote
from quoting.store.models import RevisionPdf

if TYPE_CHECKING:
    from quoting.signing import Signer

# The seller's signature on sent proposals (quoting.signing), chosen at start by
# create_app and by the CLI's send command from SIGNING_CERT and SIGNING_KEY; None:
# proposals are sent unsigned.
_seller_signer: Signer | None = None


def revision_snapshot(session: Session, ref: str, revision: int | None = None
                      ) -> dict[str, Any]:
    """What the PDF renderer needs, from stored data only (the current revision by default).

    Keys: number (None for a draft never sent), revision, status ("sent" once this
    revision was sent, else the quote's status if it is current, else
    "superseded"), created_at (ISO), sent_at (ISO or None), request, priced,
    exchange_rates (pair, rate, source, date, missing), language, valid_until,
    rules_version, author.
    """
    quote = get_quote(session, ref)
    stored = revision_of(quote, revision)
    if stored.sent_at:
        status = "sent"
    elif stored.revision == quote.current_revision:
        status = quote.status
    else:
        status = "superseded"
    return {
        "number": quote.number,
        "revision": stored.revision,
        "status": status,
        "created_at": stored.created_at.isoformat(),
        "sent_at": stored.sent_at.isoformat() if stored.sent_at else None,
        "request": stored.request,
        "priced": stored.priced,
        "exchange_rates": stored.exchange_rates,
        "language": stored.language,
        "valid_until": stored.valid_until.isoformat(),
        "rules_version": stored.rules_version,
        "author": {"email": stored.author.email, "name": stored.author.name},
    }


def render_snapshot(snapshot: Mapping[str, Any]) -> bytes:
    """The proposal PDF; Refused (pdf_unprintable) if it would print a leftover such as
    None or an untranslated message (quoting.documents.printable)."""
    from quoting import documents  # WeasyPrint, loaded only when a render is needed
    from quoting.documents.printable import UnprintableText

    try:
        return documents.cached_proposal(snapshot)
    except UnprintableText as exc:
        raise Refused(f"the proposal was not rendered: {exc}", code="pdf_unprintable",
                      problem=str(exc)) from exc


def use_seller_signer(signer: Signer | None) -> None:
    """Sign the proposals this process sends with `signer` (None: send them unsigned)."""
    global _seller_signer
    _seller_signer = signer


def seller_signer() -> Signer | None:
    return _seller_signer


def sign_sent_pdf(pdf: bytes, snapshot: Mapping[str, Any]) -> bytes:
    """The PDF as it is sent and kept: with the seller's PAdES signature (issued by the
    seller of the snapshot's rules version) when a signer is configured, else as is."""
    signer = _seller_signer
    if signer is None:
        return pdf
    from quoting import signing  # pyHanko, loaded only when a proposal is signed

    try:
        rules = default_rulebook().by_version(str(snapshot.get("rules_version")))
        organisation: str | None = rules.seller.legal_name
    except NoRulesInForce:  # an unknown version: the certificate names the seller
        organisation = None
    return signing.sign_pdf(pdf, signer, organisation=organisation)


def revision_pdf(session: Session, ref: str, revision: int | None = None) -> bytes:
    """The revision's PDF: a sent revision's as it was kept when sent; a draft's from
    the cache. A revision sent before PDFs were kept is rendered and kept now (if it
    still matches a SHA-256 recorded earlier; else Conflict, nothing kept)."""
    snapshot = revision_snapshot(session, ref, revision)
    number, stored = snapshot["number"], int(snapshot["revision"])
    if snapshot["sent_at"]:
        kept = archived_pdf(session, str(number), stored)
        if kept is not None:
            return kept
    body = render_snapshot(snapshot)
    if snapshot["sent_at"]:
        archive_pdf(session, str(number), stored, body)
    return body


def cached_revision_pdf(session: Session, ref: str, revision: int | None = None
                        ) -> bytes | None:
    """The revision's PDF if it needs no render: a sent revision's as kept, a draft's
    if the cache has it; else None (with QUEUE_URL a worker renders it, see
    quoting.jobs.render_draft). A revision sent before PDFs were kept is None until
    revision_pdf has kept it."""
    snapshot = revision_snapshot(session, ref, revision)
    if snapshot["sent_at"]:
        return archived_pdf(session, str(snapshot["number"]), int(snapshot["revision"]))
    from quoting.documents import PdfCache, snapshot_key  # the cache's key, no render

    return PdfCache().get(snapshot_key(snapshot))


def record_pdf_sha256(session: Session, ref: str, revision: int, sha256: str) -> None:
    """Remember the SHA-256 of a revision's PDF; set once, the same value again is fine."""
    sha256 = sha256.strip().lower()
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise QuoteInputError.single("sha256", "64 hexadecimal characters")
    begin_write(session)
    quote = get_quote(session, ref)
    stored = revision_of(quote, revision)
    if stored.sent_at is None:  # a draft's PDF changes with it; only a sent one is kept
        raise Conflict(f"{quote.ref} revision {revision} was not sent: only a sent "
                       f"revision's PDF is recorded", code="not_sent", ref=quote.ref,
                       revision=revision)
    if stored.pdf_sha256 == sha256:
        return
    if stored.pdf_sha256 is not None:
        raise Conflict(f"{quote.ref} revision {revision} already has PDF SHA-256 "
                       f"{stored.pdf_sha256}; a stored revision's PDF does not change",
                       code="pdf_hash_recorded", ref=quote.ref, revision=revision)
    stored.pdf_sha256 = sha256
    record(session, None, "revision.pdf", quote, revision, detail={"sha256": sha256})
    session.flush()


def archive_pdf(session: Session, ref: str, revision: int, pdf: bytes) -> str:
    """Keep a sent revision's PDF: its SHA-256 on the revision (set once) and its bytes
    in revision_pdfs. For revisions sent before the bytes were kept at sending."""
    quote = get_quote(session, ref)
    stored = revision_of(quote, revision)
    if stored.sent_at is None:
        raise Conflict(f"{quote.ref} revision {revision} was not sent: only a sent "
                       f"revision's PDF is archived", code="not_sent", ref=quote.ref,
                       revision=revision)
    sha256 = hashlib.sha256(pdf).hexdigest()
    record_pdf_sha256(session, quote.ref, revision, sha256)
    if session.get(RevisionPdf, stored.id) is None:
        session.add(RevisionPdf(revision_id=stored.id, sha256=sha256, pdf=pdf))
        session.flush()
    return sha256


def archived_pdf(session: Session, ref: str, revision: int) -> bytes | None:
    """The PDF kept when the revision was sent, or None if none was kept."""
    stored = revision_of(get_quote(session, ref), revision)
    archived = session.get(RevisionPdf, stored.id)
    return archived.pdf if archived is not None else None
