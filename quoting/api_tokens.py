"""Personal API tokens: create (admin only), list, revoke, authenticate.

A token is `qt_` + 43 URL-safe characters from `secrets` (256 bits): far too
many to guess, so a plain SHA-256 of it is a safe thing to store and look up
(a slow password hash protects low-entropy secrets; these are not). The token
itself is returned once by `create_token` and never stored.

Like quoting.services, every function takes a Session and leaves the commit
to the caller.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from quoting.errors import FieldProblem, QuoteInputError
from quoting.store.db import begin_write
from quoting.store.errors import NotFound, PermissionDenied
from quoting.store.models import AuditEvent, Role, User
from quoting.store.tokens import ApiToken

SCOPE_QUOTES = "quotes:read"
SCOPE_REPORTS = "reports:read"
SCOPES = (SCOPE_QUOTES, SCOPE_REPORTS)
TOKEN_PREFIX = "qt_"
MAX_DAYS = 366
# Who may hold a token: the API shows every quote, which sales users cannot see as a whole.
HOLDER_ROLES = frozenset({Role.FINANCE, Role.ADMIN})
# last_used_at is rewritten at most this often, so a busy script does not write on every call.
LAST_USED_RESOLUTION = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown once


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling the API: the token and its holder, detached from the session."""

    token_id: int
    token_name: str
    user_id: int
    email: str
    scopes: frozenset[str]


class AuthenticationFailed(Exception):
    """No token, an unknown one, or one expired or revoked (HTTP 401)."""


class MissingScope(Exception):
    """A valid token without the scope the endpoint needs (HTTP 403)."""

    def __init__(self, scope: str) -> None:
        self.scope = scope
        super().__init__(f"this token lacks the scope {scope}; ask an admin for a token "
                         f"with it")


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def parse_scopes(text: str | list[str]) -> list[str]:
    items = text if isinstance(text, list) else text.replace(",", " ").split()
    scopes = sorted({item.strip() for item in items if item.strip()})
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise QuoteInputError.single(
            "scopes", f"unknown scope {', '.join(unknown)}; allowed: {', '.join(SCOPES)}"
            if unknown else f"give at least one of {', '.join(SCOPES)}")
    return scopes


def create_token(session: Session, admin: User, holder_email: str, *, name: str,
                 scopes: str | list[str], days: int, now: datetime | None = None
                 ) -> IssuedToken:
    now = now or datetime.now(UTC)
    if admin.role != Role.ADMIN or not admin.active:
        raise PermissionDenied(f"{admin.email} is {admin.role}: only an admin can create "
                               f"API tokens")
    problems = []
    if not 1 <= days <= MAX_DAYS:
        problems.append(FieldProblem("days", f"between 1 and {MAX_DAYS}"))
    if not name.strip() or len(name.strip()) > 100:
        problems.append(FieldProblem("name", "a label of 1 to 100 characters"))
    try:
        chosen = parse_scopes(scopes)
    except QuoteInputError as exc:
        problems.extend(exc.problems)
    if problems:
        raise QuoteInputError(problems)
    begin_write(session)
    holder = session.scalar(select(User).where(User.email == holder_email.strip().lower()))
    if holder is None or not holder.active:
        raise NotFound(f"no active user with email {holder_email}")
    if holder.role not in HOLDER_ROLES:
        raise PermissionDenied(f"{holder.email} is {holder.role}: API tokens are for finance "
                               f"and admin users")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=name.strip(), user_id=holder.id, token_hash=hash_token(secret),
                     prefix=secret[:10], scopes=" ".join(chosen), created_by_id=admin.id,
                     created_at=now, expires_at=now + timedelta(days=days))
    session.add(token)
    session.flush()
    _audit(session, admin, "api_token.create",
           {"token_id": token.id, "holder": holder.email, "scopes": chosen,
            "expires_at": token.expires_at.isoformat()}, now)
    return IssuedToken(token, secret)


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.scalars(
        select(ApiToken).options(selectinload(ApiToken.user)).order_by(ApiToken.id)))


def revoke_token(session: Session, admin: User, token_id: int, *,
                 now: datetime | None = None) -> ApiToken:
    now = now or datetime.now(UTC)
    if admin.role != Role.ADMIN:
        raise PermissionDenied(f"{admin.email} is {admin.role}: only an admin can revoke "
                               f"API tokens")
    begin_write(session)
    token = session.get(ApiToken, token_id, populate_existing=True)
    if token is None:
        raise NotFound(f"no API token with id {token_id}")
    if token.revoked_at is None:
        token.revoked_at = now
        _audit(session, admin, "api_token.revoke", {"token_id": token.id}, now)
        session.flush()
    return token


def token_state(token: ApiToken, now: datetime) -> str:
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at <= now:
        return "expired"
    return "active"


def authenticate(session: Session, secret: str | None, *, now: datetime | None = None
                 ) -> Principal:
    """The caller behind a bearer token, or AuthenticationFailed (one message for every
    failure, so a caller cannot tell a revoked token from one that never existed)."""
    now = now or datetime.now(UTC)
    if not secret or not secret.startswith(TOKEN_PREFIX):
        raise AuthenticationFailed("send a valid API token as 'Authorization: Bearer <token>'")
    digest = hash_token(secret)
    found = session.execute(select(ApiToken, User).join(User, User.id == ApiToken.user_id)
                            .where(ApiToken.token_hash == digest)).first()
    if found is None:
        raise AuthenticationFailed("the API token is unknown, expired or revoked")
    token, holder = found
    if (not hmac.compare_digest(token.token_hash, digest)
            or token_state(token, now) != "active" or not holder.active):
        raise AuthenticationFailed("the API token is unknown, expired or revoked")
    return Principal(token.id, token.name, token.user_id, holder.email, token.scope_set)


def require_scope(principal: Principal, scope: str) -> None:
    if scope not in principal.scopes:
        raise MissingScope(scope)


def record_use(session: Session, principal: Principal, detail: dict[str, Any], *,
               now: datetime | None = None) -> None:
    """Log one API call in the audit trail and refresh the token's last-used time."""
    now = now or datetime.now(UTC)
    token = session.get(ApiToken, principal.token_id)
    if token is not None and (token.last_used_at is None
                              or now - token.last_used_at >= LAST_USED_RESOLUTION):
        token.last_used_at = now
    session.add(AuditEvent(at=now, actor_id=principal.user_id, actor=principal.email,
                           action="api.read",
                           detail={"token_id": principal.token_id, **detail}))
    session.flush()


def _audit(session: Session, actor: User, action: str, detail: dict[str, Any],
           now: datetime) -> None:
    session.add(AuditEvent(at=now, actor_id=actor.id, actor=actor.email, action=action,
                           detail=detail))
