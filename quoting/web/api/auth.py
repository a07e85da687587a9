"""Bearer tokens only (no cookie, no query-string token): 401 without a valid
token, 403 without the endpoint's scope, 429 past the token's rate limit; every
accepted call is recorded in the audit trail."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import current_app, request
from sqlalchemy.orm import Session

from quoting import api_tokens
from quoting.store.db import begin_write
from quoting.web import db_session, ratelimits
from quoting.web.api.errors import ApiError

REALM = 'Bearer realm="quoting-api"'


def guarded(scope: str, endpoint: str, view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapper(**kwargs: Any) -> Any:
        _admit(scope, endpoint)
        return view(**kwargs)

    return wrapper


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _admit(scope: str, endpoint: str) -> None:
    session = db_session()
    token = _bearer_token()
    if token is None:
        raise ApiError(401, "unauthorized", "send an API token as 'Authorization: Bearer "
                       "<token>' (an admin creates one with `quoting token create`)",
                       headers={"WWW-Authenticate": REALM})
    try:
        principal = api_tokens.authenticate(session, token)
        api_tokens.require_scope(principal, scope)
    except api_tokens.AuthenticationFailed as exc:
        session.rollback()
        raise ApiError(401, "unauthorized", str(exc), headers={
            "WWW-Authenticate": f'{REALM}, error="invalid_token"'}) from None
    except api_tokens.MissingScope as exc:
        session.rollback()
        raise ApiError(403, "forbidden", str(exc), headers={
            "WWW-Authenticate": f'{REALM}, error="insufficient_scope", scope="{exc.scope}"'
        }) from None
    _count_request(principal.token_id, session)
    # The audit write takes the write lock only now, after the rate-limit store's call.
    begin_write(session)
    query = request.query_string.decode("ascii", "replace")
    api_tokens.record_use(session, principal, {
        "endpoint": endpoint, "path": _clean(request.path), "query": _clean(query)})
    session.commit()


def _count_request(token_id: int, session: Session) -> None:
    """One more request in the token's fixed window (kept in RATELIMIT_STORAGE_URI);
    429 with Retry-After past API_RATE_LIMIT requests per API_RATE_WINDOW_SECONDS."""
    limit = int(current_app.config["API_RATE_LIMIT"])
    window = int(current_app.config["API_RATE_WINDOW_SECONDS"])
    item = ratelimits.per_seconds(limit, window)
    limiter = ratelimits.fixed_window()
    key = ("api-token", str(token_id))
    if limiter.hit(item, *key):
        return
    session.rollback()
    wait = ratelimits.seconds_until(limiter.get_window_stats(item, *key).reset_time)
    raise ApiError(429, "rate_limited", f"more than {limit} requests in {window} seconds "
                   f"with this token; retry in {wait} s", headers={"Retry-After": str(wait)})


def _clean(text: str, limit: int = 500) -> str:
    # JSONB refuses NUL; the audit trail has no use for control characters.
    return "".join(ch if ch.isprintable() else "?" for ch in text[:limit])
