"""Stored quotes from the command line: `quoting db|user|quote|rates|expire`.

Each command is one unit of work: open a session, call quoting.services,
commit. Refusals exit with status 2 and the reason on stderr, never a traceback.
The CLI acts as the user named by --as or QUOTING_USER (default: the demo
sales user that `quoting demo` creates).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from quoting import services
from quoting.cli.pricing_commands import fail, fail_input, read_request, with_output_format
from quoting.errors import QuoteInputError
from quoting.store import migrate
from quoting.store.db import database_url, make_engine
from quoting.store.errors import ServiceError
from quoting.store.models import Quote, QuoteStatus, Role, User

DEMO_SALES_EMAIL = "demo@example.com"
DEMO_USERS = (
    (DEMO_SALES_EMAIL, "Demo Sales", Role.SALES),
    ("finance@example.com", "Demo Finance", Role.FINANCE),
    ("admin@example.com", "Demo Admin", Role.ADMIN),
)
# A demo database only: printed by `quoting demo`, override with QUOTING_DEMO_PASSWORD.
DEMO_PASSWORD_DEFAULT = "demo-password-2026"

F = TypeVar("F", bound=Callable[..., Any])
POLL_SECONDS = 5  # `quoting worker`: between looks at the outbox


def _safe_url() -> str:
    url = database_url()
    return url.split("@")[-1] if "@" in url else url


def open_engine(*, require_current: bool = True) -> Engine:
    try:
        engine = make_engine()
        if require_current and not migrate.is_up_to_date(engine):
            engine.dispose()
            fail(f"the database {_safe_url()} is not at the latest schema: "
                 f"run `quoting db upgrade` (or `make run`)")
    except DBAPIError as exc:
        fail(f"cannot open the database {_safe_url()}: {exc.orig}")
    return engine


@contextmanager
def unit_of_work(source: str = "") -> Iterator[Session]:
    """One transaction; every domain refusal becomes exit status 2."""
    engine = open_engine()
    try:
        with Session(engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except QuoteInputError as exc:
                session.rollback()
                fail_input(exc, source or "input")
            except ServiceError as exc:
                session.rollback()
                fail(str(exc))
            except IntegrityError as exc:
                session.rollback()
                fail(f"refused by the database: {exc.orig}")
    finally:
        engine.dispose()


def acting_user(session: Session, email: str) -> User:
    try:
        return services.get_user(session, email)
    except ServiceError:
        fail(f"no active user {email}: create one with `quoting user create` or run "
             f"`quoting demo`; choose who acts with --as EMAIL or QUOTING_USER")


def with_actor(command: F) -> F:
    return click.option(
        "--as", "actor_email", envvar="QUOTING_USER", default=DEMO_SALES_EMAIL,
        show_default=True, help="Act as this user (env QUOTING_USER).",
    )(command)


def with_today(command: F) -> F:
    return click.option(
        "--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
        help="Act as if today were this date (default: today).",
    )(command)


def _day(value: Any) -> date | None:
    """--today, or None: the services then use each market's own today."""
    return value.date() if value is not None else None


def _print_quote_line(quote: Quote) -> None:
    click.echo(f"{quote.ref}  {quote.status}  revision {quote.current_revision}  "
               f"valid until {quote.valid_until}")


def warm_pdf(quote: Quote) -> None:
    """With QUEUE_URL, after the commit: a worker renders the draft's PDF into the cache
    the desk's preview reads (quoting.jobs.render_draft). Redis out of reach: a
    warning, nothing else (the preview asks again)."""
    queue_url = os.environ.get("QUEUE_URL", "").strip()
    if queue_url:
        from quoting import jobs

        jobs.enqueue_render(queue_url, quote.id, quote.current_revision)


def with_seen_revision(command: F) -> F:
    return click.option(
        "--revision", "seen_revision", type=click.IntRange(min=1), default=None,
        help="The revision you looked at; refused if the quote has moved on since.",
    )(command)


@click.group("db")
def db_group() -> None:
    """The database (DATABASE_URL, default instance/quoting.db)."""


@db_group.command("upgrade")
def db_upgrade() -> None:
    """Create the database or bring it to the latest schema."""
    engine = open_engine(require_current=False)
    try:
        migrate.upgrade(engine)
        click.echo(f"{_safe_url()}: schema at {migrate.current_revision(engine)}")
    except DBAPIError as exc:
        fail(f"cannot migrate {_safe_url()}: {exc.orig}")
    finally:
        engine.dispose()


