"""The seller's signature on sent proposals from the command line: `quoting signing
demo-pair` writes a self-signed pair for development, and `use_configured_signer`
gives the commands that send the signer SIGNING_CERT and SIGNING_KEY name."""

from __future__ import annotations

from pathlib import Path

import click

from quoting import paths, services
from quoting.cli.pricing_commands import fail

DEMO_PAIR_DIR = paths.instance_dir() / "signing"


def use_configured_signer() -> None:
    """Sign what this command sends as SIGNING_CERT and SIGNING_KEY say (the environment,
    as the app reads it): with neither set, unsigned (a note on stderr); half a pair or
    unusable files end the command with the reason (exit status 2), nothing sent."""
    from quoting import signing
    from quoting.web import settings_from_environment

    settings = settings_from_environment()
    try:
        signer = signing.signer_from_settings(settings["SIGNING_CERT"],
                                              settings["SIGNING_KEY"])
    except signing.SigningSetupError as exc:
        fail(f"cannot sign proposals: {exc}")
    if signer is None:
        click.echo("note: SIGNING_CERT and SIGNING_KEY are unset: the proposal is sent "
                   "without the seller's signature", err=True)
    services.use_seller_signer(signer)


@click.group("signing")
def signing_group() -> None:
    """The seller's PAdES signature on sent proposals (SIGNING_CERT, SIGNING_KEY)."""


@signing_group.command("demo-pair")
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path),
              default=DEMO_PAIR_DIR, show_default=True,
              help="Where to write the certificate and key.")
def demo_pair(directory: Path) -> None:
    """Write a self-signed demo certificate and private key for signing proposals
    (development only: PDF readers show the signature as untrusted). An existing pair
    is kept. Prints the settings that use it."""
    from quoting import signing

    try:
        cert_path, key_path = signing.generate_demo_pair(directory)
    except OSError as exc:  # half a pair (FileExistsError), a folder not writable
        fail(f"no demo pair written: {exc}")
    click.echo(f"SIGNING_CERT={cert_path.resolve()}")
    click.echo(f"SIGNING_KEY={key_path.resolve()}")


def register(main: click.Group) -> None:
    main.add_command(signing_group)
