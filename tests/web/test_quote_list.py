"""The quote list: search, filters, sorting, pages and status badges."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask.testing import FlaskClient

from quoting.store.models import Quote
from tests.web.conftest import OTHER_SALES

DRAFT_REFERENCE = re.compile(r"D-\d{5}")


def _numbers(html: str) -> list[str]:
    """The quotes listed, in order: their numbers, or draft references before the first send."""
    return re.findall(r'class="quote-link" href="/quotes/([A-Z]{2}-\d{4}-\d{4}|D-\d{5})"', html)


def test_the_list_shows_every_quote_with_its_status_badge_and_market_formatted_totals(
        signed_in: FlaskClient, make_quote: Callable[..., Quote]) -> None:
    mx, cl = make_quote("MX"), make_quote("CL", sent=True)
    html = signed_in.get("/").get_data(as_text=True)
    assert set(_numbers(html)) == {mx.ref, cl.number}
    assert DRAFT_REFERENCE.fullmatch(mx.ref)  # a draft is listed by its draft reference
    assert re.fullmatch(r"CL-\d{4}-0001", cl.number or "")  # a sent quote by its number
    assert 'class="badge badge-draft">Borrador<' in html
    assert 'class="badge badge-sent">Enviada<' in html
    # Markets mix in the list: every amount carries its currency code, never a bare "$".
    assert "CLP\xa032.630.610" in html  # CLP: whole pesos, dot grouping
    assert "MXN\xa0873,930.08" in html  # MXN in es_MX


def test_searching_finds_quotes_by_client_name_number_or_tax_id(
        signed_in: FlaskClient, make_quote: Callable[..., Quote]) -> None:
    mx, cl, draft = make_quote("MX", sent=True), make_quote("CL"), make_quote("PE")
    assert _numbers(signed_in.get("/?q=andes").get_data(as_text=True)) == [cl.ref]
    assert _numbers(signed_in.get(f"/?q={mx.number}").get_data(as_text=True)) == [mx.number]
    assert _numbers(signed_in.get(f"/?q={draft.ref}").get_data(as_text=True)) == [draft.ref]
    assert _numbers(signed_in.get("/?q=76.086.428-5").get_data(as_text=True)) == [cl.ref]
    assert _numbers(signed_in.get("/?q=nothing-like-it").get_data(as_text=True)) == []


def test_searching_ignores_accents_and_case(
        signed_in: FlaskClient, make_quote: Callable[..., Quote]) -> None:
    cl, mx = make_quote("CL"), make_quote("MX")  # Viña Los Andes SpA, ... Norteño ...
    assert _numbers(signed_in.get("/?q=VINA los").get_data(as_text=True)) == [cl.ref]
    assert _numbers(signed_in.get("/?q=NORTENO").get_data(as_text=True)) == [mx.ref]
    assert _numbers(signed_in.get("/?q=norteño").get_data(as_text=True)) == [mx.ref]


def test_filters_narrow_the_list_by_market_status_and_owner(
        signed_in: FlaskClient, make_quote: Callable[..., Quote]) -> None:
    mx = make_quote("MX")
    pe = make_quote("PE", owner=OTHER_SALES)
    assert _numbers(signed_in.get("/?market=PE").get_data(as_text=True)) == [pe.ref]
    assert _numbers(signed_in.get(f"/?owner={OTHER_SALES}").get_data(as_text=True)) == [pe.ref]
    assert _numbers(signed_in.get("/?status=sent").get_data(as_text=True)) == []
    assert mx.ref in _numbers(signed_in.get("/?status=draft").get_data(as_text=True))


def test_bad_filter_values_are_ignored_or_explained_never_an_error(
        signed_in: FlaskClient, make_quote: Callable[..., Quote]) -> None:
    make_quote("MX")
    for query in ("?from=yesterday", "?status=bogus", "?market=ZZ", "?sort=evil", "?page=-3",
                  "?page=99999999999", "?q=%25%27%22<script>"):
        response = signed_in.get("/" + query)
        assert response.status_code == 200, query
    assert "2026-11-25" in signed_in.get("/?from=yesterday").get_data(as_text=True)


def test_the_list_sorts_and_pages_numbered_quotes_before_drafts(
        signed_in: FlaskClient, make_quote: Callable[..., Quote]) -> None:
    drafts = [make_quote(market).ref for market in ("MX", "CL", "PE", "ES", "CO", "EC", "AR")]
    drafts += [make_quote("MX").ref for _ in range(12)]
    numbered = sorted(make_quote(market, sent=True).number or "" for market in ("PE", "AR", "MX"))
    first = signed_in.get("/?sort=number").get_data(as_text=True)
    numbers = _numbers(first)
    assert len(numbers) == 20
    # Numbers in order, then the drafts (no number yet) oldest first.
    assert numbers == numbered + drafts[:17]
    assert "Página 1 de 2" in first
    second = _numbers(signed_in.get("/?sort=number&page=2").get_data(as_text=True))
    assert second == drafts[17:]
