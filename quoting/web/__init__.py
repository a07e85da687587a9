"""The Flask application: `create_app` builds it, blueprints hold the views.

Views only parse input, call `quoting.services` and map errors to responses;
one SQLAlchemy session per request, closed on teardown.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from quoting import paths
from quoting.store.db import make_engine, make_session_factory
from quoting.web import ratelimits

TEMPLATES = paths.TEMPLATES_DIR
# instance/ in the checkout, else in the current directory, or QUOTING_INSTANCE.
INSTANCE = paths.instance_dir()


MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Setting:
    """A setting read from the environment variable of the same name (an empty value
    counts as unset); `create_app`'s test_config still overrides it."""

    name: str
    kind: type[str] | type[int] | type[bool]
    default: str | int | bool | None
    meaning: str
    unit: str = ""  # what an integer counts, for the error message
    schemes: tuple[str, ...] = ()  # a URL's: the schemes it may have (none: any text)

    def parse(self, raw: str) -> str | int | bool:
        if self.kind is str:
            scheme = raw.strip().partition("://")[0].lower() if "://" in raw else ""
            if self.schemes and scheme not in self.schemes:
                # Only the scheme: the rest may hold a password.
                raise ValueError(f"environment variable {self.name} must start with "
                                 f"{' or '.join(s + '://' for s in self.schemes)} "
                                 f"(e.g. {self.schemes[0]}://127.0.0.1:6379/0); got "
                                 f"{'scheme ' + repr(scheme) if scheme else 'no scheme'}")
            return raw.strip() if self.schemes else raw
        text = raw.strip()
        if self.kind is bool:
            if text.lower() in ("1", "true", "yes", "on"):
                return True
            if text.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(f"environment variable {self.name} must be on or off "
                             f"(1/0, true/false, yes/no); got {raw!r}")
        if not re.fullmatch(r"[0-9]{1,18}", text) or int(text) < 1:
            raise ValueError(f"environment variable {self.name} must be a whole number of "
                             f"{self.unit}, 1 or more (digits only, e.g. {self.default}); "
                             f"got {raw!r}")
        return int(text)


# Every setting the app reads from the environment, in one place (README: Settings).
SETTINGS: tuple[Setting, ...] = (
    Setting("QUOTING_ENV", str, "development",
            "`production` makes the session and remember-me cookies Secure (HTTPS only)"),
    Setting("SECRET_KEY", str, None,
            "signs the session cookie; unset: a random key kept in instance/secret_key"),
    Setting("DATABASE_URL", str, None,
            "the database; unset: SQLite at instance/quoting.db"),
    Setting("SESSION_COOKIE_NAME", str, "quoting_session", "the sales desk's session cookie"),
    # Where rate limits are counted (quoting.web.ratelimits): redis://… to share
    # them between server processes.
    Setting("RATELIMIT_STORAGE_URI", str, ratelimits.DEFAULT_STORAGE_URI,
            "where rate limits are counted (memory:// or redis://…)"),
    Setting("RATELIMIT_KEY_PREFIX", str, ratelimits.DEFAULT_KEY_PREFIX,
            "starts every rate-limit key, so deployments can share one Redis"),
    # Requests per token per window (quoting.web.api.auth).
    Setting("API_RATE_LIMIT", int, 600, "finance API requests per token per window",
            "requests"),
    Setting("API_RATE_WINDOW_SECONDS", int, 60, "the window of API_RATE_LIMIT", "seconds"),
    # Failed sign-ins, in a moving window (quoting.web.auth).
    Setting("LOGIN_FAILURES_PER_EMAIL", int, 5, "failed sign-ins per email per window",
            "failed sign-ins"),
    Setting("LOGIN_FAILURES_PER_ADDRESS", int, 20,
            "failed sign-ins per client address per window", "failed sign-ins"),
    Setting("LOGIN_FAILURE_WINDOW_SECONDS", int, 300, "the window of the sign-in limits",
            "seconds"),
    # Request bodies: more gets 413 before it is read (quoting.web.input_guard, werkzeug).
    Setting("MAX_CONTENT_LENGTH", int, 2 * MIB, "largest request body accepted", "bytes"),
    Setting("MAX_FORM_MEMORY_SIZE", int, 256 * 1024,
            "largest text field of a multipart form post", "bytes"),
    Setting("MAX_FORM_PARTS", int, 500, "most fields in one multipart form post", "fields"),
    Setting("SALES_OWN_QUOTES_ONLY", bool, False,
            "`on`: a sales user sees and acts on their own quotes only (finance and admin "
            "see all)"),
    # Where clients reach the site: client links are PUBLIC_URL/p/<token>.
    Setting("PUBLIC_URL", str, "http://127.0.0.1:8000",
            "the site's address as clients reach it, which client links start with"),
    # Email to clients (quoting.services.outbox): SMTP at MAIL_URL, else .eml files.
    Setting("MAIL_URL", str, None,
            "the SMTP server proposals are emailed through (smtp://host:port, "
            "smtps://user:password@host:port, smtp://…?starttls=1); unset: .eml files"),
    Setting("MAIL_FROM", str, "Proposals <proposals@localhost>",
            "the From address of the emails to clients"),
    Setting("OUTBOX_DIR", str, None,
            "where emails are written as .eml files when MAIL_URL is unset; unset: "
            "instance/outbox/"),
    Setting("QUEUE_URL", str, None, "the Redis whose RQ queue `quoting worker` delivers "
            "emails from, renders the proposal PDFs and sends quotes from "
            "(redis://host:port/db, rediss://…; the desk and the workers share "
            "QUOTING_PDF_CACHE); unset: all in the request", schemes=("redis", "rediss")),
    # The seller's PAdES signature on sent proposals (quoting.signing): both or neither.
    Setting("SIGNING_CERT", str, None,
            "the seller's PEM certificate that signs sent proposals; unset (with "
            "SIGNING_KEY): proposals are sent unsigned"),
    Setting("SIGNING_KEY", str, None,
            "the unencrypted PEM private key of SIGNING_CERT"),
    # Read where the rules are loaded, by the app and every `quoting` command alike
    # (quoting.paths.rules_dir), not through this config.
    Setting("QUOTING_RULES_DIR", str, None,
            "the folder of the company's own price lists (<MARKET>/<version>.toml); "
            "unset: the example price lists that ship with the code"),
    # Operations (quoting.web.ops, quoting.logs): log lines, and who may read /metrics.
    Setting("LOG_FORMAT", str, None,
            "`json` (one JSON object a line) or `text`; unset: json when QUOTING_ENV is "
            "production, else text"),
    Setting("METRICS_TOKEN", str, None,
            "a bearer token that lets any address read /metrics; unset: none does"),
    Setting("METRICS_ALLOW_FROM", str, "127.0.0.1,::1",
            "addresses and networks (CIDR), comma-separated, that may read /metrics "
            "without the token (`none`: none)"),
)


