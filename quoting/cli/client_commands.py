"""Client records from the command line: `quoting client show|rename`."""

from __future__ import annotations

import json
from typing import Any

import click

from quoting import services
from quoting.cli.pricing_commands import with_output_format
from quoting.cli.store_commands import acting_user, unit_of_work, with_actor


@click.group("client")
def client_group() -> None:
    """Client records: one per market and tax ID."""


@client_group.command("show")
@click.argument("market")
@click.argument("tax_id")
@with_output_format
@with_actor
def client_show(market: str, tax_id: str, output_format: str, actor_email: str) -> None:
    """Show a client record, its contacts and its history of changes."""
    with unit_of_work() as session:
        acting_user(session, actor_email)
        client = services.find_client(session, market, tax_id)
        view: dict[str, Any] = {
            "id": client.id, "country": client.country, "tax_id": client.tax_id,
            "legal_name": client.legal_name,
            "contacts": [{"name": c.name, "email": c.email} for c in client.contacts],
            "history": [{"at": e.at.isoformat(), "actor": e.actor, "action": e.action,
                         "detail": e.detail}
                        for e in services.client_events(session, client.id)],
        }
    if output_format == "json":
        click.echo(json.dumps(view, indent=2, ensure_ascii=False))
        return
    click.echo(f"{view['legal_name']}  {view['country']} {view['tax_id']}")
    for event in view["history"]:
        click.echo(f"  {event['at']}  {event['actor']}  {event['action']}  "
                   f"{json.dumps(event['detail'], ensure_ascii=False)}")


@client_group.command("rename")
@click.argument("market")
@click.argument("tax_id")
@click.option("--name", "legal_name", required=True, help="The new legal name.")
@click.option("--reason", default="")
@with_actor
def client_rename(market: str, tax_id: str, legal_name: str, reason: str,
                  actor_email: str) -> None:
    """Rename a client record (audited); quotes already made keep the name they were
    quoted with."""
    with unit_of_work("client") as session:
        client = services.find_client(session, market, tax_id)
        services.rename_client(session, client.id, legal_name,
                               acting_user(session, actor_email), reason=reason)
        click.echo(f"{client.country} {client.tax_id}: now {legal_name.strip()!r}")


def register(main: click.Group) -> None:
    main.add_command(client_group)
