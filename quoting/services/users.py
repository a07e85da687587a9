"""People who use the desk: create, find, sign in."""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from quoting.errors import FieldProblem, QuoteInputError
from quoting.services.common import begin_write, record
from quoting.services.errors import Conflict, NotFound, PermissionDenied
from quoting.store.models import Role, User

MIN_PASSWORD_LENGTH = 10

_password_hasher = PasswordHasher()


def password_hasher() -> PasswordHasher:
    return _password_hasher


def use_password_hasher(hasher: PasswordHasher) -> None:
    """Tests trade Argon2's cost for speed."""
    global _password_hasher
    _password_hasher = hasher


def create_user(session: Session, email: str, name: str, role: str, password: str) -> User:
    email = normalize_email(email)
    problems = []
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        problems.append(FieldProblem("email", f"{email!r} is not an email address"))
    if not name.strip():
        problems.append(FieldProblem("name", "give the person's name"))
    if role not in {r.value for r in Role}:
        problems.append(FieldProblem("role", f"unknown role {role!r}; allowed: "
                                     + ", ".join(r.value for r in Role)))
    problems += _password_problems(password)
    if problems:
        raise QuoteInputError(problems)
    begin_write(session)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"a user with email {email} already exists", code="email_taken",
                       email=email)
    user = User(email=email, name=name.strip(), role=role,
                password_hash=_password_hasher.hash(password))
    session.add(user)
    session.flush()
    record(session, user, "user.create", detail={"email": email, "role": role})
    return user


def _password_problems(password: str) -> list[FieldProblem]:
    if len(password) < MIN_PASSWORD_LENGTH:
        return [FieldProblem("password", f"at least {MIN_PASSWORD_LENGTH} characters")]
    return []


def get_user(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None or not user.active:
        raise NotFound(f"no active user with email {email}", code="not_found", what="user",
                       ref=email)
    return user


def authenticate_user(session: Session, email: str, password: str) -> User | None:
    """The active user with this email and password, or None (no hint which was wrong)."""
    user = session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None or not user.active:
        # Spend the same time as a real check so emails cannot be probed by timing.
        _password_hasher.hash(password)
        return None
    try:
        _password_hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if _password_hasher.check_needs_rehash(user.password_hash):
        rehashed = _password_hasher.hash(password)
        begin_write(session)  # the user is read again under the write lock
        user.password_hash = rehashed
    return user


def list_users(session: Session) -> list[User]:
    """Active users, by name (for choosing an owner in a filter)."""
    return list(session.scalars(select(User).where(User.active.is_(True)).order_by(User.name)))


def normalize_email(email: str) -> str:
    return email.strip().lower()


# ---------------------------------------------------------------- sessions end


def end_sessions(session: Session, user: User) -> int:
    """End every session and remember-me cookie of `user`, on every device: their
    user id carries the session version, which this raises. Returns the new one."""
    begin_write(session)
    fresh = _user_for_change(session, user.email)
    fresh.session_version = fresh.session_version + 1
    session.flush()
    record(session, fresh, "user.sessions_end",
           detail={"email": fresh.email, "session_version": fresh.session_version})
    return fresh.session_version


DESK_LANGUAGES = ("es", "en", "pt")


def set_language(session: Session, user: User, language: str) -> None:
    """The desk language the user chose: their emailed notices use it too."""
    if language not in DESK_LANGUAGES:
        raise QuoteInputError.single("language", f"one of {', '.join(DESK_LANGUAGES)}")
    if user.language != language:
        begin_write(session)
        user.language = language
        session.flush()


def set_password(session: Session, email: str, new_password: str, actor: User) -> User:
    """A new password for the user with `email` (the actor's own, or anyone's for an
    admin); every session of that user ends."""
    problems = _password_problems(new_password)
    if problems:
        raise QuoteInputError(problems)
    if normalize_email(email) != actor.email and actor.role != Role.ADMIN:
        raise PermissionDenied(f"only an admin can change another user's password "
                               f"({actor.email} is {actor.role})", code="not_admin",
                               email=actor.email, role=actor.role)
    begin_write(session)
    user = _user_for_change(session, email)
    if not user.active:
        raise Conflict(f"{user.email} is deactivated", code="user_inactive", email=user.email)
    user.password_hash = _password_hasher.hash(new_password)
    user.session_version = user.session_version + 1
    session.flush()
    record(session, actor, "user.password",
           detail={"email": user.email, "session_version": user.session_version})
    return user


def deactivate_user(session: Session, email: str, actor: User) -> User:
    """An admin deactivates the user with `email`: they can no longer sign in, and
    every session they have ends. Their quotes and history stay."""
    if actor.role != Role.ADMIN:
        raise PermissionDenied(f"only an admin can deactivate a user ({actor.email} is "
                               f"{actor.role})", code="not_admin", email=actor.email,
                               role=actor.role)
    begin_write(session)
    user = _user_for_change(session, email)
    if not user.active:
        raise Conflict(f"{user.email} is already deactivated", code="user_inactive",
                       email=user.email)
    user.active = False
    user.session_version = user.session_version + 1
    session.flush()
    record(session, actor, "user.deactivate",
           detail={"email": user.email, "session_version": user.session_version})
    return user


def _user_for_change(session: Session, email: str) -> User:
    """The user with `email`, active or not, read again under the write lock
    (PostgreSQL: the row locked), so a change never rests on a stale read."""
    user = session.scalars(
        select(User).where(User.email == normalize_email(email)).with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if user is None:
        raise NotFound(f"no user with email {email}", code="not_found", what="user", ref=email)
    return user
