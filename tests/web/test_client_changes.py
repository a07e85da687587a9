"""The client's page says what changed since the revision sent before: in the
page's language (Spain's Spanish says "presupuesto"), with the figures as each
revision's PDF prints them; the first revision's page has no such section."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from quoting import services
from quoting.documents.context import build_context
from quoting.i18n import MARKET_TIMEZONES, document_date_locale, format_long_date
from quoting.store.models import Quote
from tests.web.conftest import SALES, example

ROW = re.compile(r'<tr class="[^"]*">\s*<th scope="row">(.*?)</th>\s*'
                 r'<td[^>]*>(.*?)</td>\s*<td[^>]*>(.*?)</td>\s*</tr>', re.S)


def _link(engine: Engine, ref: str) -> str:
    with Session(engine) as session:
        _made, token = services.create_client_link(session, ref,
                                                   services.get_user(session, SALES))
        session.commit()
    return token


def _revise_and_send(engine: Engine, ref: str, market: str, **changes: object) -> None:
    request = {**example(market), **changes}
    with Session(engine) as session:
        author = services.get_user(session, SALES)
        services.revise_quote(session, ref, request, author)
        session.commit()
        services.send_quote(session, ref, author)
        session.commit()


def _section(page: str) -> str | None:
    found = re.search(r'<section class="cpanel changes".*?</section>', page, re.S)
    return found.group(0) if found else None


def _rows(section: str) -> dict[str, tuple[str, str]]:
    def text(fragment: str) -> str:
        plain = html.unescape(re.sub(r"<[^>]+>", " ", fragment))
        return re.sub(r"[ \t\n]+", " ", plain).strip()  # no-break spaces kept

    return {text(label): (text(before), text(after))
            for label, before, after in ROW.findall(section)}


@pytest.mark.parametrize(("market", "language", "words"), [
    ("ES", "es", {"title": "Cambios desde la revisión 1 (enviada el {date})",
                  "lead": "Lo que cambia en este presupuesto respecto del enviado antes",
                  "weeks": "Duración del programa",
                  "technical": "Participantes, itinerario Técnico",
                  "total": "Total del programa", "valid": "Válido hasta",
                  "before": "Antes: revisión 1", "after": "Ahora: revisión 2",
                  "week": "{num} semanas"}),
    ("MX", "en", {"title": "Changes since revision 1 (sent on {date})",
                  "lead": "What is different in this proposal from the one sent before",
                  "weeks": "Program length", "technical": "Participants, Technical track",
                  "total": "Program total", "valid": "Valid until",
                  "before": "Before: revision 1", "after": "Now: revision 2",
                  "week": "{num} weeks"}),
    ("MX", "es", {"title": "Cambios desde la revisión 1 (enviada el {date})",
                  "lead": "Lo que cambia en esta propuesta respecto de la enviada antes",
                  "weeks": "Duración del programa",
                  "technical": "Participantes, itinerario Técnico",
                  "total": "Total del programa", "valid": "Válida hasta",
                  "before": "Antes: revisión 1", "after": "Ahora: revisión 2",
                  "week": "{num} semanas"}),
])
def test_revision_2_s_page_lists_what_changed_since_revision_1_and_revision_1_s_does_not(
        client: FlaskClient, engine: Engine, make_quote: Callable[..., Quote],
        market: str, language: str, words: dict[str, str]) -> None:
    quote = make_quote(market, sent=True, language=language)
    ref = str(quote.number)
    first = html.unescape(client.get(f"/p/{_link(engine, ref)}").get_data(as_text=True))
    assert _section(first) is None
    assert 'data-testid="changes"' not in first

    request = example(market)
    participants = {**request["participants"],
                    "technical": request["participants"]["technical"] + 3}
    _revise_and_send(engine, ref, market, language=language, participants=participants,
                     duration_weeks=request["duration_weeks"] + 2, valid_days=45,
                     internal_owner="Nadie")
    response = client.get(f"/p/{_link(engine, ref)}")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    section = _section(page)
    assert section is not None
    text = html.unescape(section)
    with Session(engine) as session:
        stored = services.get_quote(session, ref)
        sent_at = stored.revisions[0].sent_at
        old, new = (build_context(services.revision_snapshot(session, ref, number))
                    for number in (1, 2))
    assert sent_at is not None
    day = format_long_date(sent_at.astimezone(ZoneInfo(MARKET_TIMEZONES[market])).date(),
                           document_date_locale(market, language))
    assert words["title"].format(date=day) in text
    assert words["lead"] in text
    assert words["before"] in text
    assert words["after"] in text
    # The section comes before the proposal, in the page's language.
    assert page.index('data-testid="changes"') < page.index('<article class="sheet proposal"')
    assert f'<html lang="{language}">' in page

    rows = _rows(section)
    weeks = request["duration_weeks"]
    assert rows[words["weeks"]] == (words["week"].format(num=weeks),
                                    words["week"].format(num=weeks + 2))
    technical = request["participants"]["technical"]
    assert rows[words["technical"]] == (str(technical), str(technical + 3))
    # The figures as each revision's PDF prints them (market formats, its symbols).
    assert rows[words["total"]] == (old["program"]["total"], new["program"]["total"])
    assert old["program"]["total"] != new["program"]["total"]
    assert rows[words["valid"]] == (old["valid_until"], new["valid_until"])
    # Unchanged figures are not listed; nothing internal is.
    assert old["licenses"]["total"] not in text
    assert "Nadie" not in text
    assert "ana@example.com" not in text
    assert "Ana Ventas" not in text
