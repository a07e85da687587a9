from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from quoting import services
from quoting.errors import QuoteInputError
from quoting.store.errors import Conflict

PASSWORD = "a long enough password"


def test_a_password_is_stored_as_an_argon2_hash_and_verified(session: Session) -> None:
    user = services.create_user(session, "Ana@Example.com", "Ana", "finance", PASSWORD)

    assert user.email == "ana@example.com"
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    assert services.authenticate_user(session, "ana@example.com ", PASSWORD) is user


@pytest.mark.parametrize(("email", "password"), [
    ("ana@example.com", "the wrong password"),
    ("nobody@example.com", PASSWORD),
])
def test_authentication_fails_without_saying_which_part_was_wrong(
        session: Session, email: str, password: str) -> None:
    services.create_user(session, "ana@example.com", "Ana", "sales", PASSWORD)

    assert services.authenticate_user(session, email, password) is None


def test_an_inactive_user_cannot_sign_in(session: Session) -> None:
    user = services.create_user(session, "ana@example.com", "Ana", "sales", PASSWORD)
    user.active = False

    assert services.authenticate_user(session, "ana@example.com", PASSWORD) is None


def test_an_email_can_belong_to_one_user_only(session: Session) -> None:
    services.create_user(session, "ana@example.com", "Ana", "sales", PASSWORD)

    with pytest.raises(Conflict, match="already exists"):
        services.create_user(session, "ANA@example.com", "Ana Two", "admin", PASSWORD)


def test_a_user_needs_a_known_role_an_email_and_a_long_password(session: Session) -> None:
    with pytest.raises(QuoteInputError) as raised:
        services.create_user(session, "not-an-email", "Ana", "boss", "short")

    assert [p.field for p in raised.value.problems] == ["email", "role", "password"]
