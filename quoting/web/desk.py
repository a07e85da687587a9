"""The sales desk: sign-in, the quote list, the quote form and the quote pages.

`register(app)` binds the extensions (login, CSRF, Babel), security headers and
the blueprints; each desk blueprint carries its own guards (quoting.web.guards:
no oversized body or control character, a signed-in user, a CSRF token on every
form post). Paths under
`/api/` belong to the finance API, which authenticates with bearer tokens: no
cookie login, no CSRF check there.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Flask,
    Response,
    current_app,
    make_response,
    render_template,
    request,
    session,
)
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from quoting import paths
from quoting.web import auth, client_pages, input_guard, notices, quotes, tokens
from quoting.web.extensions import babel, csrf, login_manager
from quoting.web.formatting import install_filters
from quoting.web.text import _

UI_LANGUAGES = ("es", "en", "pt")
API_PREFIX = "/api/"

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'self'",
    "base-uri 'self'",
    "object-src 'none'",
])


def register(app: Flask) -> None:
    # QUOTING_ENV, SESSION_COOKIE_NAME and the LOGIN_FAILURE… limits come from
    # the environment through quoting.web.SETTINGS.
    production = app.config["QUOTING_ENV"] == "production"
    for key, value in {
        "BABEL_DEFAULT_LOCALE": "es",
        "BABEL_DOMAIN": "web",
        "BABEL_TRANSLATION_DIRECTORIES": str(paths.LOCALES_DIR),
        # Checked by the desk blueprints' guards (quoting.web.guards), never on /api/.
        "WTF_CSRF_CHECK_DEFAULT": False,
        # The token lives as long as the signed-in session: a form left open during a
        # long call must still save, not lose what was typed.
        "WTF_CSRF_TIME_LIMIT": None,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": production,
    }.items():
        app.config.setdefault(key, value)
    if production:
        app.config["SESSION_COOKIE_SECURE"] = True

    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = ""
    login_manager.session_protection = "strong"
    login_manager.user_loader(auth.load_user)
    babel.init_app(app, locale_selector=ui_language)
    install_filters(app)

    app.after_request(_security_headers)
    app.register_error_handler(CSRFError, _csrf_failed)
    app.register_error_handler(HTTPException, _http_error)
    app.context_processor(_page_globals)

    app.register_blueprint(auth.bp)
    app.register_blueprint(quotes.bp)
    app.register_blueprint(tokens.bp)
    app.register_blueprint(notices.bp)
    app.register_blueprint(client_pages.bp)  # the client's side: /p/<token>, no sign-in


def ui_language() -> str:
    """The user's choice (kept in the session), else the browser's, else Spanish."""
    chosen = session.get("ui_language")
    if chosen in UI_LANGUAGES:
        return str(chosen)
    return request.accept_languages.best_match(UI_LANGUAGES) or "es"


def _security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if response.mimetype == "text/html":
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        if not request.path.startswith("/static/"):
            headers.setdefault("Cache-Control", "no-store")
    return response


def _csrf_failed(error: CSRFError) -> tuple[str, int]:
    message = _("The form had expired or did not come from this site. "
                "Nothing was saved: go back, reload the page and try again.")
    return render_template("error.html", code=400, title=_("Form expired"),
                           message=message), 400


def _http_error(error: HTTPException) -> Response | HTTPException:
    if request.path.startswith(API_PREFIX):
        return error
    code = error.code or 500
    titles = {
        403: _("Not allowed"),
        404: _("Not found"),
        405: _("Not allowed"),
        413: _("Too large"),
        409: _("Not possible"),
        429: _("Too many attempts"),
        503: _("Temporarily unavailable"),
    }
    title = titles.get(code, _("Something went wrong"))
    # The desk's own refusals carry a description written for the user; 409 is only
    # ever raised with one (quoting.web.background).
    message = error.description if code in (403, 404, 409, 429) else ""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if code == 413 and limit:
        message = _("What was sent is too large for this site (at most %(limit)s). "
                    "Nothing was saved.", limit=input_guard.size_text(int(limit)))
    if code == 503:
        message = _("The service is temporarily unavailable. "
                    "Nothing was saved; try again in a minute.")
    response = make_response(render_template("error.html", code=code, title=title,
                                             message=message), code)
    response.headers.update({k: v for k, v in error.get_headers() if k == "Retry-After"})
    return response


def _page_globals() -> dict[str, Any]:
    return {"ui_languages": UI_LANGUAGES, "current_language": ui_language(),
            "unread_notices": notices.unread_notices}