@click.group("user")
def user_group() -> None:
    """Users: sales, finance, admin."""


@user_group.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Prompted for when not given.")
def user_create(email: str, name: str, role: str, password: str) -> None:
    """Create a user who can sign in and act on quotes."""
    with unit_of_work("user") as session:
        user = services.create_user(session, email, name, role, password)
        click.echo(f"created {user.role} user {user.email}")


@click.group("quote")
def quote_group() -> None:
    """Stored quotes: create, revise, send, and follow them."""


@quote_group.command("create")
@click.argument("request_file", metavar="REQUEST.json")
@with_actor
@with_today
def quote_create(request_file: str, actor_email: str, today: Any) -> None:
    """Price REQUEST.json and store it as a new quote (revision 1)."""
    raw = read_request(request_file)
    with unit_of_work(request_file) as session:
        quote = services.create_quote(session, raw, acting_user(session, actor_email),
                                      _day(today))
        _print_quote_line(quote)
    warm_pdf(quote)


@quote_group.command("revise")
@click.argument("number")
@click.argument("request_file", metavar="REQUEST.json")
@with_actor
@with_today
@with_seen_revision
def quote_revise(number: str, request_file: str, actor_email: str, today: Any,
                 seen_revision: int | None) -> None:
    """Store REQUEST.json as the next revision of NUMBER (number or draft reference)."""
    raw = read_request(request_file)
    with unit_of_work(request_file) as session:
        quote = services.revise_quote(session, number, raw,
                                      acting_user(session, actor_email), _day(today),
                                      seen_revision=seen_revision)
        _print_quote_line(quote)
    warm_pdf(quote)


@quote_group.command("duplicate")
@click.argument("number")
@with_actor
@with_today
def quote_duplicate(number: str, actor_email: str, today: Any) -> None:
    """Start a new quote from NUMBER's current request, priced today."""
    with unit_of_work() as session:
        quote = services.duplicate_quote(session, number, acting_user(session, actor_email),
                                         _day(today))
        _print_quote_line(quote)
    warm_pdf(quote)


@quote_group.command("delete")
@click.argument("reference")
@with_actor
@with_seen_revision
def quote_delete(reference: str, actor_email: str, seen_revision: int | None) -> None:
    """Delete a draft that was never sent (it has no number, so none is lost)."""
    with unit_of_work() as session:
        quote = services.delete_draft(session, reference, acting_user(session, actor_email),
                                      seen_revision=seen_revision)
        click.echo(f"{quote.ref}  deleted")


def _transition(name: str, doc: str, call: Callable[..., Quote],
                needs_reason: bool = False, takes_today: bool = False,
                takes_reason: bool = False) -> None:
    @click.argument("number")
    @with_actor
    @with_today
    @with_seen_revision
    def command(number: str, actor_email: str, today: Any, seen_revision: int | None,
                reason: str | None = None) -> None:
        with unit_of_work() as session:
            actor = acting_user(session, actor_email)
            kwargs: dict[str, Any] = {"seen_revision": seen_revision}
            if needs_reason or takes_reason:
                kwargs["reason"] = reason
            args: list[Any] = [session, number, actor]
            if takes_today:
                args.append(_day(today))
            quote = call(*args, **kwargs)
            _print_quote_line(quote)

    command.__doc__ = doc
    if needs_reason:
        command = click.option("--reason", required=True)(command)
    elif takes_reason:
        command = click.option("--reason", default=None)(command)
    quote_group.command(name)(command)


_transition("accept", "Record that the client accepted NUMBER.",
            services.accept_quote, takes_today=True)
_transition("decline", "Record that the client declined NUMBER.",
            services.decline_quote, takes_reason=True)
_transition("withdraw", "Withdraw NUMBER (we no longer offer it).",
            services.withdraw_quote, takes_reason=True)
_transition("approve", "Approve NUMBER's discount (finance or admin; not your own).",
            services.approve_discount, needs_reason=True)
_transition("reject", "Reject NUMBER's discount (finance or admin; not your own).",
            services.reject_discount, needs_reason=True)


