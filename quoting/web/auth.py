"""Sign in, sign out, the user's password and the interface language: the pages
of the sales desk that do not need a quote.

Flask-Login keeps `<user id>:<session version>` in the session cookie and in the
remember-me cookie. Signing out, a new password and deactivation raise the
stored version (quoting.services.users), so every cookie issued before stops
opening the desk, on every device.
"""

from __future__ import annotations

import math
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import UserMixin, current_user, login_user, logout_user
from flask_login.config import COOKIE_NAME as DEFAULT_REMEMBER_COOKIE_NAME
from limits import RateLimitItem
from werkzeug.wrappers import Response

from quoting import services
from quoting.errors import QuoteInputError
from quoting.services.users import MIN_PASSWORD_LENGTH
from quoting.store.models import Role, User
from quoting.web import db_session, ratelimits
from quoting.web.forms import LanguageForm, LoginForm, PasswordChangeForm
from quoting.web.guards import guard
from quoting.web.text import _

bp = guard(Blueprint("auth", __name__))


class SignedInUser(UserMixin):  # type: ignore[misc]  # Flask-Login is untyped
    """The stored user, as Flask-Login sees it."""

    def __init__(self, user: User) -> None:
        self.user = user

    def get_id(self) -> str:
        """What both cookies keep: the user and the session version they were issued for."""
        return f"{self.user.id}:{self.user.session_version}"

    @property
    def is_active(self) -> bool:
        return bool(self.user.active)

    @property
    def email(self) -> str:
        return self.user.email

    @property
    def name(self) -> str:
        return self.user.name

    @property
    def role(self) -> str:
        return self.user.role

    @property
    def is_manager(self) -> bool:
        """Finance and admin decide discounts and may act on anyone's quote."""
        return self.user.role in (Role.FINANCE, Role.ADMIN)


def load_user(user_id: str) -> SignedInUser | None:
    """The user of a session or remember-me cookie, unless that cookie's session has
    ended (the version moved on) or the user was deactivated."""
    ident, _sep, version = user_id.partition(":")
    if not (ident.isdigit() and version.isdigit()):
        return None  # includes ids issued before session versions: sign in again
    user = db_session().get(User, int(ident))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return SignedInUser(user)


def signed_in() -> User:
    """The stored user behind the current request (pages are guarded, so there is one)."""
    wrapper: SignedInUser = current_user._get_current_object()
    return wrapper.user


Limit = tuple[RateLimitItem, tuple[str, str]]  # what is counted, under which key


def _email_limit(email: str) -> Limit:
    """LOGIN_FAILURES_PER_EMAIL failed sign-ins in a moving LOGIN_FAILURE_WINDOW_SECONDS."""
    config = current_app.config
    return (ratelimits.per_seconds(config["LOGIN_FAILURES_PER_EMAIL"],
                                   config["LOGIN_FAILURE_WINDOW_SECONDS"]),
            ("login-email", email))


def _address_limit(address: str) -> Limit:
    """LOGIN_FAILURES_PER_ADDRESS failed sign-ins from one client address, same window."""
    config = current_app.config
    return (ratelimits.per_seconds(config["LOGIN_FAILURES_PER_ADDRESS"],
                                   config["LOGIN_FAILURE_WINDOW_SECONDS"]),
            ("login-address", address))


def _blocked_for(email: str, address: str) -> int:
    """Seconds until another attempt is allowed; 0 when it is allowed now."""
    limiter = ratelimits.moving_window()
    return max((ratelimits.seconds_until(limiter.get_window_stats(item, *key).reset_time)
                for item, key in (_email_limit(email), _address_limit(address))
                if not limiter.test(item, *key)), default=0)


def _failed(email: str, address: str) -> None:
    limiter = ratelimits.moving_window()
    for item, key in (_email_limit(email), _address_limit(address)):
        limiter.hit(item, *key)


