"""gettext for the sales desk's Python code, typed (Flask-Babel's functions return Any).

Strings are extracted into the `web` domain (babel-web.cfg) and translated under
locales/<lang>/LC_MESSAGES/web.po.
"""

from __future__ import annotations

from typing import Any

import flask_babel


def _(message: str, **variables: Any) -> str:
    return str(flask_babel.gettext(message, **variables))


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    return str(flask_babel.ngettext(singular, plural, num, **variables))