@quote_group.command("show")
@click.argument("number")
@with_output_format
@with_actor
def quote_show(number: str, output_format: str, actor_email: str) -> None:
    """Show NUMBER with every revision."""
    with unit_of_work() as session:
        acting_user(session, actor_email)
        quote = services.get_quote(session, number)
        view = services.quote_view(session, quote)
        view["messages"] = services.outbox_view(session, quote)
    if output_format == "json":
        click.echo(json.dumps(view, indent=2, ensure_ascii=False))
        return
    click.echo(f"{view['reference']}  {view['status']}  ({view['market']})")
    client = view["client"]
    click.echo(f"  client: {client['legal_name']} ({client['tax_id']})")
    click.echo(f"  owner:  {view['owner']['email']}")
    click.echo(f"  date:   {view['quote_date']}, valid until {view['valid_until']}")
    for revision in view["revisions"]:
        marker = "*" if revision["revision"] == view["current_revision"] else " "
        sent = f"sent {revision['sent_at']}" if revision["sent_at"] else "not sent"
        click.echo(
            f" {marker} revision {revision['revision']}: program "
            f"{revision['program_total']['amount']} {revision['program_total']['currency']}"
            f", licenses {revision['license_total']['amount']} "
            f"{revision['license_total']['currency']}; rules {revision['rules_version']}; "
            f"by {revision['author']} {revision['created_at']}; {sent}")
        for rate in revision["exchange_rates"]:
            if rate["missing"]:
                click.echo(f"     rate {rate['pair']}: none on record")
            else:
                click.echo(f"     rate {rate['pair']} = {rate['rate']} "
                           f"({rate['source']}, {rate['date']})")
    for approval in view["approvals"]:
        click.echo(f"  discount {approval['decision']} on revision {approval['revision']} "
                   f"by {approval['by']}: {approval['reason']}")


