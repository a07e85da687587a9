"""The pipeline dashboard for finance and admin (`/dashboard`): parses the filters,
asks quoting.services.pipeline and exchange_drift for the figures, and renders them as charts (SVG
drawn here with pygal, embedded in the page as images: no script, nothing fetched
from another host) with the same numbers in a table beside each chart."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent
from flask import Blueprint, Flask, abort, render_template, request
from pygal.etree import etree
from werkzeug.datastructures import MultiDict

from quoting import services
from quoting.errors import QuoteInputError
from quoting.money import is_known_currency
from quoting.services import exchange_drift, pipeline
from quoting.store.models import Role, User
from quoting.web import db_session
from quoting.web.api.pipeline import drift_default
from quoting.web.auth import signed_in
from quoting.web.charts import Style, pygal
from quoting.web.desk import ui_language
from quoting.web.formatting import MARKET_NAMES, STATUS_LABELS
from quoting.web.guards import guard
from quoting.web.quotes import MARKETS, own_quotes_only
from quoting.web.text import _

bp = guard(Blueprint("dashboard", __name__))


def register(app: Flask) -> None:
    app.register_blueprint(bp)

VIEWERS = frozenset({Role.FINANCE, Role.ADMIN})
# Numbers and dates in the interface language's format (Portuguese: Brazil's).
UI_LOCALES = {"es": "es", "en": "en", "pt": "pt_BR"}
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
CHART_STYLE = Style(
    font_family='system-ui, "Segoe UI", Roboto, "Noto Sans", Arial, sans-serif',
    background="#ffffff", plot_background="#ffffff", foreground="#17202e",
    foreground_strong="#17202e", foreground_subtle="#6b7686", opacity=".9",
    opacity_hover=".9", transition="0ms",
    colors=("#2448c8", "#177a4a", "#9a5b00", "#b42318", "#6b7686", "#1b379c"),
    title_font_size=15, label_font_size=12, major_label_font_size=12,
    value_font_size=12, legend_font_size=12, no_data_font_size=18,
)


@dataclass(slots=True)
class DashboardForm:
    """What the filter form shows back, as typed, and the problems found in it."""

    date_from: str = ""
    date_to: str = ""
    market: str = ""
    owner: str = ""
    convert_to: str = ""
    expiring_days: str = str(pipeline.DEFAULT_EXPIRING_DAYS)
    threshold: str = ""
    problems: dict[str, str] = field(default_factory=dict)


def _viewer() -> User:
    user = signed_in()
    if user.role not in VIEWERS:
        abort(403, description=_("Only finance and admin can see the pipeline dashboard."))
    return user


def _parse(args: MultiDict[str, str]) -> tuple[DashboardForm, dict[str, Any]]:
    """The form as typed and the parsed values; a problem per field, in words."""
    form = DashboardForm(
        date_from=args.get("from", "").strip()[:10], date_to=args.get("to", "").strip()[:10],
        market=args.get("market", "").strip().upper()[:2],
        owner=args.get("owner", "").strip()[:254],
        convert_to=args.get("in", "").strip().upper()[:3],
        expiring_days=args.get("days", "").strip()[:3] or str(pipeline.DEFAULT_EXPIRING_DAYS),
        threshold=args.get("threshold", "").strip()[:8] or str(drift_default()),
    )
    values: dict[str, Any] = {}
    for name, text in (("from", form.date_from), ("to", form.date_to)):
        values[name] = None
        if text:
            try:
                if not ISO_DATE.fullmatch(text):
                    raise ValueError(text)
                values[name] = date.fromisoformat(text)
            except ValueError:
                form.problems[name] = _("Dates look like 2026-11-25.")
    if form.market and form.market not in MARKETS:
        form.problems["market"] = _("Choose a market from the list.")
    if form.convert_to and not is_known_currency(form.convert_to):
        form.problems["in"] = _("Unknown currency: give a code like USD.")
    days = int(form.expiring_days) if form.expiring_days.isdigit() else 0
    if not 1 <= days <= pipeline.MAX_EXPIRING_DAYS:
        form.problems["days"] = _("Give a whole number of days from 1 to %(max)s.",
                                  max=pipeline.MAX_EXPIRING_DAYS)
    values["days"] = days
    try:
        threshold = Decimal(form.threshold.replace(",", "."))
        if not threshold.is_finite() or not 0 <= threshold <= exchange_drift.MAX_DRIFT_PERCENT:
            raise InvalidOperation
        values["threshold"] = threshold
    except InvalidOperation:
        form.problems["threshold"] = _("Give a percentage from 0 to %(max)s.",
                                       max=exchange_drift.MAX_DRIFT_PERCENT)
    return form, values


# Field problems found by the service, worded for the desk (never its English message).
SERVICE_PROBLEMS = {
    "to": lambda: _("The period ends before it starts."),
    "owner": lambda: _("No user has this email."),
    "in": lambda: _("Unknown currency: give a code like USD."),
}


@bp.route("/dashboard")
def index() -> tuple[str, int]:
    user = _viewer()
    session = db_session()
    form, values = _parse(request.args)
    report = drift = None
    if not form.problems:
        filters = pipeline.PipelineFilters(
            date_from=values["from"], date_to=values["to"], market=form.market or None,
            owner_email=form.owner or None,
            owner_id=services.owner_restriction(user, own_quotes_only=own_quotes_only()))
        try:
            report = pipeline.pipeline(session, filters, convert_to=form.convert_to or None,
                                       expiring_days=values["days"])
            drift = exchange_drift.exchange_drift(session, filters,
                                            threshold_percent=values["threshold"])
        except QuoteInputError as exc:
            for problem in exc.problems:
                word = SERVICE_PROBLEMS.get(problem.field)
                form.problems[problem.field] = word() if word else problem.message
            report = drift = None
    page = DashboardPage(UI_LOCALES.get(ui_language(), "es"))
    return render_template(
        "dashboard.html", form=form, markets=MARKETS,
        owners=services.list_users(session),
        report=report and page.report(report), drift=drift and page.drift(drift),
    ), 400 if form.problems else 200


# ---------------------------------------------------------------- what the page shows


class DashboardPage:
    """Turns the service's figures into the page's words, numbers and charts in the
    interface language."""

    def __init__(self, locale: str) -> None:
        self.locale = locale

    # Numbers -----------------------------------------------------------------------
    def count(self, value: int) -> str:
        return str(format_decimal(value, locale=self.locale))

    def money(self, amount: str, currency: str) -> str:
        return str(format_currency(Decimal(amount), currency, format="#,##0.00\xa0¤¤",
                                   locale=self.locale, currency_digits=True))

    def money_lines(self, amounts: list[dict[str, str]]) -> list[str]:
        return [self.money(m["amount"], m["currency"]) for m in amounts]

    def month(self, key: str) -> str:
        year, number = (int(part) for part in key.split("-"))
        return str(format_date(date(year, number, 1), "MMM y", locale=self.locale))

    def day(self, iso: str | None) -> str:
        if not iso:
            return ""
        return str(format_date(date.fromisoformat(iso), "medium", locale=self.locale))

    def label(self, dimension: str, row: dict[str, Any]) -> str:
        key = str(row["key"])
        if dimension == "status":
            return str(STATUS_LABELS.get(key, key))
        if dimension == "market":
            return f"{key} · {MARKET_NAMES.get(key, key)}"
        if dimension == "month":
            return self.month(key)
        return str(row.get("name") or key)

    # Charts ------------------------------------------------------------------------
    def chart(self, title: str, labels: list[str], values: list[int | Decimal],
              *, horizontal: bool = False, money: str | None = None) -> dict[str, str]:
        """An SVG bar chart as a data: URI for an <img>, with its alternative text.

        The SVG carries its <title> and a <desc>; pygal's own script (which needs its
        JavaScript from a CDN) is removed: the table beside it gives every number."""
        config = pygal.Config()
        config.js = []  # no script from pygal's CDN
        config.disable_xml_declaration = True
        kind = pygal.HorizontalBar if horizontal else pygal.Bar
        chart = kind(config, title=title, style=CHART_STYLE, show_legend=False,
                     width=640, height=max(260, 34 * len(labels) + 90) if horizontal else 300,
                     print_values=True, print_values_position="top",
                     value_formatter=(lambda v: self._chart_money(v, money)) if money
                     else self._chart_count,
                     no_data_text=_("No quotes"), x_label_rotation=0 if horizontal or
                     len(labels) <= 6 else 30, truncate_label=-1, margin=12)
        # pygal draws with floats; the amounts shown are the table's Decimals. A
        # horizontal chart draws its first bar at the bottom: reversed, it reads like
        # the table, top down.
        points = [float(v) for v in values]
        chart.x_labels = labels[::-1] if horizontal else labels
        chart.add(title, points[::-1] if horizontal else points)
        root = chart.render_tree()
        description = _("%(title)s: the numbers are in the table beside the chart.",
                        title=title)
        for parent in list(root.iter()):
            for child in list(parent):
                tag = child.tag if isinstance(child.tag, str) else ""
                if tag.endswith("script") or not tag:  # scripts and comments
                    parent.remove(child)
        title_node = next(node for node in root if node.tag.endswith("title"))
        desc = etree.Element("desc")
        desc.text = description
        root.insert(list(root).index(title_node) + 1, desc)
        root.set("role", "img")
        svg = etree.tostring(root, encoding="unicode")
        encoded = base64.b64encode(svg.encode("utf-8")).decode("ascii")
        return {"src": f"data:image/svg+xml;base64,{encoded}", "alt": description,
                "title": title}

    def _chart_count(self, value: float | None) -> str:
        return "" if value is None else self.count(round(value))

    def _chart_money(self, value: float | None, currency: str | None) -> str:
        if value is None or currency is None:
            return ""
        return str(format_decimal(round(value), locale=self.locale))

    # Sections ----------------------------------------------------------------------
    def report(self, report: dict[str, Any]) -> dict[str, Any]:
        convert_to = report["filters"]["in"]
        titles = {"status": _("Quotes by status"), "market": _("Quotes by market"),
                  "owner": _("Quotes by owner"), "month": _("Quotes by month")}
        sections = []
        for dimension in ("status", "month", "market", "owner"):
            rows = report[f"by_{dimension}"]
            labels = [self.label(dimension, row) for row in rows]
            sections.append({
                "id": dimension, "title": titles[dimension],
                "chart": self.chart(titles[dimension], labels, [r["count"] for r in rows],
                                    horizontal=dimension != "month"),
                "rows": [{"label": label, "count": self.count(row["count"]),
                          "program": self.money_lines(row["program_totals"]),
                          "licenses": self.money_lines(row["license_totals"]),
                          "converted": self.money(row["converted_total"], convert_to)
                          if convert_to else None,
                          "not_converted": ", ".join(row.get("not_converted") or [])}
                         for label, row in zip(labels, rows, strict=True)],
            })
        converted = report["converted"]
        converted_chart = None
        if converted:
            months = report["by_month"]
            title = _("Amount by month in %(currency)s", currency=convert_to)
            converted_chart = self.chart(
                title, [self.month(r["key"]) for r in months],
                [Decimal(r["converted_total"]) for r in months], money=convert_to)
        discounts = report["discounts"]
        discount_labels = [self._discount_label(b) for b in discounts]
        win = report["win_rate"]
        days = report["days_to_accept"]
        expiring = report["expiring"]
        return {
            "count": self.count(report["count"]),
            "program_totals": self.money_lines(report["program_totals"]),
            "license_totals": self.money_lines(report["license_totals"]),
            "sections": sections,
            "convert_to": convert_to,
            "converted": converted and {
                "total": self.money(converted["total"], convert_to),
                "chart": converted_chart,
                "rates": [{**rate, "date": self.day(rate["date"])}
                          for rate in converted["rates_used"]],
                "unconverted": [{**item, "amount": self.money(item["amount"],
                                                              item["currency"]),
                                 "section": _("Program") if item["section"] == "program"
                                 else _("Licenses")}
                                for item in converted["unconverted"]],
            },
            "win_rate": {
                "rate": str(format_percent(Decimal(win["rate"]), format="#,##0.0%",
                                           locale=self.locale)) if win["rate"] else "—",
                "accepted": self.count(win["accepted"]),
                "declined": self.count(win["declined"]),
                "expired": self.count(win["expired"]),
            },
            "days_to_accept": {
                "median": str(format_decimal(Decimal(days["median"]), locale=self.locale))
                if days["median"] else "—",
                "count": days["count"],
            },
            "discounts": {
                "chart": self.chart(_("Quotes by discount"), discount_labels,
                                    [b["count"] for b in discounts], horizontal=True),
                "rows": [{"label": label, "count": self.count(b["count"])}
                         for label, b in zip(discount_labels, discounts, strict=True)],
            },
            "expiring": {
                "days": expiring["days"], "count": expiring["count"],
                "until": self.day(expiring["until"]),
                "quotes": [{**item, "valid_until": self.day(item["valid_until"]),
                           "total": self.money(item["program_total"]["amount"],
                                               item["program_total"]["currency"])}
                          for item in expiring["items"]],
            },
        }

    def _discount_label(self, bucket: dict[str, Any]) -> str:
        if bucket["above"] is None:
            return _("No discount")
        low = format_decimal(Decimal(bucket["above"]), locale=self.locale)
        if bucket["up_to"] is None:
            return _("Over %(low)s%%", low=low)
        high = format_decimal(Decimal(bucket["up_to"]), locale=self.locale)
        return _("Over %(low)s%% up to %(high)s%%", low=low, high=high)

    def drift(self, drift: dict[str, Any]) -> dict[str, Any]:
        def shown(item: dict[str, Any]) -> dict[str, Any]:
            return {**item, "valid_until": self.day(item["valid_until"]),
                    "quote_date": self.day(item["quote_date"]),
                    "status_label": STATUS_LABELS.get(item["status"], item["status"]),
                    "licenses": self.money(item["license_total"]["amount"],
                                           item["license_total"]["currency"]),
                    "stored_rate_date": self.day(item.get("stored_rate_date")),
                    "latest_rate_date": self.day(item.get("latest_rate_date")),
                    "drift": str(format_decimal(Decimal(item["drift_percent"]),
                                                format="+#,##0.00;-#,##0.00",
                                                locale=self.locale)) + " %"
                    if item.get("drift_percent") else ""}

        return {
            "threshold": str(format_decimal(Decimal(drift["threshold_percent"]),
                                            locale=self.locale)),
            "checked": drift["checked"],
            "flagged_count": drift["flagged_count"],
            "flagged": [shown(item) for item in drift["flagged"]],
            "no_rate_count": drift["no_rate_count"],
            "no_rate": [shown(item) for item in drift["no_rate"]],
        }
