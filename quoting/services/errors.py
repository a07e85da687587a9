"""The refusals services raise: a code for the views to translate, its parameters,
and an English message for the CLI and the API. Codes in use:

- not_found (what, ref), no_revision (ref, revision, last)
- stale_revision (ref, seen, current): the quote changed since the user opened it
- wrong_status (ref, action, status, allowed)
- needs_approval (ref, market), discount_rejected (ref), validity_ended (ref, valid_until)
- not_editor (ref), not_approver (email, role), own_quote (ref): four eyes
- not_a_draft (ref): only a never-sent draft can be deleted
- market_mismatch (ref, market, requested)
- client_exists (market, tax_id), email_taken (email), pdf_hash_recorded (ref, revision)
- not_sent (ref, revision), user_inactive (email)
- pdf_not_rendered (ref): sending failed to render the PDF, so nothing was sent
"""

from quoting.store.errors import (
    Conflict,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    RevisionImmutable,
    ServiceError,
)

Refused = ServiceError

__all__ = ["Conflict", "InvalidTransition", "NotFound", "PermissionDenied", "Refused",
           "RevisionImmutable", "ServiceError"]
