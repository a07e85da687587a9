"""The client page's "Changes since revision N (sent on DATE)": what the client sees
change since the revision sent before (services.changes_since_sent), worded in the
page's language (the `web` domain; Spain's Spanish says "presupuesto", message
context "ES") and formatted as the proposal is: amounts and numbers in the market's
formats with the proposal's currency symbols, dates and line names in the
proposal's own words. Call it under the page's locale (force_locale)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import flask_babel
from babel.numbers import format_percent

from quoting.i18n import (
    MARKET_TIMEZONES,
    currency_symbols,
    document_currency_symbols,
    document_date_locale,
    format_long_date,
)
from quoting.line_wording import Words, license_name, line_concept, track_name
from quoting.rules import RulesVersion
from quoting.services import RevisionChanges
from quoting.services.changes import AmountChange, LineChange, ScopeChange
from quoting.web.formatting import DELIVERY_NAMES, market_locale, money, number, web_words
from quoting.web.text import _

NONE = "—"


def changes_section(changes: RevisionChanges, market: str, language: str,
                    rules_version: str) -> dict[str, Any]:
    """Title, lead, column heads and groups of rows ({label, note, before,
    before_note, after}) for the template to place."""
    from quoting.documents.context import rulebook, words_for  # the proposal's words

    words = words_for(language, market)
    try:
        rules: RulesVersion | None = rulebook().by_version(rules_version)
    except (KeyError, ValueError, LookupError):
        rules = None
    shown = _Shown(changes, market, language, words, rules)
    sent = changes.since_sent_at
    groups = [group for group in (shown.scope_group(),
                                  *(shown.section_group(s) for s in ("program", "licenses")))
              if group["rows"]]
    return {
        "title": _("Changes since revision %(num)s (sent on %(date)s)", num=changes.since,
                   date=shown.day(sent) if sent else NONE),
        "lead": _in_market(market, language,
                           "What is different in this proposal from the one sent before; "
                           "the amounts are those of each revision's PDF."),
        "what": _("What changed"),
        "before": _("Before: revision %(num)s", num=changes.since),
        "after": _("Now: revision %(num)s", num=changes.revision),
        "groups": groups,
        "same": None if groups else _(
            "The scope, the amounts and the validity are the same as in revision %(num)s.",
            num=changes.since),
    }


def _in_market(market: str, language: str, message: str) -> str:
    """A sentence that names the document: "presupuesto" in Spain's Spanish."""
    if market == "ES" and language == "es":
        return str(flask_babel.pgettext("ES", message))
    return _(message)


