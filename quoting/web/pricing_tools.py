"""Pricing tools of the desk: one scope compared across markets (from a quote's page
or from the quote form), and, for finance and admin, stored quotes re-priced under a
candidate price list (quoting.services.compare and quoting.services.simulation).

Both only read. An uploaded candidate is kept under the instance folder by its
SHA-256 (`pricing-candidates/<sha256>.toml`), so the result page and its CSV are
plain GET addresses that name the file without the desk storing anything in the
database.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from quoting import paths, services
from quoting.errors import QuoteInputError, RulesError
from quoting.rules import RulesVersion
from quoting.services import compare as comparing
from quoting.services import simulation
from quoting.store.models import QuoteStatus, Role
from quoting.web import db_session
from quoting.web.auth import signed_in
from quoting.web.charts import Style, pygal
from quoting.web.formatting import MARKET_NAMES, STATUS_LABELS, market_locale, money, number
from quoting.web.forms import QuoteForm, field_errors
from quoting.web.guards import guard
from quoting.web.quotes import load_quote
from quoting.web.text import _

bp = guard(Blueprint("pricing_tools", __name__))

TOP_QUOTES = 50
UPLOAD_PREFIX = "upload:"
_SHA256 = re.compile(r"[0-9a-f]{64}")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# Currencies a comparison may be converted to: those the markets quote in.
TARGET_CURRENCIES = ("USD", "EUR", "ARS", "MXN", "CLP", "COP", "PEN")
BUCKET_LABELS = {"<-20": "< −20 %", "[-20,-10)": "−20…−10 %", "[-10,-5)": "−10…−5 %",
                 "[-5,0)": "−5…0 %", "0": "0 %", "(0,5)": "0…5 %", "[5,10)": "5…10 %",
                 "[10,20)": "10…20 %", ">=20": "≥ 20 %"}


# ---------------------------------------------------------------- compare markets


def _all_markets() -> list[str]:
    return [market.value for market in services.default_rulebook().markets]


def _compare_choices() -> tuple[list[str], str | None, dict[str, str]]:
    """The markets and target currency asked for (query string or form), with problems."""
    values = request.values
    chosen = [m.strip().upper() for m in values.getlist("markets") if m.strip()]
    errors: dict[str, str] = {}
    markets = _all_markets()
    if chosen:
        unknown = [code for code in chosen if code not in markets]
        if unknown:
            errors["markets"] = _("Unknown market: %(codes)s.", codes=", ".join(unknown))
        else:
            markets = [code for code in markets if code in chosen]
    target = values.get("in", "").strip().upper() or None
    if target is not None and target not in TARGET_CURRENCIES:
        errors["in"] = _("Choose a currency from the list.")
        target = None
    return markets, target, errors


def _compare_page(scope: dict[str, Any], *, quote: Any = None,
                  status: int = 200) -> tuple[str, int]:
    markets, target, errors = _compare_choices()
    rows: list[dict[str, Any]] = []
    result = None
    if not errors:
        result = comparing.compare_markets(
            scope, markets, services.default_rulebook(), target=target,
            rates=comparing.stored_rates(db_session()) if target else None)
        rows = [_compare_row(entry, target) for entry in result.markets]
        db_session().rollback()  # read only: nothing to keep
    return render_template(
        "pricing/compare.html", quote=quote, rows=rows, result=result, errors=errors,
        all_markets=_all_markets(), chosen=markets, target=target,
        currencies=TARGET_CURRENCIES, scope_json=json.dumps(scope, ensure_ascii=False),
    ), status


def _compare_row(entry: comparing.MarketPrice, target: str | None) -> dict[str, Any]:
    market = entry.market
    priced = entry.priced
    if priced is None:
        # Said as the quote form says them, in the interface language.
        form = QuoteForm()
        form.market = market
        return {"market": market, "priced": False,
                "problems": list(dict.fromkeys(
                    field_errors(list(entry.problems), form).values()))}
    program, licenses = priced.program, priced.licenses
    converted = entry.converted
    return {
        "market": market, "priced": True, "rules_version": priced.rules_version,
        "quote_date": priced.quote_date,
        "program_currency": program.currency,
        "program_net": money(program.net.amount, program.currency, market),
        "program_tax": money(program.tax.amount, program.currency, market),
        "program_total": money(program.total.amount, program.currency, market),
        "license_currency": licenses.currency,
        "license_total": money(licenses.total.amount, licenses.currency, market),
        "has_licenses": bool(licenses.lines),
        "requires_approval": priced.requires_approval,
        "converted_total": (money(converted.total, target, market)
                            if converted is not None and converted.total is not None
                            and target else None),
    }


@bp.route("/quotes/<number>/compare")
def compare_quote(number: str) -> tuple[str, int]:
    """The current revision's scope priced in every market (or those asked for)."""
    quote = load_quote(number)
    scope = services.current_revision(quote).request
    return _compare_page(dict(scope), quote=quote)


