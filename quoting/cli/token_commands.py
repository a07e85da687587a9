"""API tokens from the command line: `quoting token create|list|revoke`.

Creating and revoking act as an admin (--as or QUOTING_USER, default the demo
admin that `quoting demo` creates). The token is printed once; only its hash
is stored.
"""

from __future__ import annotations

from datetime import UTC, datetime

import click

from quoting import api_tokens
from quoting.cli.store_commands import acting_user, unit_of_work

DEMO_ADMIN_EMAIL = "admin@example.com"


@click.group("token")
def token_group() -> None:
    """Personal tokens for the finance JSON API (/api/v1/)."""


@token_group.command("create")
@click.option("--email", required=True, help="The finance or admin user who will use it.")
@click.option("--scopes", default=",".join(api_tokens.SCOPES), show_default=True,
              help="Comma-separated: " + ", ".join(api_tokens.SCOPES))
@click.option("--days", type=int, default=90, show_default=True,
              help="Days until it expires.")
@click.option("--name", default=None, help="A label to recognise it (default: the email).")
@click.option("--as", "actor_email", envvar="QUOTING_USER", default=DEMO_ADMIN_EMAIL,
              show_default=True, help="The admin creating it (env QUOTING_USER).")
def token_create(email: str, scopes: str, days: int, name: str | None,
                 actor_email: str) -> None:
    """Create a token for EMAIL and print it (it is shown only this once)."""
    with unit_of_work("token") as session:
        issued = api_tokens.create_token(
            session, acting_user(session, actor_email), email,
            name=name or f"{email} API", scopes=scopes, days=days)
        token = issued.token
        click.echo(f"token {token.id} for {email}, scopes {token.scopes}, "
                   f"expires {token.expires_at.isoformat()}", err=True)
        click.echo("copy it now, it will not be shown again:", err=True)
        click.echo(issued.secret)


@token_group.command("list")
def token_list() -> None:
    """Every token: id, holder, scopes, state, expiry, last use (never the token)."""
    now = datetime.now(UTC)
    with unit_of_work() as session:
        tokens = api_tokens.list_tokens(session)
        rows = [
            (t.id, t.prefix + "…", t.user.email, t.scopes.replace(" ", ","),
             api_tokens.token_state(t, now), t.expires_at.date().isoformat(),
             t.last_used_at.isoformat(timespec="seconds") if t.last_used_at else "never",
             t.name)
            for t in tokens
        ]
    if not rows:
        click.echo("no API tokens")
    for row in rows:
        click.echo("{:>4}  {:<14} {:<28} {:<24} {:<8} expires {}  last used {}  {}"
                   .format(*row))


@token_group.command("revoke")
@click.argument("token_id", type=int)
@click.option("--as", "actor_email", envvar="QUOTING_USER", default=DEMO_ADMIN_EMAIL,
              show_default=True, help="The admin revoking it (env QUOTING_USER).")
def token_revoke(token_id: int, actor_email: str) -> None:
    """Revoke token TOKEN_ID: it stops working at once."""
    with unit_of_work() as session:
        token = api_tokens.revoke_token(session, acting_user(session, actor_email),
                                        token_id)
        click.echo(f"token {token.id} ({token.user.email}) revoked at "
                   f"{token.revoked_at.isoformat() if token.revoked_at else '?'}")


def register(main: click.Group) -> None:
    main.add_command(token_group)
