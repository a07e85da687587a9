"""The desk's home page, approval inbox, notes and follow-up day on a quote, quote
templates and the list as CSV, walked with the Flask test client (Spanish, the
default language)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import Engine

from quoting.i18n import market_today
from quoting.store.models import Quote
from quoting.store.workbench import NOTE_MAX_LENGTH
from quoting.web import create_app
from tests.web.conftest import FINANCE, OTHER_SALES, PASSWORD, SALES, app_config, example

FORMULA = '=HYPERLINK("http://x","y")'


def _page(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def _rows(response_bytes: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response_bytes.decode("utf-8-sig"))))


def _list_refs(client: FlaskClient, query: str) -> list[str]:
    refs: list[str] = []
    page = 1
    while True:
        html = _page(client, f"/?{query}&page={page}")
        refs += re.findall(r'class="quote-link" href="/quotes/[^"]+">([^<]+)</a>', html)
        if "Siguiente" not in html:
            return refs
        page += 1


# ---------------------------------------------------------------- home and nav


def test_the_home_page_shows_my_open_quotes_with_currency_codes_and_comes_first_in_the_nav(
        signed_in: FlaskClient, make_quote: Callable[..., Quote]) -> None:
    mine = make_quote("MX")
    theirs = make_quote("MX", owner=OTHER_SALES)

    page = _page(signed_in, "/home")

    assert "<h1>Inicio</h1>" in page
    open_section = page.split('data-testid="home-open"')[1].split("</section>")[0]
    assert mine.ref in open_section
    assert theirs.ref not in open_section
    assert "MXN" in open_section
    nav = page.split('class="mainnav"')[1].split("</nav>")[0]
    assert nav.index('href="/home"') < nav.index('href="/"')
    assert "Esperando mi aprobación" not in page  # a sales user decides no discount
    assert 'href="/inbox"' not in nav


def test_the_home_page_lists_what_expires_this_week_and_follow_ups_due(
        signed_in: FlaskClient, make_quote: Callable[..., Quote]) -> None:
    sent = make_quote("MX", sent=True)
    draft = make_quote("MX")
    today = market_today("MX")
    signed_in.post(f"/quotes/{draft.ref}/follow-up",
                   data={"action": "set", "follow_up_on": today.isoformat()})

    page = _page(signed_in, "/home")

    follow_ups = page.split('data-testid="home-follow-ups"')[1].split("</section>")[0]
    assert draft.ref in follow_ups
    assert sent.ref not in follow_ups
    expiring = page.split('data-testid="home-expiring"')[1].split("</section>")[0]
    # The example's validity is longer than a week: nothing expires yet.
    assert sent.valid_until > today + timedelta(days=7)
    assert sent.ref not in expiring
    assert "Ninguna de tus cotizaciones enviadas vence" in expiring


def test_finance_sees_the_discounts_it_may_decide_in_the_inbox_with_amounts_and_author(
        sign_in: Callable[..., FlaskClient], make_quote: Callable[..., Quote]) -> None:
    waiting = make_quote("MX", discount_percent="15")
    own = make_quote("MX", owner=FINANCE, discount_percent="15")
    client = sign_in(FINANCE)

    page = _page(client, "/inbox")
    home = _page(client, "/home")

    row = page.split(f'data-testid="inbox-{waiting.ref}"')[1].split("</tr>")[0]
    assert waiting.client_name in row
    assert "MXN" in row
    assert "15 %" in row
    assert "Ana Ventas" in row
    assert SALES in row
    assert own.ref not in page  # four eyes: never a quote they own
    assert waiting.ref in home.split('data-testid="home-waiting"')[1]
    assert '<th scope="col">Esperando desde</th>' in page
    assert 'href="/inbox"' in page.split('class="mainnav"')[1].split("</nav>")[0]


def test_a_sales_user_is_refused_the_inbox(signed_in: FlaskClient) -> None:
    response = signed_in.get("/inbox")
    assert response.status_code == 403
    assert "Solo los usuarios de finanzas o administración deciden" in response.get_data(
        as_text=True)


# ---------------------------------------------------------------- notes


def test_a_note_is_added_with_its_author_and_shown_newest_first(
        signed_in: FlaskClient, make_quote: Callable[..., Quote]) -> None:
    quote = make_quote("MX")
    first = signed_in.post(f"/quotes/{quote.ref}/notes", data={"note": "Llamé al CFO"})
    signed_in.post(f"/quotes/{quote.ref}/notes", data={"note": "Pide <b>otra</b> fecha"})

    assert first.status_code == 302
    assert first.headers["Location"].endswith(f"/quotes/{quote.ref}#notes")
    page = _page(signed_in, f"/quotes/{quote.ref}")
    notes = page.split('data-testid="notes"')[1].split("</section>")[0]
    assert notes.index("Pide &lt;b&gt;otra&lt;/b&gt; fecha") < notes.index("Llamé al CFO")
    assert "Ana Ventas" in notes
    assert '<label class="field">' in notes
    assert "Nueva nota" in notes


def test_an_empty_or_too_long_note_is_refused_beside_the_field_keeping_what_was_typed(
        signed_in: FlaskClient, make_quote: Callable[..., Quote]) -> None:
    quote = make_quote("MX")
    long_note = "Mucho texto " * (NOTE_MAX_LENGTH // 10)

    too_long = signed_in.post(f"/quotes/{quote.ref}/notes", data={"note": long_note})
    empty = signed_in.post(f"/quotes/{quote.ref}/notes", data={"note": "   "})

    assert too_long.status_code == 422
    page = too_long.get_data(as_text=True)
    assert f"Una nota tiene como máximo {NOTE_MAX_LENGTH} caracteres" in page
    assert long_note.strip() in page
    assert 'aria-invalid="true" aria-describedby="err-note"' in page
    assert empty.status_code == 422
    assert "Escribe la nota antes de agregarla." in empty.get_data(as_text=True)
    assert "Aún no hay notas." in _page(signed_in, f"/quotes/{quote.ref}")


# ---------------------------------------------------------------- follow-up day


def test_the_owner_sets_and_clears_the_follow_up_day_and_the_activity_records_it(
        signed_in: FlaskClient, make_quote: Callable[..., Quote]) -> None:
    quote = make_quote("MX")
    day = market_today("MX") + timedelta(days=2)

    set_ = signed_in.post(f"/quotes/{quote.ref}/follow-up",
                          data={"action": "set", "follow_up_on": day.isoformat()})
    page = _page(signed_in, f"/quotes/{quote.ref}")
    cleared = signed_in.post(f"/quotes/{quote.ref}/follow-up", data={"action": "clear"})

    assert set_.status_code == cleared.status_code == 302
    assert "Día de seguimiento fijado." in page
    assert f'value="{day.isoformat()}"' in page
    assert "Fecha de seguimiento fijada" in page  # the audit trail has it, in words
    assert "Sin día de seguimiento." in _page(signed_in, f"/quotes/{quote.ref}")


def test_a_follow_up_day_badly_written_missing_or_past_is_explained_beside_the_field(
        signed_in: FlaskClient, make_quote: Callable[..., Quote]) -> None:
    quote = make_quote("MX")
    yesterday = market_today("MX") - timedelta(days=1)
    answers = {typed: signed_in.post(f"/quotes/{quote.ref}/follow-up",
                                     data={"action": "set", "follow_up_on": typed})
               for typed in ("25/12/2026", "", yesterday.isoformat())}

    assert {response.status_code for response in answers.values()} == {422}
    assert "Escribe el día como 2026-11-25" in answers["25/12/2026"].get_data(as_text=True)
    assert 'value="25/12/2026"' in answers["25/12/2026"].get_data(as_text=True)
    assert "Elige el día del seguimiento." in answers[""].get_data(as_text=True)
    assert "Ese día ya pasó" in answers[yesterday.isoformat()].get_data(as_text=True)


def test_finance_cannot_set_the_follow_up_day_of_someone_elses_quote(
        sign_in: Callable[..., FlaskClient], make_quote: Callable[..., Quote]) -> None:
    quote = make_quote("MX")
    client = sign_in(FINANCE)

    page = _page(client, f"/quotes/{quote.ref}")
    refused = client.post(f"/quotes/{quote.ref}/follow-up",
                          data={"action": "set", "follow_up_on": market_today("MX").isoformat()},
                          follow_redirects=True)

    assert "Fijar día de seguimiento" not in page
    assert "Solo quien es dueño de la cotización o un administrador" in refused.get_data(
        as_text=True)


# ---------------------------------------------------------------- templates


def test_a_quote_saved_as_a_template_starts_a_prefilled_new_quote_without_the_client(
        signed_in: FlaskClient, make_quote: Callable[..., Quote]) -> None:
    quote = make_quote("MX")
    saved = signed_in.post(f"/quotes/{quote.ref}/template", data={"name": "Industria 8 semanas"})
    listing = _page(signed_in, "/templates")
    template_id = re.search(r'data-testid="template-(\d+)"', listing).group(1)  # type: ignore[union-attr]

    form = _page(signed_in, f"/templates/new-quote?id={template_id}")

    assert saved.status_code == 302
    assert "Industria 8 semanas" in listing
    assert quote.ref in listing
    assert 'action="/quotes/new"' in form
    assert 'name="client_name" value=""' in form
    assert 'name="participants_technical" value="12"' in form
    assert "Iniciada desde la plantilla “Industria 8 semanas”" in form
    request = example("MX")
    created = signed_in.post("/quotes/new", data={
        **dict(_form_fields(form).items()),
        "client_name": request["client"]["name"], "client_tax_id": request["client"]["tax_id"],
        "action": "save"})
    assert created.status_code == 302, created.get_data(as_text=True)[:2000]


def _form_fields(html: str) -> dict[str, str | list[str]]:
    """The named inputs, selects and textareas of the quote form as a browser posts them."""
    form = html.split('id="quote-form"')[1].split("</form>")[0]
    fields: dict[str, str | list[str]] = {}

    def put(name: str, value: str) -> None:
        if name in fields:
            existing = fields[name]
            fields[name] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            fields[name] = value

    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'\sname="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name and "disabled" not in tag and 'type="search"' not in tag:
            if ('type="radio"' in tag or 'type="checkbox"' in tag) and "checked" not in tag:
                continue
            put(name.group(1), value.group(1) if value else "")
    for name, options in re.findall(r'<select[^>]*\sname="([^"]+)"[^>]*>(.*?)</select>', form,
                                    re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]*\sselected', options) or re.search(
            r'<option value="([^"]*)"', options)
        put(name, chosen.group(1) if chosen else "")
    for name, text in re.findall(r'<textarea[^>]*\sname="([^"]+)"[^>]*>(.*?)</textarea>', form,
                                 re.S):
        put(name, text)
    return fields


def test_a_template_name_empty_or_taken_is_refused_beside_the_field(
        signed_in: FlaskClient, make_quote: Callable[..., Quote]) -> None:
    quote = make_quote("MX")
    signed_in.post(f"/quotes/{quote.ref}/template", data={"name": "Banca"})

    taken = signed_in.post(f"/quotes/{quote.ref}/template", data={"name": "BANCA"})
    empty = signed_in.post(f"/quotes/{quote.ref}/template", data={"name": "  "})

    assert taken.status_code == empty.status_code == 422
    assert "Ya tienes una plantilla llamada “BANCA”" in taken.get_data(as_text=True)
    assert 'aria-describedby="err-template-name"' in taken.get_data(as_text=True)
    assert "Ponle un nombre a la plantilla." in empty.get_data(as_text=True)


def test_the_author_deletes_a_template_and_an_unknown_one_is_not_found(
        signed_in: FlaskClient, make_quote: Callable[..., Quote]) -> None:
    quote = make_quote("MX")
    signed_in.post(f"/quotes/{quote.ref}/template", data={"name": "Borrar"})
    template_id = re.search(r'data-testid="template-(\d+)"',  # type: ignore[union-attr]
                            _page(signed_in, "/templates")).group(1)

    deleted = signed_in.post("/templates/delete", data={"id": template_id},
                             follow_redirects=True)

    assert "Plantilla “Borrar” eliminada." in deleted.get_data(as_text=True)
    assert signed_in.get(f"/templates/new-quote?id={template_id}").status_code == 404
    assert signed_in.get("/templates/new-quote?id=abc").status_code == 404
    assert signed_in.post("/templates/delete", data={"id": "x"}).status_code == 404


# ---------------------------------------------------------------- own quotes only


def test_with_own_quotes_only_another_sales_user_reaches_none_of_it(
        engine: Engine, make_quote: Callable[..., Quote]) -> None:
    quote = make_quote("MX")
    owner = create_app(app_config(engine, SALES_OWN_QUOTES_ONLY=True)).test_client()
    owner.post("/login", data={"email": SALES, "password": PASSWORD})
    owner.post(f"/quotes/{quote.ref}/template", data={"name": "Privada"})
    other = create_app(app_config(engine, SALES_OWN_QUOTES_ONLY=True)).test_client()
    other.post("/login", data={"email": OTHER_SALES, "password": PASSWORD})

    assert other.post(f"/quotes/{quote.ref}/notes", data={"note": "x"}).status_code == 404
    assert other.post(f"/quotes/{quote.ref}/follow-up",
                      data={"action": "clear"}).status_code == 404
    assert other.post(f"/quotes/{quote.ref}/template", data={"name": "y"}).status_code == 404
    assert "Privada" not in _page(other, "/templates")
    assert _rows(other.get("/quotes.csv").data) == []
    assert [row["Número"] for row in _rows(owner.get("/quotes.csv").data)] == [quote.ref]


# ---------------------------------------------------------------- the list as CSV


def test_the_csv_has_exactly_the_rows_of_the_filtered_list_across_all_pages(
        signed_in: FlaskClient, make_quote: Callable[..., Quote]) -> None:
    for _ in range(22):
        make_quote("MX")
    make_quote("MX", owner=OTHER_SALES)
    make_quote("CL")
    query = f"market=MX&owner={SALES}&sort=-date"

    response = signed_in.get(f"/quotes.csv?{query}")
    rows = _rows(response.data)

    assert response.headers["Content-Disposition"].startswith('attachment; filename="quotes-')
    assert response.mimetype == "text/csv"
    assert [row["Número"] for row in rows] == _list_refs(signed_in, query)
    assert len(rows) == 22
    assert {row["Moneda del programa"] for row in rows} == {"MXN"}
    assert all(re.fullmatch(r"[0-9]+\.[0-9]{2}", row["Total del programa"]) for row in rows)
    link = re.search(r'href="([^"]+)"[^>]*data-testid="download-csv"',
                     _page(signed_in, f"/?{query}"))
    assert link is not None
    assert "market=MX" in link.group(1)


def test_the_csv_follows_search_and_bad_filters_as_the_list_does(
        signed_in: FlaskClient, make_quote: Callable[..., Quote]) -> None:
    mexican = make_quote("MX")
    chilean = make_quote("CL")

    searched = _rows(signed_in.get(f"/quotes.csv?q={chilean.client_name[:6]}").data)
    ignored = _rows(signed_in.get("/quotes.csv?market=ZZ&from=25-11-2026&sort=nope").data)

    assert [row["Número"] for row in searched] == [chilean.ref]
    assert {row["Número"] for row in ignored} == {mexican.ref, chilean.ref}
    assert [row["Número"] for row in ignored] == _list_refs(
        signed_in, "market=ZZ&from=25-11-2026&sort=nope")


def test_a_client_name_that_is_a_formula_is_written_as_text_in_the_csv(
        signed_in: FlaskClient, make_quote: Callable[..., Quote]) -> None:
    make_quote("CL", client={**example("CL")["client"], "name": FORMULA})

    [row] = _rows(signed_in.get("/quotes.csv").data)

    assert row["Cliente"] == "'" + FORMULA
    assert row["Moneda del programa"] == "CLP"
    assert row["Fecha"][0].isdigit()
    assert row["Estado"] == "Borrador"


# ---------------------------------------------------------------- CSRF


def test_every_new_form_post_needs_the_csrf_token(
        engine: Engine, make_quote: Callable[..., Quote]) -> None:
    quote = make_quote("MX")
    client = create_app(app_config(engine, WTF_CSRF_ENABLED=True)).test_client()
    login = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)  # type: ignore[union-attr]
    client.post("/login", data={"email": SALES, "password": PASSWORD, "csrf_token": token})

    for url, data in ((f"/quotes/{quote.ref}/notes", {"note": "x"}),
                      (f"/quotes/{quote.ref}/follow-up", {"action": "clear"}),
                      (f"/quotes/{quote.ref}/template", {"name": "x"}),
                      ("/templates/delete", {"id": "1"})):
        assert client.post(url, data=data).status_code == 400, url
    page = _page(client, f"/quotes/{quote.ref}")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    added = client.post(f"/quotes/{quote.ref}/notes", data={"note": "ok", "csrf_token": token})
    assert added.status_code == 302


def test_the_new_pages_speak_the_interface_language(
        sign_in: Callable[..., FlaskClient]) -> None:
    client = sign_in(FINANCE)
    expected = {"pt": ("Início", "Aguardando minha aprovação", "Modelos"),
                "en": ("Home", "Waiting for my approval", "Templates")}
    for language, (home, inbox, templates) in expected.items():
        client.post("/language", data={"language": language, "next": "/home"})
        assert f"<h1>{home}</h1>" in _page(client, "/home")
        assert f"<h1>{inbox}</h1>" in _page(client, "/inbox")
        assert f"<h1>{templates}</h1>" in _page(client, "/templates")


def test_the_quote_s_activity_names_a_follow_up_in_words(
        signed_in: FlaskClient, make_quote: Callable[..., Quote]) -> None:
    draft = make_quote("MX")
    day = market_today("MX").isoformat()
    signed_in.post(f"/quotes/{draft.ref}/follow-up", data={"action": "set", "follow_up_on": day})
    signed_in.post(f"/quotes/{draft.ref}/follow-up", data={"action": "clear"})
    page = _page(signed_in, f"/quotes/{draft.ref}")
    assert "Fecha de seguimiento fijada" in page
    assert "Fecha de seguimiento quitada" in page
    assert "follow_up." not in page
