"""Accounts from the command line: `quoting user passwd|deactivate`.

Both end every session of the user they change (the sales desk's session and
remember-me cookies stop working on every device). They act as --as or
QUOTING_USER like the other stored commands: anyone may change their own
password; only an admin may change someone else's or deactivate a user.
"""

from __future__ import annotations

import click

from quoting import services
from quoting.cli.pricing_commands import fail
from quoting.cli.store_commands import acting_user, unit_of_work, with_actor
from quoting.services.users import MIN_PASSWORD_LENGTH


def register(main: click.Group) -> None:
    user_group = main.commands.get("user")
    if not isinstance(user_group, click.Group):
        raise RuntimeError("register store_commands (the `user` group) before user_commands")

    @user_group.command("passwd")
    @click.argument("email")
    @click.option("--password", prompt="New password", hide_input=True,
                  confirmation_prompt=True, help="Prompted for (twice) when not given.")
    @with_actor
    def user_passwd(email: str, password: str, actor_email: str) -> None:
        """Give EMAIL a new password and end every session EMAIL has."""
        if len(password) < MIN_PASSWORD_LENGTH:
            fail(f"password: at least {MIN_PASSWORD_LENGTH} characters; nothing changed")
        with unit_of_work("user") as session:
            user = services.set_password(session, email, password,
                                         acting_user(session, actor_email))
            click.echo(f"new password for {user.email}; every session of {user.email} ended")

    @user_group.command("deactivate")
    @click.argument("email")
    @with_actor
    def user_deactivate(email: str, actor_email: str) -> None:
        """Deactivate EMAIL (admin only): no more sign-in, every session ended.
        Their quotes and history stay."""
        with unit_of_work("user") as session:
            user = services.deactivate_user(session, email, acting_user(session, actor_email))
            click.echo(f"deactivated {user.email}; every session of {user.email} ended")
