"""API tokens: created by an admin, shown once, stored hashed, scoped, expiring,
revocable, and the only way into /api/v1/."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from quoting import api_tokens
from quoting.errors import QuoteInputError
from quoting.store.errors import PermissionDenied
from quoting.store.models import AuditEvent, User
from quoting.store.tokens import ApiToken
from tests.conftest import RateLimitClock

LIST = "/api/v1/quotes"
SUMMARY = "/api/v1/reports/summary"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_created_token_is_stored_only_as_its_sha256(session: Session, token: str) -> None:
    stored = session.scalars(select(ApiToken)).one()
    assert stored.token_hash == api_tokens.hash_token(token)
    assert token not in {stored.token_hash, stored.prefix, stored.name}
    assert token.startswith(stored.prefix)


def test_only_an_admin_can_create_a_token(session: Session, users: dict[str, User]) -> None:
    with pytest.raises(PermissionDenied):
        api_tokens.create_token(session, users["finance"], "finance@example.com",
                                name="mine", scopes="quotes:read", days=30)


def test_tokens_are_for_finance_and_admin_users_only(session: Session,
                                                     users: dict[str, User]) -> None:
    with pytest.raises(PermissionDenied, match="finance and admin"):
        api_tokens.create_token(session, users["admin"], "sales@example.com",
                                name="sales", scopes="quotes:read", days=30)


def test_an_unknown_scope_or_a_bad_expiry_is_refused_naming_the_field(
        session: Session, users: dict[str, User]) -> None:
    with pytest.raises(QuoteInputError) as caught:
        api_tokens.create_token(session, users["admin"], "finance@example.com",
                                name="x", scopes="quotes:write", days=0)
    assert {p.field for p in caught.value.problems} == {"scopes", "days"}


def test_a_request_without_a_token_gets_401_as_json(client: FlaskClient) -> None:
    for path in (LIST, SUMMARY, "/api/v1/quotes/MX-2026-0001", "/api/v1/exports/quotes.csv",
                 "/api/v1/exports/quotes.ndjson", "/api/v1/quotes/MX-2026-0001/revisions/1/pdf"):
        response = client.get(path)
        assert response.status_code == 401, path
        assert response.get_json()["error"]["code"] == "unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_unknown_token_gets_401(client: FlaskClient, token: str) -> None:
    response = client.get(LIST, headers=bearer(token[:-1] + ("A" if token[-1] != "A" else "B")))
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_a_token_in_the_query_string_or_a_basic_header_is_not_accepted(
        client: FlaskClient, token: str) -> None:
    assert client.get(f"{LIST}?access_token={token}").status_code == 401
    assert client.get(LIST, headers={"Authorization": f"Basic {token}"}).status_code == 401


def test_a_signed_in_browser_session_does_not_open_the_api(client: FlaskClient,
                                                           users: dict[str, User]) -> None:
    with client.session_transaction() as cookie_session:
        cookie_session["_user_id"] = str(users["admin"].id)
        cookie_session["_fresh"] = True
    assert client.get(LIST).status_code == 401


def test_an_expired_token_gets_401(client: FlaskClient, make_token: Callable[..., str]) -> None:
    old = make_token(days=1, now=datetime.now(UTC) - timedelta(days=2))
    assert client.get(LIST, headers=bearer(old)).status_code == 401


def test_a_revoked_token_stops_working_at_once(client: FlaskClient, session: Session,
                                               users: dict[str, User], token: str) -> None:
    assert client.get(LIST, headers=bearer(token)).status_code == 200
    stored = session.scalars(select(ApiToken)).one()
    api_tokens.revoke_token(session, users["admin"], stored.id)
    session.commit()
    assert client.get(LIST, headers=bearer(token)).status_code == 401


def test_a_token_without_the_scope_gets_403(client: FlaskClient,
                                            make_token: Callable[..., str]) -> None:
    quotes_only = make_token(scopes="quotes:read")
    response = client.get(SUMMARY, headers=bearer(quotes_only))
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"
    assert "reports:read" in response.get_json()["error"]["message"]
    reports_only = make_token(scopes="reports:read")
    assert client.get(LIST, headers=bearer(reports_only)).status_code == 403
    assert client.get(SUMMARY, headers=bearer(reports_only)).status_code == 200


def test_each_use_is_in_the_audit_trail_and_sets_last_used(
        client: FlaskClient, session: Session, token: str) -> None:
    assert client.get(f"{LIST}?market=MX", headers=bearer(token)).status_code == 200
    stored = session.scalars(select(ApiToken)).one()
    session.refresh(stored)
    assert stored.last_used_at is not None
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "api.read")).one()
    assert event.actor == "finance@example.com"
    assert event.detail == {"token_id": stored.id, "endpoint": "list_quotes",
                            "path": LIST, "query": "market=MX"}


def test_api_responses_set_no_cookie_and_are_not_cached(client: FlaskClient, token: str) -> None:
    response = client.get(LIST, headers=bearer(token))
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"


def test_past_the_rate_limit_a_token_gets_429_with_retry_after(
        client: FlaskClient, token: str, make_token: Callable[..., str]) -> None:
    client.application.config["API_RATE_LIMIT"] = 3
    for _ in range(3):
        assert client.get(LIST, headers=bearer(token)).status_code == 200
    refused = client.get(LIST, headers=bearer(token))
    assert refused.status_code == 429
    error = refused.get_json()["error"]
    assert error["code"] == "rate_limited"
    assert "more than 3 requests in 60 seconds" in error["message"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # The limit is per token: another token is not slowed by this one.
    assert client.get(LIST, headers=bearer(make_token())).status_code == 200


def test_a_refused_call_is_not_in_the_audit_trail(
        client: FlaskClient, session: Session, token: str) -> None:
    client.application.config["API_RATE_LIMIT"] = 1
    assert client.get(LIST, headers=bearer(token)).status_code == 200
    assert client.get(LIST, headers=bearer(token)).status_code == 429
    reads = session.scalars(select(AuditEvent).where(AuditEvent.action == "api.read")).all()
    assert len(reads) == 1


def test_a_limited_token_is_served_again_when_its_window_ends(
        client: FlaskClient, token: str, ratelimit_clock: RateLimitClock) -> None:
    client.application.config["API_RATE_LIMIT"] = 2
    for _ in range(2):
        assert client.get(LIST, headers=bearer(token)).status_code == 200
    ratelimit_clock.advance(45)
    refused = client.get(LIST, headers=bearer(token))
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) == 15
    ratelimit_clock.advance(15)
    assert client.get(LIST, headers=bearer(token)).status_code == 200


def test_server_processes_sharing_a_store_count_a_tokens_calls_once(
        make_app: Callable[..., Flask], token: str,
        shared_ratelimit_store: dict[str, str]) -> None:
    first, second = (make_app(API_RATE_LIMIT=3, **shared_ratelimit_store).test_client()
                     for _ in range(2))
    for client in (first, second, first):
        assert client.get(LIST, headers=bearer(token)).status_code == 200
    refused = second.get(LIST, headers=bearer(token))
    assert refused.status_code == 429
    assert refused.get_json()["error"]["code"] == "rate_limited"


def test_an_unreachable_limit_store_gets_503_as_json_not_a_server_error(
        make_app: Callable[..., Flask], token: str) -> None:
    client = make_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0").test_client()
    response = client.get(LIST, headers=bearer(token))
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert response.get_json()["error"]["code"] == "unavailable"
