"""The finance JSON API under /api/v1/: bearer tokens, JSON errors, OpenAPI.

`register(app)` builds the blueprint from the route table (quoting.web.api.routes).
The sales pages' cookie login and CSRF checks skip /api/ (quoting.web.desk);
this blueprint reads no cookie and sets none.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app, request
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException, default_exceptions

from quoting.errors import QuoteInputError
from quoting.store.errors import NotFound, ServiceError
from quoting.web import input_guard
from quoting.web.api.auth import guarded
from quoting.web.api.errors import (
    ApiError,
    error_response,
    from_http_exception,
    from_input_error,
    from_validation_error,
)
from quoting.web.api.openapi import build_document
from quoting.web.api.routes import ENDPOINTS, PREFIX

API_PREFIX = "/api/"


def build_blueprint() -> Blueprint:
    bp = Blueprint("api_v1", __name__, url_prefix=PREFIX)
    for endpoint in ENDPOINTS:
        view = endpoint.view if endpoint.scope is None else guarded(
            endpoint.scope, endpoint.name, endpoint.view)
        bp.add_url_rule(endpoint.rule, endpoint.name, view, methods=["GET"])

    @bp.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> Response:
        return error_response(exc)

    @bp.errorhandler(QuoteInputError)
    def _input_error(exc: QuoteInputError) -> Response:
        return error_response(from_input_error(exc))

    @bp.errorhandler(ValidationError)
    def _validation_error(exc: ValidationError) -> Response:
        return error_response(from_validation_error(exc))

    @bp.errorhandler(NotFound)
    def _not_found(exc: NotFound) -> Response:
        return error_response(ApiError(404, "not_found", str(exc)))

    @bp.errorhandler(ServiceError)
    def _refused(exc: ServiceError) -> Response:
        # The refusal's own code (stale_revision, not_sent...), as the desk maps it.
        return error_response(ApiError(409, exc.code, str(exc)))

    @bp.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        return error_response(from_http_exception(exc))

    return bp


def _refuse_hostile_input() -> Response | None:
    """Under /api/, before the token is even looked up: 413 for a body over
    MAX_CONTENT_LENGTH (judged from Content-Length, nothing read), 400
    `invalid_parameter` for a control character in a query parameter's name or
    value (PostgreSQL refuses NUL in text; no filter takes a control character).
    Path variables are the views' own: a malformed quote number is a 404 there."""
    if not request.path.startswith(API_PREFIX):
        return None
    if input_guard.body_too_large():
        limit = int(current_app.config["MAX_CONTENT_LENGTH"])
        return error_response(ApiError(
            413, "payload_too_large", f"the request body ({request.content_length} bytes) "
            f"is larger than the {limit} bytes accepted (and the API reads no body)"))
    field = input_guard.field_with_control_character(form=False, path=False)
    if field is None:
        return None
    return error_response(ApiError(
        400, "invalid_parameter", f"{field}: control characters (such as NUL) are not "
        f"allowed in a parameter's name or value", field))


def _json_errors_only(response: Response) -> Response:
    """Under /api/: no HTML error page (unknown paths, wrong methods, faults
    handled elsewhere), no cookie, no caching of data."""
    if not request.path.startswith(API_PREFIX):
        return response
    if response.status_code >= 400 and response.mimetype != "application/json":
        status = response.status_code
        if status in default_exceptions:
            exc: HTTPException = default_exceptions[status]()
        else:
            exc = HTTPException(description="the server could not answer")
            exc.code = status
        error = from_http_exception(exc)
        replacement = error_response(error)
        replacement.status_code = status
        for name in ("Allow", "Retry-After", "WWW-Authenticate"):
            if name in response.headers:
                replacement.headers[name] = response.headers[name]
        response = replacement
    if "Set-Cookie" in response.headers:
        del response.headers["Set-Cookie"]
    response.headers["Cache-Control"] = "no-store"
    return response


def register(app: Flask) -> None:
    # These two hooks are the app's, not the blueprint's: an unknown /api/ URL matches
    # no route of the blueprint, and must still answer JSON (and refuse a huge body).
    # API_RATE_LIMIT and API_RATE_WINDOW_SECONDS (requests per token, counted in
    # RATELIMIT_STORAGE_URI) come from the environment through quoting.web.SETTINGS.
    app.extensions["quoting.api_openapi"] = build_document()
    app.register_blueprint(build_blueprint())
    app.before_request(_refuse_hostile_input)
    app.after_request(_json_errors_only)
