"""Nothing typed in the quote form is lost (a hook of the quotes blueprint): when the
session has ended (signed out in another tab, expired) or the form's CSRF token no
longer matches, saving keeps every submitted value.

- Signed out: a page keeps the whole form in hidden fields and asks to sign in again
  in place; signing in there goes on with the save exactly as it was asked for.
- Still signed in but the token expired: the form comes back with what was typed, a
  fresh token and a notice that nothing was saved yet.
"""

from __future__ import annotations

from flask import flash, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.wrappers import Response as BaseResponse

from quoting.web import auth
from quoting.web.extensions import csrf
from quoting.web.forms import QuoteForm
from quoting.web.guards import KEEPS_TYPED_WORK, csrf_checked
from quoting.web.quotes import _render_form, bp, load_quote, seen_revision
from quoting.web.text import _

# Fields of the sign-in box of the kept page; never part of the quote.
RELOGIN_FIELDS = ("relogin_email", "relogin_password")
NOT_KEPT = ("csrf_token", *RELOGIN_FIELDS)


@bp.before_request
def keep_typed_work() -> BaseResponse | tuple[str, int] | None:
    if request.method != "POST" or request.endpoint not in KEEPS_TYPED_WORK:
        return None
    if not current_user.is_authenticated:
        return _signed_out()
    try:
        if csrf_checked():
            csrf.protect()
    except CSRFError:
        return _expired()
    return None


def _signed_out() -> tuple[str, int] | None:
    problem = ""
    email = request.form.get("relogin_email", "")
    if email:
        try:
            if csrf_checked():
                csrf.protect()  # the token of the kept page itself
        except CSRFError:
            problem = _("The page had expired: sign in again below.")
        else:
            refused = auth.sign_in_again(email, request.form.get("relogin_password", ""))
            if refused is None:
                return None  # signed in: the save goes on as it was asked for
            problem = refused
    kept = [(name, value) for name, value in request.form.items(multi=True)
            if name not in NOT_KEPT]
    return render_template("quotes/kept.html", kept=kept, problem=problem, email=email,
                           client=request.form.get("client_name", ""),
                           number=(request.view_args or {}).get("number")), 401


def _expired() -> tuple[str, int]:
    form = QuoteForm.from_form(request.form)
    number = (request.view_args or {}).get("number")
    quote = load_quote(str(number)) if number else None
    if quote is not None:
        form.market = quote.market
    flash(_("This form had expired, so nothing was saved yet. What you typed is below: "
            "check it and save again."), "error")
    return _render_form(form, quote=quote, seen_revision=seen_revision()), 400
