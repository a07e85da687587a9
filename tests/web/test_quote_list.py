"""The quote list: search, filters, sorting, pages and status badges."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask.testing import FlaskClient

from quoting.store.models import Quote
from tests.web.conftest import OTHER_SALES


def _numbers(html: str) -> list[str]:
    return re.findall(r'class="quote-link" href="/quotes/([A-Z]{2}-\d{4}-\d{4})"', html)


def test_the_list_shows_every_quote_with_its_status_badge_and_market_formatted_totals(
        signed_in: FlaskClient, make_quote: Callable[..., Quote]) -> None:
    mx, cl = make_quote("MX"), make_quote("CL")
    html = signed_in.get("/").get_data(as_text=True)
    assert set(_numbers(html)) == {mx.ref, cl.ref}
    assert 'class="badge badge-draft">Borrador<' in html
    assert "$32.630.610" in html  # CLP: whole pesos, dot grouping
    assert "$873,930.08" in html  # MXN in es_MX


def test_searching_finds_quotes_by_client_name_number_or_tax_id(
        signed_in: FlaskClient, make_quote: Callable[..., Quote]) -> None:
    mx, cl = make_quote("MX"), make_quote("CL")
    assert _numbers(signed_in.get("/?q=andes").get_data(as_text=True)) == [cl.ref]
    assert _numbers(signed_in.get(f"/?q={mx.ref}").get_data(as_text=True)) == [mx.ref]
    assert _numbers(signed_in.get("/?q=76.086.428-5").get_data(as_text=True)) == [cl.ref]
    assert _numbers(signed_in.get("/?q=nothing-like-it").get_data(as_text=True)) == []


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


def test_the_list_sorts_and_pages(signed_in: FlaskClient,
                                  make_quote: Callable[..., Quote]) -> None:
    for market in ("MX", "CL", "PE", "ES", "CO", "EC", "AR"):
        make_quote(market)
    for _ in range(15):
        make_quote("MX")
    first = signed_in.get("/?sort=number").get_data(as_text=True)
    numbers = _numbers(first)
    assert len(numbers) == 20
    assert numbers == sorted(numbers)
    assert "Página 1 de 2" in first
    second = _numbers(signed_in.get("/?sort=number&page=2").get_data(as_text=True))
    assert len(second) == 2
    assert not set(second) & set(numbers)