class _Shown:
    def __init__(self, changes: RevisionChanges, market: str, language: str,
                 words: Words, rules: RulesVersion | None) -> None:
        self.changes, self.market, self.language = changes, market, language
        self.words, self.rules = words, rules
        self.locale = market_locale(market)
        # Dates and money as the proposal beside them prints them (i18n.py's one rule).
        self.word_locale = document_date_locale(market, language)
        currencies = {c for pair in changes.currencies.values() for c in pair}
        currencies |= {c for a in changes.amounts for c in (a.before_currency,
                                                            a.after_currency)}
        self.symbols = (document_currency_symbols(
            sorted(currencies), market, language, rules.default_currency,
            rules.default_language) if rules is not None
            else currency_symbols(sorted(currencies), self.locale))

    # ------------------------------------------------------------ formats

    def day(self, moment: datetime) -> str:
        local = moment.astimezone(ZoneInfo(MARKET_TIMEZONES.get(self.market, "UTC")))
        return format_long_date(local.date(), self.word_locale)

    def money(self, amount: str, currency: str) -> str:
        return money(amount, currency, self.market, self.symbols)

    def percent(self, value: str) -> str:
        return str(format_percent(Decimal(value) / 100, locale=self.locale,
                                  decimal_quantization=False))

    # ------------------------------------------------------------ groups

    def scope_group(self) -> dict[str, Any]:
        return {"title": _("Scope and validity"),
                "rows": [self.scope_row(change) for change in self.changes.scope]}

    def section_group(self, section: str) -> dict[str, Any]:
        before, after = self.changes.currencies[section]
        currency = before if before == after else f"{before} → {after}"
        title = (_("Program, in %(currency)s", currency=currency) if section == "program"
                 else _("Licenses, in %(currency)s", currency=currency))
        rows = [self.line_row(line) for line in self.changes.lines if line.section == section]
        rows += [self.amount_row(amount) for amount in self.changes.amounts
                 if amount.section == section]
        return {"title": title, "rows": rows}

    # ------------------------------------------------------------ rows

    def scope_row(self, change: ScopeChange) -> dict[str, Any]:
        field = change.field
        if field.startswith("participants."):
            label = _("Participants, %(track)s track",
                      track=track_name(field.partition(".")[2], self.words))
            show = self.count
        elif field == "duration_weeks":
            label, show = _("Program length"), self.weeks
        elif field == "discovery_areas":
            label, show = _("Discovery areas"), self.count
        elif field == "cases":
            label, show = _("Client cases"), self.count
        elif field == "delivery.mode":
            label, show = _("Delivery"), self.delivery
        elif field == "delivery.trips":
            label, show = _("Trips"), self.count
        elif field == "license":
            label = license_name(str(change.key), self.words, self.rules)
            show = self.license
        elif field == "valid_until":
            label = _in_market(self.market, self.language, "Valid until")
            show = self.long_date
        else:
            label, show = field, self.text
        return self._row(label, show(change.before), show(change.after))

    def line_row(self, line: LineChange) -> dict[str, Any]:
        currency_before, currency_after = self.changes.currencies[line.section]
        before_concept = self.concept(line.before) if line.before is not None else None
        after_concept = self.concept(line.after) if line.after is not None else None
        note = {"added": _("new item"), "removed": _("item removed")}.get(line.kind)
        return self._row(
            str(after_concept or before_concept),
            self.money(str(line.before["amount"]), currency_before)
            if line.before is not None else NONE,
            self.money(str(line.after["amount"]), currency_after)
            if line.after is not None else NONE,
            note=note,
            before_note=before_concept if (after_concept and before_concept
                                           and before_concept != after_concept) else None)

    def amount_row(self, amount: AmountChange) -> dict[str, Any]:
        before = self.money(amount.before, amount.before_currency)
        after = self.money(amount.after, amount.after_currency)
        if amount.name == "discount":
            label = _("Discount applied")
            before = f"{self.percent(amount.before_percent or '0')} · −{before}"
            after = f"{self.percent(amount.after_percent or '0')} · −{after}"
        elif amount.name == "subtotal":
            label = _("Subtotal")
        elif amount.name == "tax":
            label = _("Total taxes")
        else:
            label = _("Program total") if amount.section == "program" else _("Licenses total")
        return self._row(label, before, after, total=amount.name == "total")

    @staticmethod
    def _row(label: str, before: str, after: str, *, note: str | None = None,
             before_note: str | None = None, total: bool = False) -> dict[str, Any]:
        return {"label": label, "note": note, "before": before, "before_note": before_note,
                "after": after, "total": total}

    # ------------------------------------------------------------ values

    @staticmethod
    def text(value: Any) -> str:
        return NONE if value is None else str(value)

    def concept(self, line: Any) -> str:
        return line_concept(str(line["code"]), line.get("detail") or {}, self.words,
                            self.rules, self.locale, line.get("description"))

    def count(self, value: Any) -> str:
        return number(int(value), self.market) if value else NONE

    def plural(self, singular: str, plural: str, value: int) -> str:
        """A count in the page's words, its number in the market's format."""
        return web_words().ngettext(singular, plural, value) % {
            "num": number(value, self.market)}

    def weeks(self, value: Any) -> str:
        return self.plural("%(num)s week", "%(num)s weeks", int(value or 0))

    def delivery(self, value: Any) -> str:
        name = DELIVERY_NAMES.get(str(value))
        return str(name) if name is not None else str(value)

    def license(self, value: Any) -> str:
        if not value:
            return NONE
        seats, months = int(value["seats"]), int(value["months"])
        return "{} × {}".format(self.plural("%(num)s seat", "%(num)s seats", seats),
                                self.plural("%(num)s month", "%(num)s months", months))

    def long_date(self, value: Any) -> str:
        return format_long_date(date.fromisoformat(str(value)), self.word_locale)