def _succeeded(email: str) -> None:
    """The email's failures are forgotten; the address's still count."""
    item, key = _email_limit(email)
    ratelimits.moving_window().clear(item, *key)


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an absolute URL someone slipped into ?next=."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") \
                and not target.startswith("//") and "\\" not in target:
            return target
    return url_for("quotes.index")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | tuple[str, int] | str:
    if current_user.is_authenticated:
        return redirect(url_for("quotes.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        email = (form.email.data or "").strip().lower()
        address = request.remote_addr or "unknown"
        wait = _blocked_for(email, address)
        if wait > 0:
            form.form_errors.append(_(
                "Too many failed attempts. Try again in %(minutes)s minute(s).",
                minutes=max(1, math.ceil(wait / 60))))
            status = 429
        else:
            user = services.authenticate_user(db_session(), email, form.password.data or "")
            db_session().commit()  # a rehashed password is kept
            if user is None:
                _failed(email, address)
                form.form_errors.append(_("Wrong email or password."))
                status = 401
            else:
                _succeeded(email)
                session.clear()
                login_user(SignedInUser(user), remember=bool(form.remember.data))
                return redirect(_safe_next(request.args.get("next")))
    elif request.method == "POST":
        status = 400
    return render_template("login.html", form=form), status


def sign_in_again(email: str, password: str) -> str | None:
    """Sign in from a page that kept a form whose session had ended (quoting.web.
    kept_work), under the same limits as the sign-in page; None once signed in, else
    what was wrong."""
    email = email.strip().lower()
    address = request.remote_addr or "unknown"
    wait = _blocked_for(email, address)
    if wait > 0:
        return _("Too many failed attempts. Try again in %(minutes)s minute(s).",
                 minutes=max(1, math.ceil(wait / 60)))
    user = services.authenticate_user(db_session(), email, password)
    db_session().commit()
    if user is None:
        _failed(email, address)
        return _("Wrong email or password.")
    _succeeded(email)
    language = session.get("ui_language")
    session.clear()
    if language:
        session["ui_language"] = language
    login_user(SignedInUser(user))
    return None


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    """Sign out everywhere: every session and remember-me cookie of the user ends,
    in this browser and on every other device."""
    language = session.get("ui_language")
    if current_user.is_authenticated:
        store = db_session()
        services.end_sessions(store, signed_in())
        store.commit()
    session.clear()
    logout_user()  # after clear(): it marks the remember-me cookie for deletion
    if language:
        session["ui_language"] = language
    flash(_("You have signed out, here and on every other device."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/language", methods=["POST"])
def set_language() -> Response:
    form = LanguageForm()
    if form.validate_on_submit():
        session["ui_language"] = form.language.data
        if current_user.is_authenticated:  # remembered for the notices emailed to them
            store = db_session()
            services.set_language(store, signed_in(), str(form.language.data))
            store.commit()
    return redirect(_safe_next(request.form.get("next")))


@bp.route("/account/password", methods=["GET", "POST"])
def change_password() -> Response | tuple[str, int]:
    """The signed-in user's own password. The current one is asked for (a wrong one
    counts as a failed sign-in); a new one ends every other session of the user and
    this browser is signed in again with the new session version."""
    form = PasswordChangeForm()
    status = 200
    if form.validate_on_submit():
        user = signed_in()
        store = db_session()
        address = request.remote_addr or "unknown"
        wait = _blocked_for(user.email, address)
        if wait > 0:
            form.form_errors.append(_(
                "Too many failed attempts. Try again in %(minutes)s minute(s).",
                minutes=max(1, math.ceil(wait / 60))))
            status = 429
        elif services.authenticate_user(store, user.email,
                                        form.current_password.data or "") is None:
            store.rollback()
            _failed(user.email, address)
            form.current_password.errors.append(_("This is not your current password."))
            status = 422
        else:
            store.commit()  # a rehashed password is kept
            _succeeded(user.email)
            try:
                services.set_password(store, user.email, form.new_password.data or "",
                                      actor=user)
                store.commit()
            except QuoteInputError:
                store.rollback()
                form.new_password.errors.append(_(
                    "At least %(min)s characters.", min=MIN_PASSWORD_LENGTH))
                status = 422
            else:
                # This browser goes on, under the new version; a remember-me cookie it
                # had is issued again (the old one ended with the others).
                remember_cookie = current_app.config.get("REMEMBER_COOKIE_NAME",
                                                         DEFAULT_REMEMBER_COOKIE_NAME)
                login_user(SignedInUser(user), remember=remember_cookie in request.cookies)
                flash(_("Your password has been changed. You were signed out on every "
                        "other browser and device."), "info")
                return redirect(url_for("quotes.index"))
    elif request.method == "POST":
        status = 422
    return render_template("account_password.html", form=form), status
