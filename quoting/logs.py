"""Log lines that carry the request's id, as text or as JSON lines.

`install_request_id()` makes every log record carry `request_id` (the request being
served, quoting.request_context; "-" outside one), whoever logs it and whatever
handler writes it. `configure(json_lines)` gives the root logger a handler on stderr
unless someone (gunicorn's logconfig, a test runner, an embedding program) already
configured logging: then it only leaves the records their request id.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from quoting.request_context import current_request_id

LOG_FORMATS = ("json", "text")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
NO_REQUEST = "-"
# Attributes every LogRecord has: anything else was passed with `extra=` and is kept.
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message", "asctime", "request_id", "taskName"}


def json_wanted(log_format: str | None, quoting_env: str | None) -> bool:
    """JSON lines when LOG_FORMAT says json, or when it is unset in production.
    ValueError naming LOG_FORMAT for anything but json or text."""
    if log_format:
        chosen = log_format.strip().lower()
        if chosen not in LOG_FORMATS:
            raise ValueError(f"environment variable LOG_FORMAT must be json or text; "
                             f"got {log_format!r}")
        return chosen == "json"
    return (quoting_env or "").strip() == "production"


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message,
    request_id, the `extra=` fields, and the traceback as `exception`."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or current_request_id(),
            "process": record.process,
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        if entry["request_id"] in (None, NO_REQUEST):
            entry["request_id"] = None
        return json.dumps(entry, ensure_ascii=False, default=str)


def formatter(json_lines: bool) -> logging.Formatter:
    return JsonFormatter() if json_lines else logging.Formatter(TEXT_FORMAT)


_installed_factory: Any = None


def install_request_id() -> None:
    """Every LogRecord made from now on carries `request_id` (idempotent)."""
    global _installed_factory
    current = logging.getLogRecordFactory()
    if current is _installed_factory:
        return
    previous = current

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id() or NO_REQUEST
        return record

    _installed_factory = factory
    logging.setLogRecordFactory(factory)


def configure(json_lines: bool, level: int = logging.INFO) -> bool:
    """Records carry their request id; and, if nothing configured logging yet, the root
    logger writes them to stderr (JSON lines or text). True if it added that handler."""
    install_request_id()
    root = logging.getLogger()
    if root.handlers:
        return False
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(json_lines))
    root.addHandler(handler)
    root.setLevel(level)
    return True
