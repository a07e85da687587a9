"""What the proposal template shows, built from a stored revision (a snapshot).

Pure: no WeasyPrint, no clock. The market decides formats (numbers, money),
the request's language decides words (gettext catalogues under locales/).
Every amount is formatted here, after half-up rounding, so the template only
places text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from functools import cache
from typing import Any

from babel.lists import format_list
from babel.numbers import format_decimal
from babel.support import NullTranslations

from quoting import paths
from quoting.documents import program_text
from quoting.i18n import (
    document_currency_symbols,
    document_date_locale,
    format_locale,
    format_long_date,
    format_money,
    format_plain_percent,
    text_locale,
)
from quoting.line_wording import (
    Words,
    category_name,
    line_concept,
    track_name,
    unit_name,
)
from quoting.money import Money
from quoting.plan import document_plan
from quoting.regional import load_catalogue
from quoting.rules import RuleBook, RulesVersion, load_rulebook
from quoting.taxid import compact_tax_id, display_tax_id, tax_id_name

LOCALES_DIR = paths.LOCALES_DIR

ROLES = ("technical", "business", "leadership")


class SnapshotError(ValueError):
    """The snapshot lacks something the proposal needs."""


@cache
def rulebook() -> RuleBook:
    """The rule book, loaded once per process."""
    return load_rulebook()


@cache
def translations(language: str, market: str) -> NullTranslations:
    """The language's catalogue (locales/<lang>/messages), behind the market's regional
    wording where one exists (locales/es_AR/regional: "relevamiento", "planillas")."""
    base: NullTranslations = (
        load_catalogue(LOCALES_DIR / language / "LC_MESSAGES", "messages") or NullTranslations())
    regional_locale = text_locale(market, language)
    if regional_locale == language:
        return base
    regional = load_catalogue(LOCALES_DIR / regional_locale / "LC_MESSAGES", "regional")
    if regional is None:
        return base
    regional.add_fallback(base)
    return regional


def words_for(language: str, market: str) -> Words:
    tr = translations(language, market)
    return Words(tr.gettext, tr.ngettext)


def _money_formatter(locale: str, symbols: Mapping[str, str]) -> Callable[[str, str], str]:

    def money(amount: str, currency: str) -> str:
        return format_money(Money.of(amount, currency), locale, symbols[currency])

    return money


def _section(data: Mapping[str, Any], money: Callable[[str, str], str], words: Words,
             rules: RulesVersion, locale: str, language: str) -> dict[str, Any]:
    currency = str(data["currency"])
    lines = []
    for line in data["lines"]:
        quantity = int(line["quantity"])
        lines.append({
            "concept": line_concept(str(line["code"]), line.get("detail") or {}, words, rules,
                                    locale),
            "quantity": format_decimal(quantity, locale=locale),
            "unit": unit_name(str(line["unit"]), quantity, words),
            "unit_price": money(line["unit_price"], currency),
            "amount": money(line["amount"], currency),
        })
    # One line per tax label and rate, whatever categories it covers.
    taxes = program_text.tax_groups(data["taxes"], rules, language, words, money, currency)
    # Taxes inside the price (Brazil), one line per tax over every category it is in.
    included: dict[str, dict[str, Any]] = {}
    for tax in data["taxes"]:
        treatment = rules.tax.get(tax["category"])
        category = category_name(str(tax["category"]), words)
        inside = tax.get("included") or []
        for position, part in enumerate(inside):
            known = treatment.included if treatment else ()
            part_label = (known[position].label.get(language) if position < len(known)
                          else str(part["label"]))
            entry = included.setdefault(part_label, {
                "label": part_label, "categories": [], "base": Decimal(0), "amount": Decimal(0)})
            entry["categories"].append(category)
            entry["base"] += Decimal(str(tax["base"]))
            entry["amount"] += Decimal(str(part["amount"]))
    discount_percent = Decimal(str(data["discount_percent"]))
    return {
        "currency": currency,
        "lines": lines,
        "subtotal": money(data["subtotal"], currency),
        "has_discount": Decimal(str(data["discount"])) != 0,
        "discount_percent": format_plain_percent(discount_percent, locale),
        "discount": money(data["discount"], currency),
        "net": money(data["net"], currency),
        "taxes": taxes,
        "tax": money(data["tax"], currency),
        "total": money(data["total"], currency),
        "tax_labels": sorted({t["label"] for t in taxes
                              if not t["exempt"] and not t["inside_only"]}),
        "included_taxes": [
            {"label": entry["label"], "categories": ", ".join(entry["categories"]),
             "base": money(str(entry["base"]), currency),
             "amount": money(str(entry["amount"]), currency)}
            for entry in included.values()
        ],
        # "ISS 5% (São Paulo), PIS 0,65% e COFINS 3%": a list in the document's language.
        "included_list": format_list([entry["label"] for entry in included.values()],
                                     locale=language) if included else "",
    }


def _format_rate(value: str, locale: str) -> str:
    """An exchange rate with exactly the digits it was recorded with."""
    rate = Decimal(value)
    exponent = rate.as_tuple().exponent
    digits = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    pattern = "#,##0." + "0" * digits if digits else "#,##0"
    return format_decimal(rate, format=pattern, locale=locale, decimal_quantization=False)


def _date(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


def document_timestamp(snapshot: Mapping[str, Any]) -> dt.datetime:
    """When the revision was stored, in UTC: the PDF's dates come from here, never the clock."""
    raw = snapshot.get("created_at")
    if raw:
        stamp = dt.datetime.fromisoformat(str(raw))
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=dt.UTC)
    else:
        day = _date(str(snapshot["priced"]["quote_date"]))
        stamp = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
    return stamp.astimezone(dt.UTC).replace(microsecond=0)


