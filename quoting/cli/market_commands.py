"""`quoting compare` (one scope priced in several markets) and `quoting rules simulate`
(stored quotes re-priced under a candidate price list). Both only read: nothing
stored changes."""

from __future__ import annotations

import csv
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from quoting.cli.pricing_commands import (
    fail,
    fail_input,
    read_request,
    rules_group,
    with_output_format,
)
from quoting.errors import QuoteInputError, RulesError
from quoting.rules import load_rulebook
from quoting.services import compare as comparing
from quoting.services import simulation


@click.command("compare")
@click.argument("request_file", metavar="REQUEST.json")
@click.option("--markets", default="", help="Markets to price in, comma-separated "
              "(e.g. AR,MX,ES,CL; default: every market with a price list).")
@click.option("--in", "target", default=None, metavar="CURRENCY",
              help="Also convert each total to this currency with the exchange rate stored "
                   "for the quote date (needs the database); what has no stored rate is "
                   "listed, never guessed.")
@with_output_format
def compare_command(request_file: str, markets: str, target: str | None,
                    output_format: str) -> None:
    """Price the scope of REQUEST.json in each market: its own currency, taxes and
    price list in force at the quote date. The client is not priced (its tax ID
    belongs to one market), so the request's client, currency and language are set
    per market."""
    try:
        rulebook = load_rulebook()
    except RulesError as exc:
        fail(f"pricing rules are broken: {exc}")
    raw = read_request(request_file)
    try:
        codes = (comparing.parse_markets(markets) if markets.strip()
                 else tuple(m.value for m in rulebook.markets))
        currency = comparing.parse_target_currency(target)
        if currency is None:
            result = comparing.compare_markets(raw, codes, rulebook)
        else:
            from quoting.cli.store_commands import open_engine

            engine = open_engine()
            try:
                with simulation.read_only_session(engine) as session:
                    result = comparing.compare_markets(
                        raw, codes, rulebook, target=currency,
                        rates=comparing.stored_rates(session))
            finally:
                engine.dispose()
    except QuoteInputError as exc:
        fail_input(exc, request_file)
    if output_format == "json":
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(comparison_text(result))


def _amount(value: str | Decimal | None) -> str:
    return "-" if value is None else f"{Decimal(value):,}"


