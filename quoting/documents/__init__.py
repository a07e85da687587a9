"""Proposal documents: a stored revision (snapshot) rendered to a PDF/A-3b proposal.

`render_proposal(snapshot)` takes the revision's snapshot: `number`, `revision`,
`status`, `created_at`, `request` (QuoteRequest.model_dump(mode="json")),
`priced` (PricedQuote.to_dict()) and `exchange_rates`; `cached_proposal` serves
it from a content-addressed cache after the first render.
"""

from quoting.documents.cache import PdfCache, cached_proposal, default_cache_dir, snapshot_key
from quoting.documents.context import SnapshotError
from quoting.documents.render import canonical_json, pdf_sha256, proposal_html, render_proposal
from quoting.documents.snapshot import draft_snapshot

__all__ = [
    "PdfCache",
    "SnapshotError",
    "cached_proposal",
    "canonical_json",
    "default_cache_dir",
    "draft_snapshot",
    "pdf_sha256",
    "proposal_html",
    "render_proposal",
    "snapshot_key",
]
