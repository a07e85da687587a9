"""A plain-text breakdown of a priced quote, readable when pasted in a chat."""

from __future__ import annotations

from collections.abc import Callable

from quoting.i18n import currency_symbols, format_locale, format_long_date, format_money
from quoting.money import Money
from quoting.priced import PricedQuote, Section


def render_text(quote: PricedQuote) -> str:
    locale = format_locale(quote.market)
    symbols = currency_symbols([quote.program.currency, quote.licenses.currency], locale)

    def money(value: Money) -> str:
        return format_money(value, locale, symbols[value.currency])

    out = [
        f"Quote for {quote.market} in {quote.currency} "
        f"(rules {quote.rules_version}, dated {format_long_date(quote.quote_date, locale)}, "
        f"valid until {format_long_date(quote.valid_until, locale)})",
        "",
    ]
    out += _section_text("PROGRAM", quote.program, money)
    if quote.requires_approval:
        out.append(f"  ! discount above {quote.discount_limit}% needs finance approval")
    if quote.licenses.lines:
        out.append("")
        out += _section_text(f"LICENSES (separate, in {quote.licenses.currency}, "
                             "not discounted)", quote.licenses, money)
    return "\n".join(out)


def _section_text(title: str, section: Section, fmt: Callable[[Money], str]) -> list[str]:
    out = [title]
    for line in section.lines:
        out.append(f"  {line.description}")
        out.append(f"      {line.quantity} x {fmt(line.unit_price)} per {line.unit} = "
                   f"{fmt(line.amount)}   [{line.rule}]")
    out.append(f"  Subtotal: {fmt(section.subtotal)}")
    if section.discount.amount:
        out.append(f"  Discount {section.discount_percent}%: -{fmt(section.discount)}")
        out.append(f"  Net: {fmt(section.net)}")
    for tax in section.taxes:
        if tax.included and not tax.amount.amount:
            # Nothing added: the price already holds the taxes listed below.
            out.append(f"  {tax.label} ({tax.category.value}, on {fmt(tax.base)}):")
        else:
            out.append(f"  {tax.label} on {fmt(tax.base)}: {fmt(tax.amount)}")
        for inside in tax.included:
            out.append(f"      of which {inside.label}: {fmt(inside.amount)}")
    out.append(f"  TOTAL: {fmt(section.total)}")
    return out
