"""A link superseded by a later sent revision says so, and can have the current
proposal emailed again, only to the addresses it was itself emailed to."""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from quoting import services
from quoting.store.models import Quote
from quoting.store.outbox import OutboxMessage
from quoting.web import create_app
from tests.web.conftest import SALES, app_config, example

PUBLIC = "https://quotes.example.com"


def _emailed(engine: Engine, ref: str) -> str:
    with Session(engine, expire_on_commit=False) as session:
        message = services.send_to_client(
            session, ref, services.get_user(session, SALES),
            recipients="compras@cliente.example", subject=None, body=None,
            seen_revision=None, public_url=PUBLIC)
        session.commit()
    return message.body.split(f"{PUBLIC}/p/")[1].split()[0]


def _revised_and_sent(engine: Engine, quote: Quote) -> None:
    with Session(engine, expire_on_commit=False) as session:
        owner = services.get_user(session, SALES)
        request = {**example("MX"), "discount_percent": "2"}
        services.revise_quote(session, str(quote.number), request, owner)
        session.commit()
        services.send_quote(session, str(quote.number), owner)
        session.commit()


def _proposals_to_client(engine: Engine) -> list[OutboxMessage]:
    with Session(engine) as session:
        return list(session.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == "proposal").order_by(OutboxMessage.id)))


def test_a_superseded_link_says_when_and_emails_the_current_proposal_once_an_hour(
        engine: Engine, make_quote: Callable[..., Quote], tmp_path: Path) -> None:
    app = create_app(app_config(engine, PUBLIC_URL=PUBLIC, OUTBOX_DIR=str(tmp_path)))
    client = app.test_client()
    quote = make_quote("MX", sent=True)
    old_token = _emailed(engine, quote.ref)
    _revised_and_sent(engine, quote)

    page = client.get(f"/p/{old_token}")

    assert page.status_code == 410
    text = html.unescape(page.get_data(as_text=True))
    assert "La revisión 2 de esta propuesta la reemplazó el" in text
    assert 'data-testid="resend-current"' in text

    sent = client.post(f"/p/{old_token}/current")
    again = client.post(f"/p/{old_token}/current")

    assert sent.status_code == 200
    assert again.status_code == 409
    assert "hace menos de una hora" in html.unescape(again.get_data(as_text=True))
    first, resent = _proposals_to_client(engine)
    assert first.revision == 1
    assert (resent.recipients, resent.revision) == (["compras@cliente.example"], 2)
    new_token = resent.body.split(f"{PUBLIC}/p/")[1].split()[0]
    assert new_token != old_token
    assert client.get(f"/p/{new_token}").status_code == 200


def test_a_link_never_emailed_cannot_have_the_current_proposal_sent(
        engine: Engine, make_quote: Callable[..., Quote], tmp_path: Path) -> None:
    app = create_app(app_config(engine, PUBLIC_URL=PUBLIC, OUTBOX_DIR=str(tmp_path)))
    quote = make_quote("MX", sent=True)
    with Session(engine) as session:
        _link, token = services.create_client_link(session, quote.ref,
                                                   services.get_user(session, SALES))
        session.commit()
    _revised_and_sent(engine, quote)

    response = app.test_client().post(f"/p/{token}/current")

    assert response.status_code == 409
    assert "no se envió por correo" in html.unescape(response.get_data(as_text=True))
    assert _proposals_to_client(engine) == []
