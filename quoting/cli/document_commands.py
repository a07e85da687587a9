"""`quoting render`: a request file straight to a proposal PDF, without the store."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from quoting.cli.pricing_commands import fail, fail_input, read_request
from quoting.documents import SnapshotError, draft_snapshot, render_proposal
from quoting.errors import QuoteInputError, RulesError
from quoting.rules import load_rulebook
from quoting.scope import parse_request
from quoting.service_pricing import price_request


@click.command("render")
@click.argument("request_file", metavar="REQUEST.json")
@click.option("-o", "--output", "output", required=True, metavar="OUT.pdf",
              type=click.Path(dir_okay=False, writable=True),
              help="Where to write the PDF (- for standard output).")
@click.option("--number", default=None, metavar="NUMBER",
              help="Quote number to print (default: a draft placeholder).")
@click.option("--revision", default=0, show_default=True, type=click.IntRange(0, 10_000),
              help="Revision number to print.")
def render_command(request_file: str, output: str, number: str | None,
                   revision: int) -> None:
    """Price REQUEST.json (or - for standard input) and write its proposal PDF."""
    if number is not None and not number.strip():
        fail("--number: must not be empty")
    if number is not None and len(number) > 40:
        fail("--number: at most 40 characters")
    text = read_request(request_file)
    try:
        rulebook = load_rulebook()
    except RulesError as exc:
        fail(f"pricing rules are broken: {exc}")
    try:
        request = parse_request(text)
        priced = price_request(request, rulebook)
    except QuoteInputError as exc:
        fail_input(exc, request_file)
    snapshot = draft_snapshot(request, priced, number=number, revision=revision)
    try:
        pdf = render_proposal(snapshot)
    except SnapshotError as exc:
        fail(f"{request_file}: {exc}")
    if output == "-":
        sys.stdout.buffer.write(pdf)
        return
    try:
        Path(output).write_bytes(pdf)
    except OSError as exc:
        fail(f"{output}: cannot write the PDF: {exc.strerror}")
    click.echo(f"{output}: {len(pdf):,} bytes", err=True)


def register(main: click.Group) -> None:
    main.add_command(render_command)
