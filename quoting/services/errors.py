"""The refusals services raise: a code for the views to translate, its parameters,
and an English message for the CLI and the API. Codes in use:

- quotes: not_found (what, ref), no_revision (ref, revision, last),
  stale_revision (ref, seen, current), wrong_status (ref, action, status, allowed),
  needs_approval (ref, market), discount_rejected (ref), validity_ended (ref,
  valid_until), not_a_draft (ref, status), pdf_not_rendered (ref), pdf_unprintable
  (problem), send_pending
  (ref: a send handed to a worker is not done yet, see services.sending)
- who may act: not_editor (ref, action), not_approver (email, role), own_quote (ref),
  not_client_editor (client_id), not_admin
- records: email_taken (email), user_inactive (email), pdf_hash_recorded (ref,
  revision), not_sent (ref, revision)
- the client's side (delivery): link_unknown, link_expired, link_superseded,
  link_withdrawn, already_decided (decision), pdf_not_kept (ref, revision)

Bad input is a quoting.errors.QuoteInputError, whose field problems may carry a code
too (client_name_on_record with the name on record).
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