@bp.route("/quotes/form/compare", methods=["POST"])
def compare_form() -> tuple[str, int]:
    """The quote form as typed, priced in every market: posted by the form's Compare
    markets button, and again (as `scope`) by this page's own market and currency choice."""
    carried = request.form.get("scope", "")
    if carried:
        try:
            scope = json.loads(carried)
        except ValueError:
            scope = None
        if not isinstance(scope, dict):
            abort(400)
    else:
        scope = QuoteForm.from_form(request.form).to_request()
    return _compare_page(scope)


# ---------------------------------------------------------------- simulation


def _manager() -> None:
    if signed_in().role not in (Role.FINANCE, Role.ADMIN):
        abort(403, description=_("Only finance and admin can simulate price lists."))


def _candidates_dir() -> Path:
    return Path(current_app.instance_path) / "pricing-candidates"


def _rules_files() -> list[str]:
    root = paths.rules_dir()
    return sorted(str(path.relative_to(root)) for path in root.glob("*/*.toml"))


def _load_candidate(name: str) -> RulesVersion:
    """A file picked from the price lists, or an upload kept by its SHA-256."""
    if name.startswith(UPLOAD_PREFIX):
        digest = name[len(UPLOAD_PREFIX):]
        path = _candidates_dir() / f"{digest}.toml"
        if not _SHA256.fullmatch(digest) or not path.is_file():
            raise RulesError(_("That uploaded file is no longer here: upload it again."))
        return simulation.candidate_from_bytes(path.read_bytes(), _("uploaded file"))
    if name not in _rules_files():  # only the listed files, never a path typed in
        raise RulesError(_("Choose a price list from the list or upload a file."))
    return simulation.candidate_from_file(paths.rules_dir() / name)


