"""What pricing gives back (quoting.pricing.price): a PricedQuote of two Sections,
program and licenses, each of PricedLines and TaxLines, every amount Money in the
section's currency. `to_dict` is the shape stored with each revision and served to
finance, so it only ever grows by optional keys."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any, Literal, NamedTuple

from quoting.money import Money
from quoting.rules import LineCategory


class PricedLine(NamedTuple):
    code: str
    description: str
    category: LineCategory
    quantity: int
    unit: str
    unit_price: Money
    amount: Money
    rule: str
    # Values a document needs to word the line in another language.
    detail: Mapping[str, str | int]

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "description": self.description,
            "category": self.category.value,
            "quantity": self.quantity,
            "unit": self.unit,
            "unit_price": self.unit_price.as_str(),
            "amount": self.amount.as_str(),
            "rule": self.rule,
            "detail": dict(self.detail),
        }


class IncludedTaxLine(NamedTuple):
    """A tax already inside the price (base × rate of the category's net): stated,
    never added to the total. In the order of the rules' `tax.<category>.included`."""

    label: str
    rate: Decimal
    amount: Money

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "rate": str(self.rate), "amount": self.amount.as_str()}


class TaxLine(NamedTuple):
    category: LineCategory
    rate: Decimal
    label: str
    base: Money
    amount: Money
    exempt: bool
    included: tuple[IncludedTaxLine, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "category": self.category.value,
            "rate": str(self.rate),
            "label": self.label,
            "base": self.base.as_str(),
            "amount": self.amount.as_str(),
            "exempt": self.exempt,
        }
        # Only markets whose prices include taxes carry the key, so every stored
        # quote of the other markets keeps its exact shape.
        if self.included:
            data["included"] = [tax.to_dict() for tax in self.included]
        return data


class Section(NamedTuple):
    name: Literal["program", "licenses"]
    currency: str
    lines: tuple[PricedLine, ...]
    subtotal: Money
    discount_percent: Decimal
    discount: Money
    net: Money
    taxes: tuple[TaxLine, ...]
    tax: Money
    total: Money

    def to_dict(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "lines": [line.to_dict() for line in self.lines],
            "subtotal": self.subtotal.as_str(),
            "discount_percent": str(self.discount_percent),
            "discount": self.discount.as_str(),
            "net": self.net.as_str(),
            "taxes": [tax.to_dict() for tax in self.taxes],
            "tax": self.tax.as_str(),
            "total": self.total.as_str(),
        }


class PricedQuote(NamedTuple):
    market: str
    currency: str
    language: str
    rules_version: str
    quote_date: date
    valid_until: date
    program: Section
    licenses: Section
    discount_limit: Decimal
    requires_approval: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "market": self.market,
            "currency": self.currency,
            "language": self.language,
            "rules_version": self.rules_version,
            "quote_date": self.quote_date.isoformat(),
            "valid_until": self.valid_until.isoformat(),
            "requires_approval": self.requires_approval,
            "discount_limit_percent": str(self.discount_limit),
            "program": self.program.to_dict(),
            "licenses": self.licenses.to_dict(),
        }
