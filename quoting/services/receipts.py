"""The receipt of a client's decision: a one-page PDF/A with the evidence and the
SHA-256 of the PDF the client was sent, kept byte for byte (`client_receipts`,
append-only), offered on the link's page and emailed to the people the proposal
was emailed to through that link.

`issue_receipt` is called right after the decision is committed (the web page
does; so does the page and its download when a receipt is missing, e.g. after a
crash between the two): the PDF renders with no lock held, then the receipt and
its email are written in one transaction. Issuing twice keeps the first.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from quoting.services.common import lock_quote, now_or, record
from quoting.services.delivery import evidence_view
from quoting.services.documents import revision_snapshot
from quoting.services.messages import queue_message, translations_for
from quoting.store.client_links import ClientDecision, ClientReceipt
from quoting.store.models import Quote
from quoting.store.outbox import OutboxMessage

ReceiptRenderer = Callable[[Mapping[str, Any], Mapping[str, Any]], bytes]


def render_receipt(snapshot: Mapping[str, Any], evidence: Mapping[str, Any]) -> bytes:
    from quoting.documents.receipt import render_receipt as render  # WeasyPrint, when needed

    return render(snapshot, evidence)


def receipt_for(session: Session, decision: ClientDecision) -> ClientReceipt | None:
    return session.scalars(select(ClientReceipt).where(
        ClientReceipt.decision_id == decision.id)).one_or_none()


def quote_receipt(session: Session, quote: Quote) -> ClientReceipt | None:
    """The receipt of the client's latest decision on the quote, if one was issued."""
    return session.scalars(select(ClientReceipt).join(ClientDecision)
                           .where(ClientDecision.quote_id == quote.id)
                           .order_by(ClientDecision.id.desc()).limit(1)).one_or_none()


def issue_receipt(session: Session, decision: ClientDecision, *,
                  now: datetime | None = None,
                  render: ReceiptRenderer | None = None) -> ClientReceipt:
    """The decision's receipt: the one kept, or a new one rendered, kept, audited and
    emailed (to the recipients of the proposal emails sent with the decision's link),
    in the transaction the caller commits."""
    now = now_or(now)
    kept = receipt_for(session, decision)
    if kept is not None:
        return kept
    number = str(decision.quote.number)
    snapshot = revision_snapshot(session, number, decision.revision)
    evidence = evidence_view(decision)
    decision_id = decision.id
    session.rollback()  # nothing is held while the receipt renders
    pdf = (render or render_receipt)(snapshot, evidence)

    quote = lock_quote(session, number)
    decision = session.get_one(ClientDecision, decision_id)
    kept = receipt_for(session, decision)
    if kept is not None:  # someone issued it meanwhile
        return kept
    language = str(snapshot["language"])
    receipt = ClientReceipt(decision_id=decision.id, language=language,
                            sha256=hashlib.sha256(pdf).hexdigest(), pdf=pdf, created_at=now)
    session.add(receipt)
    session.flush()
    record(session, None, "receipt.issue", quote, decision.revision,
           detail={"decision": decision.decision, "receipt_sha256": receipt.sha256,
                   "pdf_sha256": decision.pdf_sha256}, now=now)
    recipients = _proposal_recipients(session, decision)
    if recipients:
        subject, body = receipt_message(quote.market, number, decision, language,
                                        str(quote.client_name))
        message = queue_message(session, quote, kind="receipt", recipients=recipients,
                                subject=subject, body=body, language=language,
                                revision=decision.revision, receipt_id=receipt.id, now=now)
        record(session, None, "message.queue", quote, decision.revision,
               detail={"message_id": message.id, "recipients": recipients,
                       "receipt_id": receipt.id}, now=now)
    session.flush()
    return receipt


def _proposal_recipients(session: Session, decision: ClientDecision) -> list[str]:
    """Everyone the proposal was emailed to with the decision's link, once each."""
    lists = session.scalars(select(OutboxMessage.recipients).where(
        OutboxMessage.link_id == decision.link_id, OutboxMessage.kind == "proposal")
        .order_by(OutboxMessage.id)).all()
    seen: dict[str, str] = {}
    for addresses in lists:
        for address in addresses:
            seen.setdefault(str(address).lower(), str(address))
    return list(seen.values())[:10]


def receipt_message(market: str, number: str, decision: ClientDecision, language: str,
                    client: str) -> tuple[str, str]:
    """The receipt email's subject and body in the proposal's language (Spain's Spanish
    says "presupuesto")."""
    translations = translations_for(language)
    spain = market == "ES" and language == "es"

    def _(message: str, **variables: Any) -> str:
        text = str(translations.pgettext("ES", message) if spain
                   else translations.gettext(message))
        return text % variables if variables else text

    if decision.decision == "accepted":
        subject = _("Acceptance of proposal %(number)s recorded", number=number)
        first = _("Thank you: the acceptance of proposal %(number)s (revision %(revision)s) "
                  "for %(client)s by %(signer)s was recorded.", number=number,
                  revision=decision.revision, client=client,
                  signer=decision.signer_name or "-")
    else:
        subject = _("Decline of proposal %(number)s recorded", number=number)
        first = _("The decline of proposal %(number)s (revision %(revision)s) for "
                  "%(client)s was recorded.", number=number, revision=decision.revision,
                  client=client)
    body = "\n\n".join((first, _(
        "The attached receipt lists what was recorded and the SHA-256 of the proposal's "
        "PDF: %(sha256)s"
    , sha256=decision.pdf_sha256), _("If you did not make this decision, reply to this "
                                     "email at once.")))
    return subject, body