@quote_group.command("list")
@click.option("--market")
@click.option("--status", type=click.Choice([s.value for s in QuoteStatus]))
@click.option("--owner", "owner_email")
@click.option("--client", "client_tax_id", help="Client tax ID.")
@click.option("--from", "date_from", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.option("--to", "date_to", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.option("--limit", type=click.IntRange(1, 500), default=50, show_default=True)
@click.option("--cursor", help="Cursor printed at the end of the previous page (the "
              "finance API's next_cursor works too).")
@with_output_format
@with_actor
def quote_list(market: str | None, status: str | None, owner_email: str | None,
               client_tax_id: str | None, date_from: Any, date_to: Any, limit: int,
               cursor: str | None, output_format: str, actor_email: str) -> None:
    """List quotes, newest quote date first: the finance API's list, filters and cursor."""
    with unit_of_work("list") as session:
        acting_user(session, actor_email)
        query = services.QuoteQuery(
            market=market.upper() if market else None, status=status,
            owner_email=owner_email,
            client_tax_id=services.compact_tax_id_for_query(market, client_tax_id)
            if client_tax_id else None,
            quote_date_from=date_from.date() if date_from else None,
            quote_date_to=date_to.date() if date_to else None,
        )
        page = services.list_history(session, query, limit=limit, cursor=cursor)
    if output_format == "json":
        click.echo(json.dumps({"items": page.items, "next_cursor": page.next_cursor},
                              indent=2, ensure_ascii=False))
        return
    _print_summaries(page)


@quote_group.command("history")
@click.argument("number")
@with_output_format
@with_actor
def quote_history(number: str, output_format: str, actor_email: str) -> None:
    """Every recorded event of NUMBER: who, when, what."""
    with unit_of_work() as session:
        acting_user(session, actor_email)
        events = [
            {"at": e.at.isoformat(), "actor": e.actor, "action": e.action,
             "revision": e.revision, "from": e.from_status, "to": e.to_status,
             "detail": e.detail}
            for e in services.quote_events(session, number)
        ]
    if output_format == "json":
        click.echo(json.dumps(events, indent=2, ensure_ascii=False))
        return
    for event in events:
        change = f" {event['from'] or '-'} -> {event['to']}" if event["to"] else ""
        detail = f" {json.dumps(event['detail'], ensure_ascii=False)}" if event[
            "detail"] else ""
        click.echo(f"{event['at']}  {event['actor']}  {event['action']} "
                   f"r{event['revision']}{change}{detail}")


@quote_group.command("link")
@click.argument("number")
@with_actor
@with_seen_revision
def quote_link(number: str, actor_email: str, seen_revision: int | None) -> None:
    """Make a private link for the client to open, accept or decline sent quote NUMBER
    (its current revision). The link is printed once: only its SHA-256 is kept. Its
    address starts with PUBLIC_URL (env; default http://127.0.0.1:8000)."""
    from quoting.web import SETTINGS  # the same setting and default as the web app

    setting = next(s for s in SETTINGS if s.name == "PUBLIC_URL")
    public_url = os.environ.get("PUBLIC_URL", "").strip() or str(setting.default)
    with unit_of_work() as session:
        link, token = services.create_client_link(
            session, number, acting_user(session, actor_email), seen_revision=seen_revision)
        number, revision, expires = str(link.quote.number), link.revision, link.expires_at
    click.echo(f"{number} revision {revision}: client link (shown once; valid until "
               f"{expires.isoformat()})")
    click.echo(services.client_link_url(public_url, token))


@click.command("expire")
@with_today
def expire(today: Any) -> None:
    """Expire sent quotes past their validity date (safe to run from cron)."""
    with unit_of_work() as session:
        numbers = services.expire_due(session, _day(today))
    click.echo(f"expired {len(numbers)} quote(s)" + (": " + ", ".join(numbers)
                                                     if numbers else ""))


@click.group("rates")
def rates_group() -> None:
    """Exchange rates used to print license amounts in program currency."""


@rates_group.command("import")
@click.argument("csv_file", metavar="FILE.csv")
@with_actor
def rates_import(csv_file: str, actor_email: str) -> None:
    """Import rates from a CSV with the header pair,date,rate,source (pair like USD/ARS)."""
    try:
        text = Path(csv_file).read_text(encoding="utf-8-sig")
    except OSError as exc:
        fail(f"{csv_file}: cannot read: {exc.strerror}")
    with unit_of_work(csv_file) as session:
        result = services.import_rates_csv(session, text,
                                           actor=acting_user(session, actor_email))
    click.echo(f"{csv_file}: {result.added} rate(s) added, {result.unchanged} already stored")


COMMANDS: tuple[click.Command, ...] = (db_group, user_group, quote_group, expire,
                                       rates_group)


def register(main: click.Group) -> None:
    for command in COMMANDS:
        main.add_command(command)


def _print_summaries(page: services.HistoryPage) -> None:
    if not page.items:
        click.echo("no quotes")
    for item in page.items:
        program, licenses = item["program"], item["licenses"]
        click.echo(f"{item['reference']:<14} {item['status']:<17} r{item['current_revision']} "
                   f"{item['quote_date']} {program['total']:>16} {program['currency']}  "
                   f"{licenses['total']:>12} {licenses['currency']}  {item['client']['name']}")
    if page.next_cursor:
        click.echo(f"more: --cursor {page.next_cursor}")


def demo_password() -> str:
    return os.environ.get("QUOTING_DEMO_PASSWORD", DEMO_PASSWORD_DEFAULT)


def store_demo(examples: list[Path]) -> None:
    """Migrate the database, create the demo users and store each example once."""
    engine = open_engine(require_current=False)
    try:
        migrate.upgrade(engine)
        with Session(engine, expire_on_commit=False) as session:
            users = {}
            for email, name, role in DEMO_USERS:
                try:
                    users[email] = services.get_user(session, email)
                except ServiceError:
                    users[email] = services.create_user(session, email, name, role,
                                                        demo_password())
            sales = users[DEMO_SALES_EMAIL]
            for path in examples:
                request = json.loads(path.read_text(encoding="utf-8"))
                taken = services.list_history(session, services.QuoteQuery(
                    market=request["market"], owner_email=sales.email,
                    client_tax_id=services.compact_tax_id_for_query(
                        request["market"], request["client"]["tax_id"])), limit=1)
                if not taken.items:
                    services.create_quote(session, request, sales)
            session.commit()
            page = services.list_history(session, services.QuoteQuery(owner_email=sales.email))
    except (QuoteInputError, ServiceError) as exc:
        fail(f"demo data could not be stored: {exc}")
    finally:
        engine.dispose()
    click.echo(f"===== stored quotes ({_safe_url()}) =====")
    click.echo(f"users ({', '.join(email for email, _, _ in DEMO_USERS)}), "
               f"demo password: {demo_password()}")
    _print_summaries(page)
    click.echo("try: .venv/bin/quoting quote show " + (page.items[0]["reference"]
                                                       if page.items else "D-00001"))
