"""The Flask application: `create_app` builds it, blueprints hold the views.

Views only parse input, call `quoting.services` and map errors to responses;
one SQLAlchemy session per request, closed on teardown.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy.orm import Session, sessionmaker

from quoting.store.db import REPO_ROOT, make_engine, make_session_factory
from quoting.web import ratelimits

TEMPLATES = REPO_ROOT / "templates"
INSTANCE = REPO_ROOT / "instance"


def _secret_key(instance: Path) -> str:
    """SECRET_KEY from the environment, else a random key kept under instance/."""
    configured = os.environ.get("SECRET_KEY")
    if configured:
        return configured
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
        DATABASE_URL=os.environ.get("DATABASE_URL"),
        # Where rate limits are counted (quoting.web.ratelimits): redis://… to share
        # them between server processes.
        RATELIMIT_STORAGE_URI=(os.environ.get("RATELIMIT_STORAGE_URI")
                               or ratelimits.DEFAULT_STORAGE_URI),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("QUOTING_ENV") == "production",
    )
    if test_config:
        app.config.from_mapping(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(Path(app.instance_path))

    engine = app.config.get("ENGINE") or make_engine(app.config["DATABASE_URL"])
    app.extensions["quoting.sessions"] = make_session_factory(engine)

    @app.teardown_appcontext
    def _close_session(_error: BaseException | None) -> None:
        session: Session | None = g.pop("db_session", None)
        if session is not None:
            session.close()

    ratelimits.init_app(app)
    _register_blueprints(app)
    return app


def _register_blueprints(app: Flask) -> None:
    # Each blueprint module exposes `register(app)`.
    from quoting.web import desk  # the sales desk: login, CSRF, pages (not /api/)

    desk.register(app)
    from quoting.web import api  # the finance JSON API, /api/v1/ (bearer tokens)

    api.register(app)


def db_session() -> Session:
    """The request's session; views commit through the services' unit of work."""
    if "db_session" not in g:
        factory: sessionmaker[Session] = current_app.extensions["quoting.sessions"]
        g.db_session = factory()
    session: Session = g.db_session
    return session
