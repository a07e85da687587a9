from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from quoting import services
from quoting.errors import QuoteInputError
from quoting.store.models import ExchangeRate, User
from tests.integration.conftest import QUOTE_DAY, example

RATES = """pair,date,rate,source
USD/ARS,2026-11-20,1010.50,Banco Nación vendedor
USD/ARS,2026-11-24,1052.25,Banco Nación vendedor
USD/ARS,2026-11-26,1080.00,Banco Nación vendedor
USD/MXN,2026-11-24,18.2453,Banxico FIX
"""


def test_importing_rates_stores_each_pair_and_date_exactly(session: Session) -> None:
    result = services.import_rates_csv(session, RATES)

    assert (result.added, result.unchanged) == (4, 0)
    stored = session.scalars(select(ExchangeRate).order_by(ExchangeRate.id)).all()
    assert [(r.pair, r.rate_date, r.rate, r.source) for r in stored][3] == (
        "USD/MXN", date(2026, 11, 24), "18.2453", "Banxico FIX")


def test_importing_the_same_file_again_changes_nothing(session: Session) -> None:
    services.import_rates_csv(session, RATES)

    result = services.import_rates_csv(session, RATES)

    assert (result.added, result.unchanged) == (0, 4)


def test_a_different_rate_for_a_stored_pair_and_date_is_refused(session: Session) -> None:
    services.import_rates_csv(session, RATES)

    with pytest.raises(QuoteInputError, match=r"line 2: USD/ARS on 2026-11-20 is already stored"):
        services.import_rates_csv(session, "pair,date,rate,source\n"
                                           "USD/ARS,2026-11-20,999,Banco Nación vendedor\n")


def test_every_malformed_row_is_named_by_line_and_nothing_is_stored(session: Session) -> None:
    text = ("pair,date,rate,source\n"
            "USD-ARS,2026-11-20,1000,BNA\n"
            "USD/ARS,20/11/2026,1000,BNA\n"
            "USD/ARS,2026-11-21,-3,BNA\n"
            "USD/XYZ,2026-11-21,3,BNA\n"
            "USD/ARS,2026-11-22,1000,\n"
            "USD/ARS,2026-11-23,1000,BNA\n")

    with pytest.raises(QuoteInputError) as raised:
        services.import_rates_csv(session, text)

    assert [p.field for p in raised.value.problems] == [
        "line 2", "line 3", "line 4", "line 5", "line 6"]
    assert session.scalars(select(ExchangeRate)).all() == []


def test_a_file_without_the_expected_header_is_refused(session: Session) -> None:
    with pytest.raises(QuoteInputError, match="expected the header pair,date,rate,source"):
        services.import_rates_csv(session, "USD/ARS,2026-11-20,1000,BNA\n")


def test_a_quote_stores_the_rate_in_force_on_its_date(session: Session, sales: User) -> None:
    services.import_rates_csv(session, RATES)

    quote = services.create_quote(session, example("ar"), sales, QUOTE_DAY)

    assert quote.revisions[0].exchange_rates == [{
        "pair": "USD/ARS", "base": "USD", "quote": "ARS", "rate": "1052.25",
        "source": "Banco Nación vendedor", "date": "2026-11-24", "missing": False}]


def test_the_stored_rate_does_not_follow_later_imports(session: Session, sales: User) -> None:
    services.import_rates_csv(session, RATES)
    quote = services.create_quote(session, example("ar"), sales, QUOTE_DAY)

    services.import_rates_csv(session, "pair,date,rate,source\n"
                                       "USD/ARS,2026-11-25,1100,Banco Nación vendedor\n")

    assert services.revision_snapshot(session, quote.ref)["exchange_rates"][0]["rate"] == (
        "1052.25")


def test_a_missing_rate_is_recorded_as_missing_not_guessed(session: Session,
                                                          sales: User) -> None:
    # Only the inverse pair is on record: it is not turned around.
    services.import_rates_csv(session, "pair,date,rate,source\nARS/USD,2026-11-24,0.00095,BNA\n")

    quote = services.create_quote(session, example("ar"), sales, QUOTE_DAY)

    assert quote.revisions[0].exchange_rates == [{
        "pair": "USD/ARS", "base": "USD", "quote": "ARS", "rate": None, "source": None,
        "date": None, "missing": True}]


def test_no_rate_is_needed_when_program_and_licenses_share_a_currency(
        session: Session, sales: User) -> None:
    quote = services.create_quote(session, example("ec"), sales, QUOTE_DAY)

    assert quote.revisions[0].exchange_rates == []