def _table(header: list[str], rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = [cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
                 for i, cell in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
    return lines


def comparison_text(result: comparing.ComparisonResult) -> str:
    header = ["market", "rules", "date", "program", "program total", "licenses",
              "licenses total"]
    if result.target:
        header.append(f"total in {result.target}")
    rows, unpriced = [], []
    for entry in result.markets:
        data = entry.to_dict()
        if not data["priced"]:
            unpriced.append(f"  {entry.market}: " + "; ".join(
                f"{p['field']}: {p['message']}" if p["field"] else p["message"]
                for p in data["problems"]))
            continue
        row = [entry.market, data["rules_version"], data["quote_date"],
               data["program"]["currency"], _amount(data["program"]["total"]),
               data["licenses"]["currency"], _amount(data["licenses"]["total"])]
        if result.target:
            row.append(_amount(data["converted"]["total"]))
        rows.append(row)
    right = {4, 6, 7}
    lines = _table(header, rows, right) if rows else ["no market could price this scope"]
    lines.append("totals include tax; the program after its discount")
    if unpriced:
        lines += ["not priced:", *unpriced]
    if result.rates:
        lines.append("rates used:")
        lines += [f"  {r.pair} {r.rate} ({r.source}, {r.day.isoformat()})"
                  for r in result.rates]
    if result.unconverted:
        lines.append("not converted:")
        lines += [f"  {u.market} {u.part} ({u.currency}): {u.reason}"
                  for u in result.unconverted]
    return "\n".join(lines)


@click.command("simulate")
@click.argument("rules_file", metavar="FILE", type=click.Path(dir_okay=False))
@click.option("--from", "date_from", type=click.DateTime(formats=["%Y-%m-%d"]), required=True,
              help="First quote date of the period (YYYY-MM-DD).")
@click.option("--to", "date_to", type=click.DateTime(formats=["%Y-%m-%d"]), required=True,
              help="Last quote date of the period (YYYY-MM-DD), included.")
@click.option("--status", "statuses", default="",
              help="Only quotes in these statuses, comma-separated (e.g. sent,accepted; "
                   "default: every status but deleted).")
@click.option("--format", "output_format", type=click.Choice(["text", "json", "csv"]),
              default="text", show_default=True)
def simulate_command(rules_file: str, date_from: Any, date_to: Any, statuses: str,
                     output_format: str) -> None:
    """Re-price stored quotes under the candidate price list FILE (any rules file:
    it need not be in force, under pricing_rules/ or committed; it is validated
    like every rules file).

    Each quote of FILE's market whose quote date is in the period is re-priced
    once, with its current revision (the one the client has); its earlier
    revisions are not counted again. Reports per quote the old and new program
    and license totals, difference and percent; and overall the count, the totals
    old/new per currency, the distribution of changes, accepted-quote revenue
    old/new and the quotes crossing the candidate's discount-approval limit. A
    quote the candidate cannot price is listed with the reason. Nothing stored
    changes (a read-only transaction)."""
    try:
        candidate = simulation.candidate_from_file(Path(rules_file))
    except RulesError as exc:
        fail(f"the candidate rules file is not valid: {exc}")
    try:
        query = simulation.make_query(date_from.date(), date_to.date(), statuses)
    except QuoteInputError as exc:
        fail_input(exc, "simulate")
    from quoting.cli.store_commands import open_engine

    engine = open_engine()
    try:
        with simulation.read_only_session(engine) as session:
            report = simulation.simulate(session, candidate, query)
    finally:
        engine.dispose()
    if output_format == "json":
        click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    elif output_format == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(simulation.CSV_COLUMNS)
        writer.writerows(simulation.csv_row(change) for change in report.changes)
    else:
        click.echo(simulation_text(report))


def simulation_text(report: simulation.SimulationReport) -> str:
    summary = report.summary()
    lines = [f"{summary['market']} quotes dated {summary['from']} to {summary['to']} "
             f"({', '.join(summary['statuses'])}), re-priced with {summary['candidate']}",
             f"{summary['count']} quotes: {summary['priced']} priced, "
             f"{summary['not_priced']} could not be priced"]
    rows = []
    for change in report.changes:
        rows.append([change.number, change.status, change.quote_date.isoformat(),
                     change.program_currency, _amount(change.old_program),
                     _amount(change.new_program), _amount(change.program_difference),
                     _percent(change.program_percent), change.license_currency,
                     _amount(change.old_licenses), _amount(change.new_licenses),
                     _percent(change.license_percent),
                     change.problem or (change.approval_crossing or "").replace("_", " ")])
    if rows:
        lines += _table(["quote", "status", "date", "cur", "program old", "program new",
                         "difference", "%", "cur", "licenses old", "licenses new", "%",
                         "note"], rows, {4, 5, 6, 7, 9, 10, 11})
    for title, key in (("program totals", "program_totals"),
                       ("license totals", "license_totals"),
                       ("accepted-quote revenue", "accepted_revenue")):
        for currency, totals in summary[key].items():
            lines.append(f"{title} {currency}: {_amount(totals['old'])} -> "
                         f"{_amount(totals['new'])} ({_percent(totals['percent'])})")
    lines.append("distribution of program changes (licenses): " + ", ".join(
        f"{d['bucket']}%: {d['program']} ({d['licenses']})" for d in summary["distribution"]))
    crossings = summary["approval_crossings"]
    lines.append(f"discount approval (candidate limit "
                 f"{summary['candidate_discount_without_approval']}%): {crossings['into']} "
                 f"would now need it, {crossings['out_of']} would no longer need it"
                 + (f": {', '.join(crossings['quotes'])}" if crossings["quotes"] else ""))
    return "\n".join(lines)


def _percent(value: str | Decimal | None) -> str:
    if value is None:
        return "-"
    number = Decimal(value)
    return f"{number:+}%" if number else "0%"


def register(main: click.Group) -> None:
    main.add_command(compare_command)
    rules_group.add_command(simulate_command)
