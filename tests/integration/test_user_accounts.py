"""Accounts: ending a user's sessions, a new password, deactivation; through the
services and through `quoting user passwd|deactivate`."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from click.testing import CliRunner, Result
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from quoting import services
from quoting.cli import main
from quoting.errors import QuoteInputError
from quoting.store.db import make_engine
from quoting.store.models import AuditEvent, User
from tests.integration.conftest import PASSWORD

NEW_PASSWORD = "a much longer new password"


def _events(session: Session, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                .order_by(AuditEvent.id)))


# ---------------------------------------------------------------- services


def test_a_new_user_starts_at_session_version_1(sales: User) -> None:
    assert sales.session_version == 1


def test_ending_sessions_raises_the_version_and_is_audited(
        session: Session, sales: User) -> None:
    assert services.end_sessions(session, sales) == 2
    assert services.end_sessions(session, sales) == 3

    assert sales.session_version == 3
    events = _events(session, "user.sessions_end")
    assert [(e.actor, e.detail) for e in events] == [
        ("sales@example.com", {"email": "sales@example.com", "session_version": 2}),
        ("sales@example.com", {"email": "sales@example.com", "session_version": 3}),
    ]


def test_a_user_changes_their_own_password_and_every_session_ends(
        session: Session, sales: User) -> None:
    changed = services.set_password(session, "Sales@Example.com ", NEW_PASSWORD, sales)

    assert changed is sales
    assert sales.session_version == 2
    assert services.authenticate_user(session, sales.email, PASSWORD) is None
    assert services.authenticate_user(session, sales.email, NEW_PASSWORD) is sales
    [event] = _events(session, "user.password")
    assert event.actor == sales.email
    assert event.detail == {"email": sales.email, "session_version": 2}
    assert NEW_PASSWORD not in str(event.detail)


def test_a_new_password_needs_the_same_length_as_a_new_user(
        session: Session, sales: User) -> None:
    with pytest.raises(QuoteInputError) as raised:
        services.set_password(session, sales.email, "short", sales)

    assert [(p.field, p.message) for p in raised.value.problems] == [
        ("password", "at least 10 characters")]
    assert sales.session_version == 1
    assert services.authenticate_user(session, sales.email, PASSWORD) is sales


def test_only_an_admin_changes_someone_elses_password(
        session: Session, sales: User, finance: User, make_user: Callable[..., User]) -> None:
    with pytest.raises(services.PermissionDenied) as refused:
        services.set_password(session, sales.email, NEW_PASSWORD, finance)
    assert refused.value.code == "not_admin"
    assert sales.session_version == 1

    admin = make_user("admin")
    services.set_password(session, sales.email, NEW_PASSWORD, admin)

    assert services.authenticate_user(session, sales.email, NEW_PASSWORD) is sales
    assert [e.actor for e in _events(session, "user.password")] == [admin.email]


def test_an_admin_deactivates_a_user_who_then_cannot_sign_in_or_act(
        session: Session, sales: User, make_user: Callable[..., User]) -> None:
    admin = make_user("admin")

    services.deactivate_user(session, "SALES@example.com", admin)

    assert sales.active is False
    assert sales.session_version == 2
    assert services.authenticate_user(session, sales.email, PASSWORD) is None
    with pytest.raises(services.NotFound):
        services.get_user(session, sales.email)
    [event] = _events(session, "user.deactivate")
    assert (event.actor, event.detail) == (
        admin.email, {"email": sales.email, "session_version": 2})


def test_deactivating_is_refused_twice_for_unknown_users_and_for_non_admins(
        session: Session, sales: User, finance: User, make_user: Callable[..., User]) -> None:
    admin = make_user("admin")
    services.deactivate_user(session, sales.email, admin)

    with pytest.raises(services.Conflict) as twice:
        services.deactivate_user(session, sales.email, admin)
    with pytest.raises(services.NotFound):
        services.deactivate_user(session, "nobody@example.com", admin)
    with pytest.raises(services.PermissionDenied) as not_admin:
        services.deactivate_user(session, admin.email, finance)
    with pytest.raises(services.Conflict) as inactive_password:
        services.set_password(session, sales.email, NEW_PASSWORD, admin)

    assert (twice.value.code, twice.value.params) == ("user_inactive", {"email": sales.email})
    assert not_admin.value.code == "not_admin"
    assert inactive_password.value.code == "user_inactive"
    assert sales.session_version == 2
    assert admin.active


# ---------------------------------------------------------------- the command line


@pytest.fixture
def run(fresh_database_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", fresh_database_url)
    monkeypatch.delenv("QUOTING_USER", raising=False)
    runner = CliRunner()
    assert invoke(runner, "db", "upgrade").exit_code == 0
    for email, role in [("demo@example.com", "sales"), ("bea@example.com", "sales"),
                        ("root@example.com", "admin")]:
        result = invoke(runner, "user", "create", "--email", email, "--name", email,
                        "--role", role, "--password", PASSWORD)
        assert result.exit_code == 0, result.output
    return runner


@pytest.fixture
def stored(fresh_database_url: str) -> Iterator[Callable[[str], User]]:
    """The stored user with an email, read afresh (what the commands committed)."""
    engine: Engine = make_engine(fresh_database_url)

    def read(email: str) -> User:
        with Session(engine) as session:
            user = session.scalars(select(User).where(User.email == email)).one()
            session.expunge(user)
            return user

    yield read
    engine.dispose()


def invoke(runner: CliRunner, *args: str, input: str | None = None) -> Result:
    return runner.invoke(main, list(args), input=input, catch_exceptions=False)


def _verify(user: User, password: str) -> bool:
    try:
        return bool(PasswordHasher().verify(user.password_hash, password))
    except VerificationError:
        return False


def test_user_passwd_prompts_twice_for_your_own_new_password_and_ends_your_sessions(
        run: CliRunner, stored: Callable[[str], User]) -> None:
    result = invoke(run, "user", "passwd", "demo@example.com",
                    input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n")

    assert result.exit_code == 0, result.output
    assert NEW_PASSWORD not in result.output  # typed hidden
    assert "every session of demo@example.com ended" in result.stdout
    assert _verify(stored("demo@example.com"), NEW_PASSWORD)
    assert stored("demo@example.com").session_version == 2


def test_user_passwd_takes_password_for_scripts_and_refuses_a_short_one(
        run: CliRunner, stored: Callable[[str], User]) -> None:
    short = invoke(run, "user", "passwd", "demo@example.com", "--password", "short")
    assert short.exit_code == 2
    assert "at least 10 characters" in short.stderr

    done = invoke(run, "user", "passwd", "demo@example.com", "--password", NEW_PASSWORD)

    assert done.exit_code == 0, done.output
    assert _verify(stored("demo@example.com"), NEW_PASSWORD)


def test_only_an_admin_changes_someone_elses_password_from_the_command_line(
        run: CliRunner, stored: Callable[[str], User]) -> None:
    refused = invoke(run, "user", "passwd", "bea@example.com", "--password", NEW_PASSWORD,
                     "--as", "demo@example.com")
    assert refused.exit_code == 2
    assert "only an admin can change another user's password" in refused.stderr
    assert stored("bea@example.com").session_version == 1

    done = invoke(run, "user", "passwd", "bea@example.com", "--password", NEW_PASSWORD,
                  "--as", "root@example.com")

    assert done.exit_code == 0, done.output
    assert _verify(stored("bea@example.com"), NEW_PASSWORD)
    assert stored("bea@example.com").session_version == 2


def test_user_deactivate_is_for_admins_and_the_deactivated_user_can_no_longer_act(
        run: CliRunner, stored: Callable[[str], User], monkeypatch: pytest.MonkeyPatch
        ) -> None:
    refused = invoke(run, "user", "deactivate", "bea@example.com")  # as demo, a sales user
    assert refused.exit_code == 2
    assert "only an admin can deactivate a user" in refused.stderr
    assert stored("bea@example.com").active

    monkeypatch.setenv("QUOTING_USER", "root@example.com")
    done = invoke(run, "user", "deactivate", "bea@example.com")
    again = invoke(run, "user", "deactivate", "bea@example.com")
    unknown = invoke(run, "user", "deactivate", "nobody@example.com")

    assert done.exit_code == 0, done.output
    assert "deactivated bea@example.com; every session of bea@example.com ended" in done.stdout
    user = stored("bea@example.com")
    assert (user.active, user.session_version) == (False, 2)
    assert again.exit_code == 2
    assert "already deactivated" in again.stderr
    assert unknown.exit_code == 2
    assert "no user with email nobody@example.com" in unknown.stderr
    acting = invoke(run, "quote", "list", "--as", "bea@example.com")
    assert acting.exit_code == 2
    assert "no active user bea@example.com" in acting.stderr
