"""Sessions end: signing out, a new password and deactivation end every session
and remember-me cookie of the user, captured or not, on every device."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from quoting import services
from quoting.store.models import AuditEvent, User
from quoting.web.auth import load_user
from tests.web.conftest import OTHER_SALES, PASSWORD, SALES

SESSION_COOKIE = "quoting_session"
REMEMBER_COOKIE = "remember_token"
NEW_PASSWORD = "a much longer new password"
ADMIN = "alba@example.com"


def _sign_in(client: FlaskClient, email: str = SALES, password: str = PASSWORD, *,
             remember: bool = False) -> FlaskClient:
    data = {"email": email, "password": password}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def _cookie(client: FlaskClient, name: str) -> str:
    cookie = client.get_cookie(name)
    assert cookie is not None, f"no {name} cookie"
    assert cookie.value
    return cookie.value


def _opens_the_desk_with_only(app: Flask, name: str, value: str) -> bool:
    """A browser that has nothing but this one cookie: does `/` open the quote list?"""
    browser = app.test_client()
    browser.set_cookie(name, value)
    response = browser.get("/")
    if response.status_code == 200:
        return True
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    return False


def _change_password(client: FlaskClient, current: str = PASSWORD, new: str = NEW_PASSWORD,
                     again: str | None = None) -> tuple[int, str]:
    response = client.post("/account/password", data={
        "current_password": current, "new_password": new,
        "confirm_password": new if again is None else again})
    return response.status_code, response.get_data(as_text=True)


def _user(engine: Engine, email: str) -> User:
    with Session(engine) as session:
        user = session.scalars(select(User).where(User.email == email)).one()
        session.expunge(user)
        return user


def _actions(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_a_session_cookie_captured_before_sign_out_no_longer_opens_the_desk(
        app: Flask, client: FlaskClient) -> None:
    _sign_in(client)
    captured = _cookie(client, SESSION_COOKIE)
    assert _opens_the_desk_with_only(app, SESSION_COOKIE, captured)

    assert client.post("/logout").status_code == 302

    assert not _opens_the_desk_with_only(app, SESSION_COOKIE, captured)
    assert client.get("/").status_code == 302


def test_a_remember_me_cookie_captured_before_sign_out_no_longer_opens_the_desk(
        app: Flask, client: FlaskClient) -> None:
    _sign_in(client, remember=True)
    captured = _cookie(client, REMEMBER_COOKIE)
    assert _opens_the_desk_with_only(app, REMEMBER_COOKIE, captured)

    client.post("/logout")

    assert client.get_cookie(REMEMBER_COOKIE) is None  # this browser forgot it
    assert not _opens_the_desk_with_only(app, REMEMBER_COOKIE, captured)


def test_the_remember_me_cookie_of_the_next_sign_in_is_a_new_value(client: FlaskClient) -> None:
    first = _cookie(_sign_in(client, remember=True), REMEMBER_COOKIE)
    client.post("/logout")

    second = _cookie(_sign_in(client, remember=True), REMEMBER_COOKIE)

    assert second != first


def test_signing_out_in_one_browser_signs_the_user_out_of_every_other_browser(
        app: Flask, engine: Engine) -> None:
    laptop, phone = _sign_in(app.test_client()), _sign_in(app.test_client(), remember=True)
    colleague = _sign_in(app.test_client(), OTHER_SALES)
    assert phone.get("/").status_code == 200

    laptop.post("/logout")

    assert phone.get("/").status_code == 302
    assert not _opens_the_desk_with_only(app, REMEMBER_COOKIE, _cookie(phone, REMEMBER_COOKIE))
    assert colleague.get("/").status_code == 200  # only that user's sessions end
    assert _user(engine, SALES).session_version == 2
    assert _actions(engine)[-1] == "user.sessions_end"


def test_the_top_bar_links_to_the_change_password_page(signed_in: FlaskClient) -> None:
    page = signed_in.get("/").get_data(as_text=True)
    assert 'href="/account/password"' in page

    form = signed_in.get("/account/password")

    assert form.status_code == 200
    assert "Contraseña actual" in form.get_data(as_text=True)


def test_a_new_password_ends_every_other_session_and_keeps_this_browser_signed_in(
        app: Flask, engine: Engine) -> None:
    here = _sign_in(app.test_client(), remember=True)
    elsewhere = _sign_in(app.test_client(), remember=True)
    old_remember = _cookie(here, REMEMBER_COOKIE)
    elsewhere_remember = _cookie(elsewhere, REMEMBER_COOKIE)

    response = here.post("/account/password", data={
        "current_password": PASSWORD, "new_password": NEW_PASSWORD,
        "confirm_password": NEW_PASSWORD}, follow_redirects=True)

    assert response.status_code == 200
    assert "Se cerró tu sesión en todos los demás navegadores" in response.get_data(as_text=True)
    assert here.get("/").status_code == 200
    new_remember = _cookie(here, REMEMBER_COOKIE)
    assert new_remember != old_remember
    assert _opens_the_desk_with_only(app, REMEMBER_COOKIE, new_remember)
    assert elsewhere.get("/").status_code == 302
    for stale in (old_remember, elsewhere_remember):
        assert not _opens_the_desk_with_only(app, REMEMBER_COOKIE, stale)
    assert app.test_client().post("/login", data={
        "email": SALES, "password": PASSWORD}).status_code == 401
    _sign_in(app.test_client(), password=NEW_PASSWORD)
    assert _actions(engine)[-1] == "user.password"


def test_the_password_stays_when_the_current_one_is_wrong_or_the_new_ones_differ(
        app: Flask, engine: Engine) -> None:
    here, elsewhere = _sign_in(app.test_client()), _sign_in(app.test_client())

    wrong = _change_password(here, current="not my password")
    differ = _change_password(here, again="a different new password")
    short = _change_password(here, new="short")

    assert wrong[0] == 422
    assert "Esta no es tu contraseña actual." in wrong[1]
    assert differ[0] == 422
    assert "Las dos contraseñas nuevas no coinciden." in differ[1]
    assert short[0] == 422
    assert "Al menos 10 caracteres." in short[1]
    assert elsewhere.get("/").status_code == 200
    assert _user(engine, SALES).session_version == 1
    _sign_in(app.test_client(), password=PASSWORD)


def test_guessing_the_current_password_counts_as_failed_sign_ins(
        signed_in: FlaskClient) -> None:
    for _ in range(5):
        assert _change_password(signed_in, current="guess guess")[0] == 422

    status, page = _change_password(signed_in)

    assert status == 429
    assert "Vuelve a intentarlo en 5 minuto(s)." in page


def test_a_deactivated_users_cookies_stop_working_and_they_cannot_sign_in(
        app: Flask, client: FlaskClient, engine: Engine) -> None:
    _sign_in(client, remember=True)
    captured_session = _cookie(client, SESSION_COOKIE)
    captured_remember = _cookie(client, REMEMBER_COOKIE)
    with Session(engine) as session:
        admin = services.create_user(session, ADMIN, "Alba Admin", "admin", PASSWORD)
        services.deactivate_user(session, SALES, admin)
        session.commit()

    assert client.get("/").status_code == 302
    assert not _opens_the_desk_with_only(app, SESSION_COOKIE, captured_session)
    assert not _opens_the_desk_with_only(app, REMEMBER_COOKIE, captured_remember)
    refused = app.test_client().post("/login", data={"email": SALES, "password": PASSWORD})
    assert refused.status_code == 401


def test_only_an_id_with_the_users_current_session_version_loads_the_user(
        app: Flask, engine: Engine) -> None:
    user = _user(engine, SALES)
    with app.test_request_context():
        loaded = load_user(f"{user.id}:{user.session_version}")
        assert loaded is not None
        assert loaded.email == SALES
        assert loaded.get_id() == f"{user.id}:1"
        assert load_user(f"{user.id}:{user.session_version + 1}") is None
        assert load_user(str(user.id)) is None  # a cookie from before session versions
        assert load_user(f"{user.id}:") is None
        assert load_user("x:1") is None


def test_signing_out_twice_in_a_row_is_harmless(sign_in: Callable[..., FlaskClient]) -> None:
    client = sign_in()
    assert client.post("/logout").status_code == 302
    assert client.post("/logout").status_code == 302
    assert client.get("/").status_code == 302
