"""Domain errors of the stored quote lifecycle. Each message says what was
refused and what the person can do instead; web, API and CLI show it as is.
Bad requests keep raising quoting.errors.QuoteInputError."""

from __future__ import annotations


class ServiceError(Exception):
    """Base of every refusal the service layer makes on purpose."""


class NotFound(ServiceError):
    pass


class InvalidTransition(ServiceError):
    """The quote's status does not allow this step."""


class PermissionDenied(ServiceError):
    pass


class Conflict(ServiceError):
    """The request clashes with what is stored (a taken email, a recorded hash...)."""


class RevisionImmutable(ServiceError):
    """Something tried to rewrite a stored revision."""