def _shorten(text: str, limit: int) -> str:
    """Text for a running header or footer, which has room for one line."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def css_string(text: str) -> str:
    """A CSS string literal holding `text` safely."""
    escaped = "".join(
        ch if ch.isalnum() or ch in " .,:;-_/()%" else f"\\{ord(ch):x} " for ch in text)
    return f'"{escaped}"'


def page_label_css(words: Words) -> str:
    """`"Page " counter(page) " of " counter(pages)`, in the document's language."""
    marker_page, marker_pages = "\x00PAGE\x00", "\x00PAGES\x00"
    template = words.gettext("Page %(page)s of %(pages)s") % {
        "page": marker_page, "pages": marker_pages}
    parts: list[str] = []
    rest = template
    while rest:
        index_page, index_pages = rest.find(marker_page), rest.find(marker_pages)
        candidates = [(i, m) for i, m in ((index_page, marker_page), (index_pages, marker_pages))
                      if i >= 0]
        if not candidates:
            parts.append(css_string(rest))
            break
        index, marker = min(candidates)
        if index:
            parts.append(css_string(rest[:index]))
        parts.append("counter(page)" if marker == marker_page else "counter(pages)")
        rest = rest[index + len(marker):]
    return " ".join(parts)


def document_data(snapshot: Mapping[str, Any]) -> dict[str, Any]:
    """What a proposal attaches as quote.json: the stored revision, plus the calendar and
    the payment schedule worked out from it (quoting.plan)."""
    rules = rulebook().by_version(str(snapshot["priced"]["rules_version"]))
    return {**snapshot, **document_plan(snapshot, rules)}


def build_context(snapshot: Mapping[str, Any]) -> dict[str, Any]:
    """Everything the proposal template needs, formatted and worded."""
    try:
        return _build_context(snapshot)
    except SnapshotError:
        raise
    except (KeyError, TypeError, ValueError, LookupError, AttributeError) as exc:
        raise SnapshotError(
            f"the snapshot cannot be rendered: {type(exc).__name__}: {exc}") from None


