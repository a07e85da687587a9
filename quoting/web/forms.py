"""Forms of the sales desk.

Sign-in and the small forms are Flask-WTF forms. The quote form is the scope
itself: its fields are read as typed (strings, never lost on an error), turned
into the request dict that `quoting.scope` validates, and each problem the
scope reports is put back beside its field in the user's language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import AnyOf, DataRequired, Length

from quoting import scope
from quoting.errors import FieldProblem
from quoting.taxid import SCHEMES
from quoting.web.text import _


class LoginForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF is untyped
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Keep me signed in on this computer"))


class LanguageForm(FlaskForm):  # type: ignore[misc]
    language = StringField(validators=[AnyOf(["es", "en", "pt"])])


ROLES = ("technical", "business", "leadership")
DELIVERY_MODES = ("remote", "onsite", "hybrid")
LANGUAGES = ("es", "en", "pt")
CASE_SLOTS = scope.MAX_CASES


@dataclass
class LicenseRow:
    product: str = ""
    seats: str = ""
    months: str = "12"

    def is_blank(self) -> bool:
        return not (self.product or self.seats.strip())


@dataclass
class QuoteForm:
    """The quote form's values exactly as typed."""

    market: str = "MX"
    currency: str = ""
    language: str = "es"
    client_name: str = ""
    client_tax_id: str = ""
    client_contact: str = ""
    client_email: str = ""
    participants: dict[str, str] = field(
        default_factory=lambda: {"technical": "0", "business": "10", "leadership": "0"})
    duration_weeks: str = "6"
    discovery_areas: str = "3"
    cases: str = "2"
    delivery_mode: str = "remote"
    delivery_trips: str = "0"
    licenses: list[LicenseRow] = field(default_factory=list)
    discount_percent: str = "0"
    valid_days: str = ""
    start_date: str = ""
    context: str = ""
    case_descriptions: list[str] = field(default_factory=lambda: [""] * CASE_SLOTS)
    internal_owner: str = ""

    # ------------------------------------------------------------ reading

    @classmethod
    def from_form(cls, data: MultiDict[str, str]) -> QuoteForm:
        def text(name: str, default: str = "") -> str:
            return str(data.get(name, default))[:5000]

        products = data.getlist("license_product")
        seats = data.getlist("license_seats")
        months = data.getlist("license_months")
        rows = [
            LicenseRow(products[i] if i < len(products) else "",
                       seats[i] if i < len(seats) else "",
                       months[i] if i < len(months) else "")
            for i in range(min(max(len(products), len(seats), len(months)),
                               scope.MAX_LICENSE_LINES))
        ]
        descriptions = [d[:5000] for d in data.getlist("case_description")][:CASE_SLOTS]
        descriptions += [""] * (CASE_SLOTS - len(descriptions))
        return cls(
            market=text("market", "MX").upper(),
            currency=text("currency"),
            language=text("language", "es"),
            client_name=text("client_name"),
            client_tax_id=text("client_tax_id"),
            client_contact=text("client_contact"),
            client_email=text("client_email"),
            participants={role: text(f"participants_{role}", "0") for role in ROLES},
            duration_weeks=text("duration_weeks"),
            discovery_areas=text("discovery_areas"),
            cases=text("cases"),
            delivery_mode=text("delivery_mode", "remote"),
            delivery_trips=text("delivery_trips", "0"),
            licenses=rows,
            discount_percent=text("discount_percent", "0"),
            valid_days=text("valid_days"),
            start_date=text("start_date"),
            context=text("context"),
            case_descriptions=descriptions,
            internal_owner=text("internal_owner"),
        )

    @classmethod
    def from_request(cls, request: dict[str, Any]) -> QuoteForm:
        """The form for a stored request (editing, revising)."""
        client = request.get("client") or {}
        participants = request.get("participants") or {}
        delivery = request.get("delivery") or {}
        if isinstance(delivery, str):
            delivery = {"mode": delivery, "trips": 0}
        descriptions = [str(d) for d in request.get("case_descriptions") or ()][:CASE_SLOTS]
        descriptions += [""] * (CASE_SLOTS - len(descriptions))
        discount = str(request.get("discount_percent") or "0")
        return cls(
            market=str(request.get("market", "MX")),
            currency=str(request.get("currency") or ""),
            language=str(request.get("language") or "es"),
            client_name=str(client.get("name") or ""),
            client_tax_id=str(client.get("tax_id") or ""),
            client_contact=str(client.get("contact") or ""),
            client_email=str(client.get("email") or ""),
            participants={role: str(participants.get(role, 0)) for role in ROLES},
            duration_weeks=str(request.get("duration_weeks", "")),
            discovery_areas=str(request.get("discovery_areas", "")),
            cases=str(request.get("cases", "")),
            delivery_mode=str(delivery.get("mode", "remote")),
            delivery_trips=str(delivery.get("trips", 0)),
            licenses=[LicenseRow(str(line.get("product", "")), str(line.get("seats", "")),
                                 str(line.get("months", "")))
                      for line in request.get("licenses") or ()],
            discount_percent=_plain_decimal(discount),
            valid_days=str(request.get("valid_days") or ""),
            start_date=str(request.get("start_date") or ""),
            context=str(request.get("context") or ""),
            case_descriptions=descriptions,
            internal_owner=str(request.get("internal_owner") or ""),
        )

    # ------------------------------------------------------------ changing

    def apply(self, action: str) -> None:
        """The form's own buttons: add or remove a license line."""
        if action == "add_license" and len(self.licenses) < scope.MAX_LICENSE_LINES:
            self.licenses.append(LicenseRow())
        elif action.startswith("remove_license:"):
            index = action.partition(":")[2]
            if index.isdigit() and int(index) < len(self.licenses):
                del self.licenses[int(index)]

    # ------------------------------------------------------------ to the scope

    def to_request(self) -> dict[str, Any]:
        """The request dict for `quoting.scope.parse_request`: blanks become the
        defaults a person means (no participants, no discount), a decimal comma a point."""
        request: dict[str, Any] = {
            "market": self.market.strip().upper(),
            "language": self.language,
            "client": {"name": self.client_name, "tax_id": self.client_tax_id},
            "participants": {role: _count(self.participants.get(role, "")) for role in ROLES},
            "delivery": {"mode": self.delivery_mode, "trips": _count(self.delivery_trips)},
            "discount_percent": _decimal_text(self.discount_percent) or "0",
        }
        if self.currency.strip():
            request["currency"] = self.currency.strip().upper()
        for name in ("email", "contact"):
            value = getattr(self, f"client_{name}").strip()
            if value:
                request["client"][name] = value
        for name in ("duration_weeks", "discovery_areas", "cases", "valid_days", "start_date"):
            value = getattr(self, name).strip()
            if value:
                request[name] = value
        lines = []
        for row in self.licenses:
            if row.is_blank():
                continue
            line: dict[str, Any] = {"product": row.product}
            if row.seats.strip():
                line["seats"] = row.seats.strip()
            if row.months.strip():
                line["months"] = row.months.strip()
            lines.append(line)
        if lines:
            request["licenses"] = lines
        descriptions = [d.strip() for d in self.case_descriptions if d.strip()]
        if descriptions:
            request["case_descriptions"] = descriptions
        for name in ("context", "internal_owner"):
            value = getattr(self, name).strip()
            if value:
                request[name] = value
        return request

    def license_index(self, position: int) -> int:
        """The form row of the request's n-th license line (blank rows are skipped)."""
        kept = [i for i, row in enumerate(self.licenses) if not row.is_blank()]
        return kept[position] if position < len(kept) else position


