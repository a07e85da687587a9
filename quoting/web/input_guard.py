"""Bad input refused cheaply, before any view, database or rate-limit store sees it.

Two checks, shared by the sales desk's and the finance API's `before_request`
hooks (quoting.web.desk, quoting.web.api), which answer them in their own way
(an error page, a JSON error):

- a body larger than `MAX_CONTENT_LENGTH`, judged from its Content-Length
  header alone, so nothing of it is read (werkzeug also stops reading a body
  without one at that limit, and refuses form fields over
  `MAX_FORM_MEMORY_SIZE` and forms over `MAX_FORM_PARTS`, all with 413);
- a control character (C0 other than tab, line feed and carriage return, or
  DEL) in a query-string or form key or value (on the desk, in a path variable
  too): no field of ours takes one, and PostgreSQL refuses NUL in text (a 500
  instead of a 400).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from flask import current_app, request

CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
SHOWN_NAME_LENGTH = 60
MIB = 1024 * 1024


def body_too_large() -> bool:
    """The request announces a body over MAX_CONTENT_LENGTH (nothing is read)."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    length = request.content_length
    return limit is not None and length is not None and length > int(limit)


def size_text(size: int) -> str:
    """2097152 -> '2 MiB', 262144 -> '256 KiB', 1000 -> '1000 B'."""
    if size % MIB == 0:
        return f"{size // MIB} MiB"
    if size % 1024 == 0:
        return f"{size // 1024} KiB"
    return f"{size} B"


def field_with_control_character(*, form: bool, path: bool) -> str | None:
    """The name of the first field whose key or value holds a control character
    (the query string; with `path` the path variables; with `form` the posted form
    and file names), shown with that character escaped; None when there is none."""
    for key, value in _fields(form=form, path=path):
        if CONTROL_CHARACTER.search(key) or CONTROL_CHARACTER.search(value):
            return shown_name(key)
    return None


def shown_name(name: str) -> str:
    """A field name safe to print: control characters as \\xNN, at most 60 characters."""
    escaped = CONTROL_CHARACTER.sub(lambda match: f"\\x{ord(match.group()):02x}", name)
    return escaped[:SHOWN_NAME_LENGTH]


def _fields(*, form: bool, path: bool) -> Iterator[tuple[str, str]]:
    yield from _pairs(request.args.items(multi=True))
    if path:
        yield from _pairs((request.view_args or {}).items())
    if form and request.method not in ("GET", "HEAD", "OPTIONS"):
        yield from _pairs(request.form.items(multi=True))
        for key, upload in request.files.items(multi=True):
            yield key, upload.filename or ""


def _pairs(items: Iterable[tuple[str, object]]) -> Iterator[tuple[str, str]]:
    for key, value in items:
        yield key, value if isinstance(value, str) else ""
