"""Flask extensions shared by the blueprints, created once and bound in `init_app`.

`csrf` protects the browser's forms. The pages check it themselves (see
`quoting.web.desk`) for every path outside `/api/`, so a bearer-token API
needs no exemption; `csrf.exempt(blueprint)` still works for anything else
that must opt out.
"""

from __future__ import annotations

from flask_babel import Babel
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()
