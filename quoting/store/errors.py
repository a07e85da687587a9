"""Refusals of the stored quote's rules.

Each refusal carries a `code` (what was refused: "stale_revision",
"needs_approval", "own_quote"...) and its `params`, which the sales desk
translates into the user's language, plus an English `message` for the CLI,
the API and logs. Nobody decides anything by reading the message.
Bad requests keep raising quoting.errors.QuoteInputError.
"""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """Base of every refusal the service layer makes on purpose."""

    code = "refused"

    def __init__(self, message: str, *, code: str | None = None, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.params = params

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.params!r})"


class NotFound(ServiceError):
    code = "not_found"


class InvalidTransition(ServiceError):
    """The quote's status does not allow this step."""

    code = "wrong_status"


class PermissionDenied(ServiceError):
    code = "not_allowed"


class Conflict(ServiceError):
    """The request clashes with what is stored (a taken email, a recorded hash, a quote
    changed since the user opened it...)."""

    code = "conflict"


class RevisionImmutable(ServiceError):
    """Something tried to rewrite a stored revision."""

    code = "revision_immutable"