def settings_from_environment(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Every setting's value: the environment's, else its default. A malformed
    integer raises ValueError naming the variable and what is allowed."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = environ.get(setting.name, "")
        values[setting.name] = setting.parse(raw) if raw.strip() else setting.default
    return values


def _secret_key(instance: Path) -> str:
    """A random key kept under instance/, for when SECRET_KEY is not set."""
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, template_folder=str(TEMPLATES / "web"),
                instance_path=str(INSTANCE), instance_relative_config=True)
    app.config.from_mapping(
        settings_from_environment(),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    if test_config:
        app.config.from_mapping(test_config)
    if "SESSION_COOKIE_SECURE" not in (test_config or {}):
        app.config["SESSION_COOKIE_SECURE"] = app.config["QUOTING_ENV"] == "production"
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(Path(app.instance_path))

    engine = app.config.get("ENGINE") or make_engine(app.config["DATABASE_URL"])
    app.extensions["quoting.sessions"] = make_session_factory(engine)

    @app.teardown_appcontext
    def _close_session(_error: BaseException | None) -> None:
        session: Session | None = g.pop("db_session", None)
        if session is not None:
            close_session(session)

    from quoting.web import ops  # request ids, logging, /healthz, /readyz, /metrics

    ops.init_app(app)  # first: its hooks see each request before the others
    _use_seller_signer(app)
    ratelimits.init_app(app)
    _register_blueprints(app)
    return app


def close_session(session: Session) -> None:
    """Close a request's session. The database may have gone away after the response
    was made (a restart): then the rollback inside close() fails, and that must not
    turn a finished request into an error. The broken connection is invalidated, so the
    pool replaces it."""
    try:
        session.close()
    except DBAPIError as error:
        current_app.logger.warning("database connection lost while ending the request: %s",
                                   type(error.orig).__name__)
        session.invalidate()


def _use_seller_signer(app: Flask) -> None:
    """Sign the proposals this process sends with SIGNING_CERT and SIGNING_KEY; with
    neither set they are sent unsigned (one warning). Half a pair, or files that are
    not a matching certificate and key, stop the start (ValueError naming the setting)."""
    from quoting import services, signing

    signer = signing.signer_from_settings(app.config.get("SIGNING_CERT"),
                                          app.config.get("SIGNING_KEY"))
    if signer is None:
        app.logger.warning("SIGNING_CERT and SIGNING_KEY are unset: sent proposals carry "
                           "no seller's signature")
    services.use_seller_signer(signer)


def _register_blueprints(app: Flask) -> None:
    # Each blueprint module exposes `register(app)`.
    from quoting.web import desk  # the sales desk: login, CSRF, pages (not /api/)

    desk.register(app)
    from quoting.web import dashboard  # the pipeline dashboard (finance, admin): /dashboard

    dashboard.register(app)
    from quoting.web import workbench  # home, approval inbox, notes, templates, list CSV

    workbench.register(app)
    from quoting.web import api  # the finance JSON API, /api/v1/ (bearer tokens)

    api.register(app)
    from quoting.web import pricing_tools  # compare markets, price list simulation

    pricing_tools.register(app)
    from quoting.web import delivery  # emails a request wrote go out when it ends

    delivery.register(app)
    from quoting.web import unavailable  # the database out of reach: 503, not 500

    unavailable.register(app)


def outbox_mailer(config: Mapping[str, Any], instance: Path = INSTANCE) -> Any:
    """The mailer the settings name: SMTP at MAIL_URL, else .eml files in OUTBOX_DIR
    (default instance/outbox/)."""
    from quoting.services import mailer_for

    directory = Path(config.get("OUTBOX_DIR") or instance / "outbox")
    return mailer_for(config.get("MAIL_URL"), str(config.get("MAIL_FROM")
                                                  or "Proposals <proposals@localhost>"),
                      directory, str(config.get("PUBLIC_URL") or "http://127.0.0.1:8000"))


def db_session() -> Session:
    """The request's session; views commit through the services' unit of work."""
    if "db_session" not in g:
        factory: sessionmaker[Session] = current_app.extensions["quoting.sessions"]
        g.db_session = factory()
    session: Session = g.db_session
    return session