def _day(name: str, errors: dict[str, str]) -> date | None:
    value = request.values.get(name, "").strip()
    if not value:
        errors[name] = _("Give a date.")
        return None
    try:
        if not ISO_DATE.fullmatch(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        errors[name] = _("Write the date as YYYY-MM-DD.")
        return None


def _form_values() -> dict[str, Any]:
    values = request.values
    return {"candidate": values.get("candidate", ""), "from": values.get("from", ""),
            "to": values.get("to", ""),
            "status": values.getlist("status") or ["sent", "accepted"]}


def _simulate_page(errors: dict[str, str] | None = None, status: int = 200,
                   report: simulation.SimulationReport | None = None) -> tuple[str, int]:
    context: dict[str, Any] = {
        "errors": errors or {}, "form": _form_values(), "rules_files": _rules_files(),
        "statuses": [s.value for s in QuoteStatus if s is not QuoteStatus.DELETED],
        "report": None,
    }
    if report is not None:
        context["form"]["status"] = list(report.query.statuses)  # what was simulated
        context.update(_report_view(report))
    return render_template("pricing/simulate.html", **context), status


def _run() -> tuple[simulation.SimulationReport | None, dict[str, str]]:
    errors: dict[str, str] = {}
    name = request.values.get("candidate", "")
    candidate = None
    try:
        candidate = _load_candidate(name)
    except RulesError as exc:
        errors["candidate"] = str(exc)
    date_from, date_to = _day("from", errors), _day("to", errors)
    query = None
    if date_from is not None and date_to is not None:
        try:
            query = simulation.make_query(date_from, date_to, request.values.getlist("status"))
        except QuoteInputError as exc:
            for problem in exc.problems:
                errors[problem.field] = (_("The period ends before it starts.")
                                         if problem.field == "to" else problem.message)
    if errors or candidate is None or query is None:
        return None, errors
    engine = db_session().get_bind()
    with simulation.read_only_session(engine) as session:  # type: ignore[arg-type]
        return simulation.simulate(session, candidate, query), {}


@bp.route("/pricing/simulate", methods=["GET", "POST"])
def simulate() -> BaseResponse | tuple[str, int]:
    _manager()
    if request.method == "POST":
        upload = request.files.get("upload")
        args: dict[str, Any] = {"from": request.form.get("from", ""),
                                "to": request.form.get("to", ""),
                                "status": request.form.getlist("status"),
                                "candidate": request.form.get("candidate", "")}
        if upload is not None and upload.filename:
            try:
                args["candidate"] = _keep_upload(upload.filename, upload.stream)
            except RulesError as exc:
                return _simulate_page({"upload": str(exc)}, 422)
        return redirect(url_for("pricing_tools.simulate", **args))
    if not request.args.get("candidate"):
        return _simulate_page()
    report, errors = _run()
    if report is None:
        return _simulate_page(errors, 422)
    return _simulate_page(report=report)


def _keep_upload(filename: str, stream: Any) -> str:
    """Validate an uploaded candidate (.toml, at most 256 KiB, a valid rules file) and
    keep it by its SHA-256; the name the result page uses for it."""
    shown = Path(filename).name
    if not shown.lower().endswith(".toml"):
        raise RulesError(_("%(name)s: choose a .toml rules file.", name=shown))
    content = stream.read(simulation.MAX_CANDIDATE_BYTES + 1)
    if len(content) > simulation.MAX_CANDIDATE_BYTES:
        raise RulesError(_("%(name)s: the file is larger than 256 KiB.", name=shown))
    simulation.candidate_from_bytes(content, shown)  # refused here naming file and field
    digest = hashlib.sha256(content).hexdigest()
    folder = _candidates_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{digest}.toml"
    if not path.exists():
        path.write_bytes(content)
    return UPLOAD_PREFIX + digest


@bp.route("/pricing/simulate.csv")
def simulate_csv() -> BaseResponse | tuple[str, int]:
    _manager()
    report, errors = _run()
    if report is None:
        return _simulate_page(errors, 422)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(simulation.CSV_COLUMNS)
    writer.writerows(simulation.csv_row(change) for change in report.changes)
    name = f"simulation-{report.candidate_version}-{report.query.date_from}-" \
           f"{report.query.date_to}.csv"
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _report_view(report: simulation.SimulationReport) -> dict[str, Any]:
    market = report.market
    summary = report.summary()

    def fmt(amount: Decimal | None, currency: str) -> str:
        return "—" if amount is None else money(amount, currency, market)

    def pct(value: Decimal | str | None) -> str:
        if value is None:
            return "—"
        figure = Decimal(value)
        sign = "+" if figure > 0 else ""
        return f"{sign}{number(figure, market)} %"

    def totals(key: str) -> list[dict[str, str]]:
        return [{"currency": currency, "old": fmt(Decimal(t["old"]), currency),
                 "new": fmt(Decimal(t["new"]), currency),
                 "difference": fmt(Decimal(t["difference"]), currency),
                 "percent": pct(t["percent"])}
                for currency, t in summary[key].items()]

    def row(change: simulation.QuoteChange) -> dict[str, Any]:
        return {
            "number": change.number, "status": change.status, "date": change.quote_date,
            "program_currency": change.program_currency,
            "old_program": fmt(change.old_program, change.program_currency),
            "new_program": fmt(change.new_program, change.program_currency),
            "program_difference": fmt(change.program_difference, change.program_currency),
            "program_percent": pct(change.program_percent),
            "license_currency": change.license_currency,
            "old_licenses": fmt(change.old_licenses, change.license_currency),
            "new_licenses": fmt(change.new_licenses, change.license_currency),
            "license_percent": pct(change.license_percent),
            "crossing": change.approval_crossing,
            "problem": _problem_text(change, market) if change.problem else None,
        }

    distribution = [{"label": BUCKET_LABELS[d["bucket"]], "program": d["program"],
                     "licenses": d["licenses"]} for d in summary["distribution"]]
    return {
        "report": report, "summary": summary,
        "program_totals": totals("program_totals"),
        "license_totals": totals("license_totals"),
        "accepted_revenue": totals("accepted_revenue"),
        "top": [row(c) for c in report.largest_changes(TOP_QUOTES) if c.problem is None],
        "unpriced": [row(c) for c in report.unpriced[:TOP_QUOTES]],
        "crossings": [row(c) for c in report.crossings[:TOP_QUOTES]],
        "distribution": distribution,
        "histogram": _histogram(distribution),
        "market_name": MARKET_NAMES.get(market, market),
        "status_names": [str(STATUS_LABELS.get(s, s)) for s in report.query.statuses],
        "csv_url": url_for("pricing_tools.simulate_csv", **{  # type: ignore[arg-type]
            "candidate": request.args.get("candidate", ""),
            "from": report.query.date_from.isoformat(),
            "to": report.query.date_to.isoformat(), "status": list(report.query.statuses)}),
        "top_count": TOP_QUOTES, "locale": market_locale(market),
    }


_UNKNOWN_PRODUCT = re.compile(r"unknown license product '([^']*)'")


def _problem_text(change: simulation.QuoteChange, market: str) -> str:
    """Why the candidate cannot price a quote, in the interface language; a stored
    request that no longer reads at all keeps the validator's own words."""
    if not change.problems:
        return _("The stored request cannot be read: %(detail)s", detail=change.problem or "")
    form = QuoteForm()
    form.market = market
    said = []
    for problem in change.problems:
        product = _UNKNOWN_PRODUCT.search(problem.message)
        if problem.code == "currency_changed":
            params = dict(problem.params)
            said.append(_("The candidate prices it in %(new)s; it was quoted in %(old)s.",
                          new=params["new"], old=params["old"]))
        elif product is not None:
            said.append(_("The candidate does not offer the license product %(product)s.",
                          product=product.group(1)))
        else:
            said.extend(field_errors([problem], form).values())
    return " ".join(dict.fromkeys(said))


def _histogram(distribution: list[dict[str, Any]]) -> str:
    """The distribution as an SVG bar chart drawn here (pygal, no script), as a data:
    URI for an <img> (the page's Content-Security-Policy allows data: images only)."""
    style = Style(background="white", plot_background="white", foreground="#334155",
                  foreground_strong="#0f172a", foreground_subtle="#cbd5e1",
                  colors=("#2563eb", "#f59e0b"), font_family="sans-serif",
                  label_font_size=14, major_label_font_size=14, legend_font_size=15,
                  value_font_size=13, title_font_size=16)
    chart = pygal.Bar(style=style, width=900, height=340, js=[], legend_at_bottom=True,
                      print_values=False, show_y_guides=True, x_label_rotation=0,
                      truncate_label=-1, margin=16, min_scale=4, max_scale=8)
    chart.x_labels = [d["label"] for d in distribution]
    chart.add(_("Program"), [d["program"] for d in distribution])
    chart.add(_("Licenses"), [d["licenses"] for d in distribution])
    svg = str(chart.render(is_unicode=True)).encode("utf-8")
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def register(app: Any) -> None:
    app.register_blueprint(bp)