def _build_context(snapshot: Mapping[str, Any]) -> dict[str, Any]:
    priced = snapshot["priced"]
    request = snapshot["request"]
    market = str(priced["market"])
    language = str(priced.get("language") or request.get("language") or "es")
    rules = rulebook().by_version(str(priced["rules_version"]))
    words = words_for(language, market)
    _ = words.gettext
    ngettext = words.ngettext
    number_locale = format_locale(market)
    word_locale = text_locale(market, language)
    date_locale = document_date_locale(market, language)

    def date_text(day: dt.date) -> str:
        return format_long_date(day, date_locale)

    program_data, license_data = priced["program"], priced["licenses"]
    currencies = [str(program_data["currency"]), str(license_data["currency"])]
    money = _money_formatter(number_locale, document_currency_symbols(
        currencies, market, language, rules.default_currency, rules.default_language))
    program = _section(program_data, money, words, rules, number_locale, language)
    licenses = _section(license_data, money, words, rules, number_locale, language)
    quote_date, valid_until = _date(priced["quote_date"]), _date(priced["valid_until"])

    participants = request.get("participants") or {}
    who = {
        "technical": _("Developers, analysts and the people who run the client's systems and "
                       "data; they build and automate."),
        "business": _("Sales, operations, finance and legal staff who write, review and "
                      "decide every day; they apply the cases in their own work."),
        "leadership": _("Managers and directors who set priorities, approve the use of data "
                        "and read the adoption metrics."),
    }
    tracks = [{"name": track_name(role, words), "participants": int(participants.get(role, 0)),
               "who": who[role]} for role in ROLES if int(participants.get(role, 0)) > 0]
    cases = int(request.get("cases") or 0)
    descriptions = list(request.get("case_descriptions") or [])
    case_rows = [{"number": i + 1,
                  "text": descriptions[i] if i < len(descriptions) else None}
                 for i in range(cases)]
    delivery = request.get("delivery") or {"mode": "remote", "trips": 0}
    if isinstance(delivery, str):
        delivery = {"mode": delivery, "trips": 0}
    mode = str(delivery.get("mode", "remote"))
    trips = int(delivery.get("trips") or 0)
    delivery_text = {
        "remote": _("Remote, in live video sessions."),
        "onsite": ngettext("On site at the client's offices, with %(num)s trip.",
                     "On site at the client's offices, with %(num)s trips.", trips),
        "hybrid": ngettext("Hybrid: remote sessions plus %(num)s on-site visit.",
                     "Hybrid: remote sessions plus %(num)s on-site visits.", trips),
    }[mode] % {"num": trips}

    people = sum(int(participants.get(role, 0)) for role in ROLES)
    weeks = int(request.get("duration_weeks") or 0)
    scope_text = "; ".join([
        ngettext("%(num)s participant", "%(num)s participants", people) % {"num": people}
        + " " + ngettext("in %(num)s role track", "in %(num)s role tracks", len(tracks)) % {
            "num": len(tracks)},
        ngettext("%(num)s week", "%(num)s weeks", weeks) % {"num": weeks},
        ngettext("%(num)s discovery area", "%(num)s discovery areas",
                 int(request.get("discovery_areas") or 0)) % {
            "num": int(request.get("discovery_areas") or 0)},
        ngettext("%(num)s client case", "%(num)s client cases", cases) % {"num": cases},
        {"remote": _("remote delivery"), "onsite": _("on-site delivery"),
         "hybrid": _("hybrid delivery")}[mode],
        _("adoption measured at 30, 60 and 90 days"),
    ]) + "."

    exchange_rates = [
        {"pair": str(rate.get("pair", "")),
         "rate": (_format_rate(str(rate["rate"]), number_locale)
                  if rate.get("rate") not in (None, "") else None),
         "source": str(rate.get("source") or ""),
         "date": date_text(_date(str(rate["date"]))) if rate.get("date")
         else ""}
        for rate in (snapshot.get("exchange_rates") or [])
    ]
    exempt_notes = []
    for category in sorted({t["category"] for s in (program_data, license_data)
                            for t in s["taxes"] if t["exempt"]}):
        treatment = rules.tax.get(category)
        if treatment and treatment.exempt_reason:
            exempt_notes.append(treatment.exempt_reason.get(language))

    plan = document_plan(snapshot, rules)
    calendar = program_text.calendar_rows(plan["calendar"], words, date_text)
    payments = program_text.payment_rows(plan["payment_schedule"], money, words,
                                         number_locale, date_text)
    total_in_words = (program_text.amount_in_words(
        str(program_data["total"]), str(program_data["currency"]), language)
        if rules.amount_in_words else None)
    answers = program_text.answers(words, calendar, cases, people, weeks, tracks,
                                   number_locale)

    number = str(snapshot.get("number") or _("DRAFT"))
    revision = int(snapshot.get("revision") or 0)
    status = str(snapshot.get("status") or "draft")
    client = request["client"]
    document_name = rules.document_name.get(language)
    stamp = document_timestamp(snapshot)
    return {
        "lang": word_locale.replace("_", "-"),
        "language": language,
        "market": market,
        "document_name": document_name,
        "title": _("AI adoption program"),
        "number": number,
        "revision": revision,
        "status": status,
        "is_draft": status == "draft" or not snapshot.get("number"),
        "is_superseded": status == "superseded",
        "date": date_text(quote_date),
        "valid_until": date_text(valid_until),
        "valid_days": (valid_until - quote_date).days,
        "created_iso": stamp.isoformat().replace("+00:00", "Z"),
        "seller": {
            "legal_name": rules.seller.legal_name,
            "tax_id_label": tax_id_name(market, compact_tax_id(market, rules.seller.tax_id)),
            "tax_id": display_tax_id(market, rules.seller.tax_id),
            "address": rules.seller.address,
            "email": rules.seller.email,
            "bank_note": rules.seller.bank_note.get(language) if rules.seller.bank_note else None,
        },
        "client": {
            "name": str(client["name"]),
            "short_name": _shorten(str(client["name"]), 70),
            # A Brazilian client may be a person: a CPF, not a CNPJ.
            "tax_id_label": tax_id_name(market, str(client["tax_id"])),
            "tax_id": display_tax_id(market, str(client["tax_id"])),
            "contact": client.get("contact"),
            "email": client.get("email"),
        },
        "context_text": request.get("context"),
        "discovery_areas": int(request.get("discovery_areas") or 0),
        "cases": case_rows,
        "case_count": cases,
        "tracks": tracks,
        "weeks": weeks,
        "scope_text": scope_text,
        "delivery_text": delivery_text,
        "internal_owner": request.get("internal_owner"),
        "program": program,
        "licenses": licenses,
        "has_licenses": bool(license_data["lines"]),
        "currencies_differ": program["currency"] != licenses["currency"],
        "exchange_rates": exchange_rates,
        "payment_terms": rules.payment_terms.get(language),
        "withholding_notes": [note.get(language) for note in rules.withholding_notes],
        "exempt_notes": exempt_notes,
        "taxes_added": any(not t["inside_only"] for t in program["taxes"] + licenses["taxes"]),
        "taxes_included": bool(program["included_taxes"] or licenses["included_taxes"]),
        "requires_approval": bool(priced.get("requires_approval")),
        "tax_intro": program_text.tax_intro(program["taxes"], words),
        "exchange_rate_rule": (rules.exchange_rate_rule.get(language)
                               if rules.exchange_rate_rule else
                               _("Any conversion uses the official rate of the invoice date.")),
        "calendar": calendar,
        "payments": payments,
        "total_in_words": total_in_words,
        "systems": program_text.production_systems(
            rulebook().production_systems(rules), language, number_locale, words, date_text),
        "answers": answers,
        "contents": [{"id": f"s{number}", "title": f"{number}. {title}"} for number, title in (
            (1, _("Context and goals")), (2, _("Discovery plan")), (3, _("Your cases")),
            (4, _("Role tracks")), (5, _("A system in production")),
            (6, _("Adoption at 30, 60 and 90 days")), (7, _("Follow-up and internal owner")),
            (8, _("Calendar")), (9, _("Investment")), (10, _("Licenses")),
            (11, _("Payment plan")), (12, _("Terms")), (13, _("Acceptance")))],
        "summary_context": (_shorten(str(request["context"]), 420)
                            if request.get("context") else None),
        "page_label_css": page_label_css(words),
        "rules_version": rules.version,
    }
