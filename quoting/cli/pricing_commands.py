"""`quoting price`, `quoting rules check|show`, `quoting example` and `quoting demo`: no
server needed."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from quoting import paths
from quoting.errors import QuoteInputError, RulesError
from quoting.i18n import market_today
from quoting.priced import PricedQuote
from quoting.pricing import price
from quoting.rules import Market, NoRulesInForce, load_rulebook
from quoting.scope import parse_request
from quoting.service_pricing import price_request
from quoting.text_report import render_text

EXIT_INVALID = 2


def fail(message: str) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(EXIT_INVALID)


def fail_input(error: QuoteInputError, source: str) -> NoReturn:
    lines = [f"{source}: the request cannot be priced:"]
    lines += [f"  - {problem}" for problem in error.problems]
    fail("\n".join(lines))


def read_request(path: str) -> str:
    try:
        return sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        fail(f"{path}: cannot read the request: {exc.strerror}")
    except UnicodeDecodeError:
        fail(f"{path}: the request is not UTF-8 text")


def priced_from_file(path: str) -> PricedQuote:
    try:
        rulebook = load_rulebook()
    except RulesError as exc:
        fail(f"pricing rules are broken: {exc}")
    try:
        return price_request(read_request(path), rulebook)
    except QuoteInputError as exc:
        fail_input(exc, path)


def priced_with_rules_file(path: str, rules_file: Path) -> PricedQuote:
    """The request priced with one given rules file, whatever its date: the request's
    market must be the file's."""
    from quoting.services.simulation import candidate_from_file

    try:
        rules = candidate_from_file(rules_file)
    except RulesError as exc:
        fail(f"the rules file is not valid: {exc}")
    try:
        request = parse_request(read_request(path))
        if request.market != rules.market:
            raise QuoteInputError.single(
                "market", f"the request is for {request.market}; {rules_file} is a "
                f"{rules.market} price list")
        return price(request, rules, market_today(request.market.value))
    except QuoteInputError as exc:
        fail_input(exc, path)


F = TypeVar("F", bound=Callable[..., Any])


def with_output_format(command: F) -> F:
    """--format json|text (text by default), as every command that prints a record."""
    return click.option("--format", "output_format", type=click.Choice(["json", "text"]),
                        default="text", show_default=True)(command)


@click.command("price")
@click.argument("request_file", metavar="REQUEST.json")
@click.option("--rules", "rules_file", type=click.Path(dir_okay=False), default=None,
              help="Price with this rules file (validated like any rules file; it need "
                   "not be in force nor under pricing_rules/) instead of the list in force.")
@with_output_format
def price_command(request_file: str, rules_file: str | None, output_format: str) -> None:
    """Price a quote request (a JSON file, or - for standard input)."""
    if rules_file is not None:
        quote = priced_with_rules_file(request_file, Path(rules_file))
    else:
        quote = priced_from_file(request_file)
    if output_format == "json":
        click.echo(json.dumps(quote.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(render_text(quote))


@click.group("rules")
def rules_group() -> None:
    """Inspect the pricing rules (pricing_rules/, or the folder QUOTING_RULES_DIR names)."""


@rules_group.command("check")
def rules_check() -> None:
    """Validate every rules file; exit 2 naming the file and field if one is wrong."""
    try:
        rulebook = load_rulebook()
    except RulesError as exc:
        fail(str(exc))
    for market in rulebook.markets:
        versions = ", ".join(
            f"{v.version} (from {v.effective_from})" for v in rulebook.versions(market)
        )
        click.echo(f"{market}: {versions}")
    click.echo("all rules files are valid")


@rules_group.command("show")
@click.argument("market")
@click.option("--date", "on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Show the version in force on this date (default: today).")
@with_output_format
def rules_show(market: str, on: Any, output_format: str) -> None:
    """Show the rules in force for MARKET (AR, MX, EC, CO, CL, PE, ES, UY, BR)."""
    try:
        market_code = Market(market.upper())
    except ValueError:
        allowed = ", ".join(m.value for m in Market)
        fail(f"market: unknown market {market!r}; allowed: {allowed}")
    try:
        day = on.date() if on else market_today(market_code.value)
        version = load_rulebook().in_force(market_code, day)
    except (RulesError, NoRulesInForce) as exc:
        fail(str(exc))
    data = version.model_dump(mode="json")
    data["license_products"] = [p.code for p in version.licenses.products]
    data["allowed_currencies"] = list(version.allowed_currencies)
    if output_format == "json":
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    click.echo(f"{version.market} {version.version}, in force from {version.effective_from}")
    click.echo(f"  currencies: {', '.join(version.allowed_currencies)} "
               f"(default {version.default_currency})")
    click.echo(f"  discount without approval: {version.discount_without_approval}%, "
               f"at most {version.max_discount}%")
    for category, treatment in version.tax.items():
        inside = "; ".join(tax.label.en for tax in treatment.included)
        click.echo(f"  tax on {category.value}: {treatment.label.en}"
                   + (f" ({inside})" if inside else ""))
    click.echo(f"  licenses ({version.licenses.currency}): "
               + ", ".join(f"{p.code} {p.per_seat_month}" for p in version.licenses.products))


@click.command("example")
@click.argument("market")
def example_command(market: str) -> None:
    """Print the example request of MARKET (AR, MX, EC, CO, CL, PE, ES, UY, BR): a request
    file to start from, e.g. `quoting example mx > mx.json`."""
    path = paths.EXAMPLES_DIR / f"{market.lower()}.json"
    if market.upper() not in {m.value for m in Market} or not path.is_file():
        allowed = ", ".join(m.value for m in Market)
        fail(f"market: no example for {market!r}; allowed: {allowed}")
    click.echo(path.read_text(encoding="utf-8"), nl=False)


@click.command("demo")
def demo() -> None:
    """Price the example request of every market and print each breakdown, then
    migrate the database, create the demo users and store the examples once."""
    from quoting.cli.store_commands import store_demo  # imports this module

    examples = sorted(paths.EXAMPLES_DIR.glob("*.json"))
    for path in examples:
        click.echo(f"===== {path.name} =====")
        click.echo(render_text(priced_from_file(str(path))))
        click.echo()
    store_demo(examples)


def register(main: click.Group) -> None:
    main.add_command(price_command)
    main.add_command(rules_group)
    main.add_command(example_command)
    main.add_command(demo)
