"""The `quoting` command. Each group of commands lives in its own module."""

from __future__ import annotations

import click

from quoting.cli import (
    client_commands,
    delivery_commands,
    document_commands,
    market_commands,
    notice_commands,
    pricing_commands,
    signing_commands,
    store_commands,
    token_commands,
)
from quoting.cli.user_commands import register as register_user_commands
from quoting.cli.web_commands import register as register_web_commands


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Scope-based quoting for corporate AI-adoption programs."""


pricing_commands.register(main)
market_commands.register(main)
store_commands.register(main)
client_commands.register(main)
delivery_commands.register(main)
notice_commands.register(main)
register_user_commands(main)
document_commands.register(main)
token_commands.register(main)
signing_commands.register(main)
register_web_commands(main)