def _count(text: str) -> str | int:
    text = text.strip()
    return text if text else 0


def _decimal_text(text: str) -> str:
    """"7,5" or "7.5 %" as "7.5"; anything else is left for the scope to refuse."""
    cleaned = text.strip().rstrip("%").strip()
    if re.fullmatch(r"\d+,\d+", cleaned):
        cleaned = cleaned.replace(",", ".")
    return cleaned


def _plain_decimal(text: str) -> str:
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


# ---------------------------------------------------------------- errors, in the user's language


def field_errors(problems: list[FieldProblem], form: QuoteForm) -> dict[str, str]:
    """Each problem under the key of the form field it belongs to (see the templates)."""
    errors: dict[str, str] = {}
    for problem in problems:
        key, message = _localize(problem, form)
        errors.setdefault(key, message)
    return errors


def _localize(problem: FieldProblem, form: QuoteForm) -> tuple[str, str]:
    name = problem.field
    parts = name.split(".")
    head = parts[0]
    if head == "client":
        sub = parts[1] if len(parts) > 1 else "name"
        if sub == "tax_id":
            scheme = SCHEMES.get(form.market.upper())
            if scheme is None:
                return "client.tax_id", _("Choose the market first.")
            if problem.code in ("missing", "string_too_short"):
                return "client.tax_id", _("Enter the client's %(scheme)s.", scheme=scheme.names)
            return "client.tax_id", _(
                "This is not a valid %(scheme)s: check the digits (example: %(example)s).",
                scheme=scheme.names, example=scheme.example)
        if sub == "email":
            return "client.email", _("Enter an email address like name@company.com.")
        if sub == "contact":
            return "client.contact", _("At most 200 characters.")
        return "client.name", _("Enter the client's legal name (at most 200 characters).")
    if head == "participants":
        if len(parts) == 1:
            return "participants", _("At least one participant is needed in one of the tracks.")
        return name, _("A whole number from 0 to %(max)s.", max=scope.MAX_PARTICIPANTS_PER_ROLE)
    if head == "duration_weeks":
        return name, _("A whole number of weeks from 1 to %(max)s.", max=scope.MAX_WEEKS)
    if head == "discovery_areas":
        return name, _("A whole number of areas from 1 to %(max)s.",
                       max=scope.MAX_DISCOVERY_AREAS)
    if head == "cases":
        return name, _("From %(min)s to %(max)s cases: fewer is not this program, more is a "
                       "second one.", min=scope.MIN_CASES, max=scope.MAX_CASES)
    if head == "delivery":
        if form.delivery_mode == "remote":
            return "delivery.trips", _("Remote delivery has no trips: set 0 or choose on-site "
                                       "or hybrid.")
        if len(parts) > 1 and parts[1] == "mode":
            return "delivery.mode", _("Choose remote, on-site or hybrid.")
        return "delivery.trips", _("On-site or hybrid delivery needs the number of trips "
                                   "(1 to %(max)s).", max=scope.MAX_TRIPS)
    if head == "licenses":
        if len(parts) < 3 or not parts[1].isdigit():
            return "licenses", _("At most %(max)s license lines.", max=scope.MAX_LICENSE_LINES)
        row = form.license_index(int(parts[1]))
        key = f"licenses.{row}.{parts[2]}"
        if parts[2] == "product":
            return key, _("Choose a product this market offers.")
        if parts[2] == "seats":
            top = dict(problem.params).get("max", str(scope.MAX_SEATS))
            return key, _("A whole number of seats from 1 to %(max)s.", max=top)
        return key, _("A whole number of months from 1 to %(max)s.",
                      max=scope.MAX_LICENSE_MONTHS)
    if head == "discount_percent":
        if problem.code == "discount_above_maximum":
            return name, _("Above the %(max)s%% this market allows, even with approval.",
                           max=dict(problem.params)["max"])
        return name, _("A percentage from 0 to 100, such as 7.5.")
    if head == "valid_days":
        return name, _("A whole number of days from 1 to 180, or blank for the market's "
                       "default.")
    if head == "start_date":
        return name, _("A date from the quote's date to a year after it, or blank to start "
                       "after the market's lead time.")
    if head == "currency":
        return name, _("Choose a currency this market quotes in.")
    if head == "language":
        return name, _("Choose Spanish, English or Portuguese.")
    if head == "market":
        return name, _("Choose a market.")
    if head == "context":
        return name, _("At most 4000 characters.")
    if head == "case_descriptions":
        return "case_descriptions", _("No more case descriptions than cases, each at most a "
                                      "few paragraphs.")
    if head == "internal_owner":
        return name, _("At most 200 characters.")
    if head == "date":
        return "form", _("No price list is in force for this market today.")
    return "form", problem.message


# ---------------------------------------------------------------- the user's own password


class PasswordChangeForm(FlaskForm):  # type: ignore[misc]
    """The signed-in user's new password, typed twice, with the current one. How
    long it must be is the service's rule (quoting.services.users)."""

    current_password = PasswordField(_l("Current password"),
                                     validators=[DataRequired(), Length(max=200)])
    new_password = PasswordField(_l("New password"),
                                 validators=[DataRequired(), Length(max=200)])
    confirm_password = PasswordField(_l("New password, again"),
                                     validators=[DataRequired(), Length(max=200)])

    def validate(self, extra_validators: Any = None) -> bool:
        valid = bool(super().validate(extra_validators))
        if self.confirm_password.data and self.new_password.data != self.confirm_password.data:
            self.confirm_password.errors.append(_("The two new passwords are not the same."))
            return False
        return valid
