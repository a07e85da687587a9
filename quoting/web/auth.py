"""Sign in, sign out and the interface language: the only pages of the sales desk
that do not need a quote."""

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
from limits import RateLimitItem
from werkzeug.wrappers import Response

from quoting import services
from quoting.store.models import Role, User
from quoting.web import db_session, ratelimits
from quoting.web.forms import LanguageForm, LoginForm
from quoting.web.text import _

bp = Blueprint("auth", __name__)


class SignedInUser(UserMixin):  # type: ignore[misc]  # Flask-Login is untyped
    """The stored user, as Flask-Login sees it."""

    def __init__(self, user: User) -> None:
        self.user = user

    def get_id(self) -> str:
        return str(self.user.id)

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
    if not user_id.isdigit():
        return None
    user = db_session().get(User, int(user_id))
    if user is None or not user.active:
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


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    language = session.get("ui_language")
    logout_user()
    session.clear()
    if language:
        session["ui_language"] = language
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/language", methods=["POST"])
def set_language() -> Response:
    form = LanguageForm()
    if form.validate_on_submit():
        session["ui_language"] = form.language.data
    return redirect(_safe_next(request.form.get("next")))
