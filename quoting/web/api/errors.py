"""Every API failure as JSON: `{"error": {"code", "message", "field"}}` with a 4xx
status (5xx only for a fault of ours), never an HTML page."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

from quoting.errors import QuoteInputError


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None,
                 headers: dict[str, str] | None = None,
                 problems: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers or {}
        self.problems = problems


def error_response(error: ApiError) -> Response:
    body: dict[str, Any] = {"code": error.code, "message": error.message, "field": error.field}
    if error.problems:
        body["problems"] = error.problems
    response = jsonify({"error": body})
    response.status_code = error.status
    response.headers.update(error.headers)
    return response


def from_input_error(exc: QuoteInputError) -> ApiError:
    problems = [{"field": p.field, "message": p.message} for p in exc.problems]
    first = exc.problems[0] if exc.problems else None
    return ApiError(400, "invalid_parameter", str(exc), first.field if first else None,
                    problems=problems if len(problems) > 1 else None)


def from_validation_error(exc: ValidationError) -> ApiError:
    problems: list[dict[str, Any]] = []
    for item in exc.errors(include_url=False, include_input=False):
        location = ".".join(str(part) for part in item["loc"]) or None
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = "unknown parameter"
        problems.append({"field": location, "message": message})
    message = "; ".join(f"{p['field']}: {p['message']}" if p["field"] else str(p["message"])
                        for p in problems)
    return ApiError(400, "invalid_parameter", message, problems[0]["field"] if problems else None,
                    problems=problems if len(problems) > 1 else None)


HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 406: "not_acceptable", 413: "payload_too_large",
    414: "uri_too_long", 429: "rate_limited", 431: "headers_too_large",
    503: "unavailable",
}


def from_http_exception(exc: HTTPException) -> ApiError:
    status = exc.code or 500
    code = HTTP_CODES.get(status, "server_error" if status >= 500 else "http_error")
    headers = {k: v for k, v in exc.get_headers() if k.lower() not in {"content-type",
                                                                       "content-length"}}
    return ApiError(status, code, exc.description or exc.name, headers=headers)
