"""The id of the request being served, for log lines and the audit trail.

The web layer (quoting.web.ops) sets it when a request starts and resets it when the
request ends; services and log formatters only read it, so they stay free of Flask.
Outside a request (the CLI, a worker's job) there is none.
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar, Token

# A caller's X-Request-ID is kept only when it is this: short, and nothing that could
# forge a log line or a header.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

_request_id: ContextVar[str | None] = ContextVar("quoting_request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request this code runs for, or None outside a request."""
    return _request_id.get()


def request_id_from(header: str | None) -> str:
    """The caller's id if it is sane (at most 64 of A-Z a-z 0-9 . _ -), else a new one."""
    if header is not None and SANE_REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


def set_request_id(request_id: str | None) -> Token[str | None]:
    return _request_id.set(request_id)


def reset_request_id(token: Token[str | None]) -> None:
    _request_id.reset(token)
