"""The receipt of a client's decision: one A4 page, PDF/A-3b, in the proposal's
language and market formats, with the evidence and the SHA-256 of the PDF the
client was sent. Rendered with the proposal's fonts, stylesheet and sandbox."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

from quoting.documents.context import build_context, words_for
from quoting.documents.render import (
    PDF_VARIANT,
    _environment,
    _get_renderer,
    canonical_json,
    render_html,
)
from quoting.i18n import MARKET_TIMEZONES


def receipt_html(snapshot: Mapping[str, Any], evidence: Mapping[str, Any]) -> str:
    """The receipt as HTML. `evidence` is services.delivery.evidence_view's data."""
    context = build_context(snapshot)
    env = _environment(_get_renderer(), context["language"], context["market"])
    gettext = words_for(context["language"], context["market"]).gettext

    def _(message: str, **variables: Any) -> str:
        return str(gettext(message)) % variables if variables else str(gettext(message))

    locale = str(context["lang"]).replace("-", "_")
    decided = datetime.fromisoformat(str(evidence["decided_at"]))
    zone = ZoneInfo(MARKET_TIMEZONES[context["market"]])
    accepted = evidence["decision"] == "accepted"
    return str(env.get_template("receipt/receipt.html").render(
        **context,
        heading=_("Acceptance receipt") if accepted else _("Decline receipt"),
        outcome_line=" · ".join((f"{context['document_name']} {context['number']}",
                                 context["client"]["name"])),
        signer_label=_("Signed by") if accepted else _("Answered by"),
        decision=evidence["decision"],
        signer_name=evidence.get("signer_name"),
        signer_position=evidence.get("signer_position"),
        authorised=bool(evidence.get("authorised")),
        po_number=evidence.get("po_number"),
        reason=evidence.get("reason"),
        ip=evidence.get("ip"),
        user_agent=evidence.get("user_agent"),
        pdf_sha256=evidence["pdf_sha256"],
        decided_iso=decided.isoformat().replace("+00:00", "Z"),
        decided_local=format_datetime(decided, format="long", tzinfo=zone, locale=locale),
        decided_utc=decided.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%d %H:%M:%S UTC"),
    ))


def render_receipt(snapshot: Mapping[str, Any], evidence: Mapping[str, Any]) -> bytes:
    """The receipt as PDF/A-3b bytes, tagged (headings, tables) for screen readers."""
    identifier = hashlib.sha256(canonical_json(dict(evidence))).hexdigest()[:32]
    return render_html(receipt_html(snapshot, evidence), pdf_variant=PDF_VARIANT,
                       pdf_identifier=identifier.encode("ascii"), pdf_tags=True)
