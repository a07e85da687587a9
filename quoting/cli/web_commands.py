"""`quoting serve`: the sales desk in the browser, served by waitress."""

from __future__ import annotations

import click

from quoting.cli.pricing_commands import fail
from quoting.cli.store_commands import DEMO_SALES_EMAIL, demo_password, open_engine

DEFAULT_PORT = 8000


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (keep 127.0.0.1 unless behind a proxy).")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=int)
@click.option("--threads", default=4, show_default=True, type=int)
@click.option("--demo-login/--no-demo-login", default=True, show_default=True,
              help="Print the demo account created by `quoting demo`.")
def serve(host: str, port: int, threads: int, demo_login: bool) -> None:
    """Serve the sales desk (quote list, quote form with live pricing, PDFs)."""
    from waitress import serve as waitress_serve

    from quoting.web import create_app

    open_engine().dispose()  # refuses a database that is not at the latest schema
    try:
        app = create_app()
    except ValueError as exc:  # a malformed setting, half a signing pair: it names which
        fail(f"the sales desk cannot start: {exc}")
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "") else host
    url = f"http://{shown_host}:{port}/"
    click.echo("")
    click.echo("=" * 64)
    click.echo(f"  Sales desk: open {url}")
    if demo_login:
        click.echo(f"  Sign in as {DEMO_SALES_EMAIL} / password {demo_password()}")
        click.echo("  (finance@example.com and admin@example.com use the same password)")
    click.echo("  Stop with Ctrl+C")
    click.echo("=" * 64, nl=True)
    # Waitress buffers a body before the app sees it: refuse an oversized one there.
    waitress_serve(app, host=host, port=port, threads=threads, ident="quoting",
                   max_request_body_size=app.config["MAX_CONTENT_LENGTH"], _quiet=True)


def register(main: click.Group) -> None:
    main.add_command(serve)
