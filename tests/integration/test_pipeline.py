"""The pipeline dashboard's figures and the exchange-rate drift, on a stored database
(quoting.services.pipeline)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

from quoting import services
from quoting.errors import QuoteInputError
from quoting.services.exchange_drift import exchange_drift
from quoting.services.pipeline import PipelineFilters, pipeline
from quoting.store.models import Quote, User
from tests.integration.conftest import NOW, QUOTE_DAY, example

RATES = ("pair,date,rate,source\n"
         "USD/MXN,2026-11-20,20.00,Banxico FIX\n")


@pytest.fixture
def make_quote(session: Session, sales: User) -> Callable[..., Quote]:
    """A stored quote from a market's example, walked to `status` at `now`."""

    def make(market: str = "MX", status: str = "draft", *, owner: User | None = None,
             day: date = QUOTE_DAY, accepted_after_days: int = 0, **overrides: Any) -> Quote:
        author = owner or sales
        overrides.setdefault("date", day.isoformat())
        overrides.setdefault("discount_percent", "0")
        now = NOW.replace(year=day.year, month=day.month, day=day.day)
        quote = services.create_quote(session, example(market, **overrides), author, day,
                                      now=now)
        if status in {"sent", "accepted", "declined", "expired"}:
            services.send_quote(session, quote.ref, author, day, now=now)
        if status == "accepted":
            later = now + timedelta(days=accepted_after_days)
            services.accept_quote(session, quote.ref, author, day, now=later)
        if status == "declined":
            services.decline_quote(session, quote.ref, author, now=now)
        if status == "expired":
            services.expire_due(session, quote.valid_until + timedelta(days=1))
        session.commit()
        return quote

    return make


def row(rows: list[dict[str, Any]], key: str) -> dict[str, Any]:
    return next(r for r in rows if r["key"] == key)


def test_quotes_and_amounts_are_counted_by_status_market_owner_and_month_per_currency(
        session: Session, make_quote: Callable[..., Quote], sales: User) -> None:
    make_quote("MX", "sent")
    make_quote("MX", "accepted")
    make_quote("AR", day=date(2026, 10, 5))

    report = pipeline(session, PipelineFilters(), today=QUOTE_DAY)

    assert report["count"] == 3
    mexico = row(report["by_market"], "MX")
    assert mexico["count"] == 2
    assert mexico["program_totals"] == [{"currency": "MXN", "amount": "1899848.00"}]
    assert mexico["license_totals"] == [{"currency": "USD", "amount": "74833.92"}]
    # Never adds pesos to pesos of another country: one line per currency.
    assert [m["currency"] for m in report["program_totals"]] == ["ARS", "MXN"]
    assert row(report["by_status"], "sent")["count"] == 1
    assert row(report["by_month"], "2026-10")["count"] == 1
    assert report["by_owner"] == [{**report["by_owner"][0], "key": sales.email,
                                   "name": sales.name, "count": 3}]
    assert "converted_total" not in mexico
    assert report["converted"] is None


def test_the_period_market_and_owner_filters_narrow_every_figure(
        session: Session, make_quote: Callable[..., Quote],
        make_user: Callable[..., User]) -> None:
    other = make_user("sales", "other@example.com")
    make_quote("MX", "sent")
    make_quote("MX", owner=other)
    make_quote("AR", day=date(2026, 10, 5))

    in_november = pipeline(session, PipelineFilters(date_from=date(2026, 11, 1),
                                                    date_to=date(2026, 11, 30)))
    assert in_november["count"] == 2
    assert pipeline(session, PipelineFilters(market="AR"))["count"] == 1
    assert pipeline(session, PipelineFilters(owner_email="other@example.com"))["count"] == 1
    # A sales user restricted to their own quotes (SALES_OWN_QUOTES_ONLY).
    assert pipeline(session, PipelineFilters(owner_id=other.id))["count"] == 1


def test_win_rate_counts_accepted_over_accepted_declined_and_expired(
        session: Session, make_quote: Callable[..., Quote]) -> None:
    make_quote("MX", "accepted")
    make_quote("MX", "declined")
    make_quote("MX", "expired")
    make_quote("MX", "sent")  # still open: not an outcome
    make_quote("MX", "withdrawn")

    win = pipeline(session, PipelineFilters())["win_rate"]

    assert win == {"definition": "accepted / (accepted + declined + expired)",
                   "accepted": 1, "declined": 1, "expired": 1, "decided": 3,
                   "rate": "0.3333"}


def test_no_decided_quote_means_no_win_rate_rather_than_zero(
        session: Session, make_quote: Callable[..., Quote]) -> None:
    make_quote("MX", "sent")

    assert pipeline(session, PipelineFilters())["win_rate"]["rate"] is None


def test_median_days_from_first_sending_to_acceptance(
        session: Session, make_quote: Callable[..., Quote]) -> None:
    make_quote("MX", "accepted", accepted_after_days=3)
    make_quote("MX", "accepted", accepted_after_days=6)
    make_quote("AR", "accepted", accepted_after_days=1)
    make_quote("MX", "sent")

    days = pipeline(session, PipelineFilters())["days_to_accept"]

    assert (days["count"], days["median"]) == (3, "3")
    assert pipeline(session, PipelineFilters(market="MX"))["days_to_accept"]["median"] == "4.5"


def test_discounts_fall_in_buckets_by_the_current_revision(
        session: Session, make_quote: Callable[..., Quote]) -> None:
    make_quote("MX", discount_percent="0")
    make_quote("MX", discount_percent="5")
    make_quote("MX", discount_percent="8")
    make_quote("MX", discount_percent="12.5")

    buckets = {b["key"]: b["count"] for b in pipeline(session, PipelineFilters())["discounts"]}

    assert buckets == {"0": 1, "0-5": 1, "5-10": 1, "10-15": 1, "15-20": 0, ">20": 0}


def test_quotes_expiring_soon_are_sent_quotes_valid_until_within_the_days_asked(
        session: Session, make_quote: Callable[..., Quote]) -> None:
    soon = make_quote("MX", "sent")
    make_quote("MX")  # a draft: not waiting on the client
    today = soon.valid_until - timedelta(days=3)

    within_a_week = pipeline(session, PipelineFilters(), today=today, expiring_days=7)
    within_two_days = pipeline(session, PipelineFilters(), today=today, expiring_days=2)

    assert within_a_week["expiring"]["count"] == 1
    item = within_a_week["expiring"]["items"][0]
    assert (item["reference"], item["days_left"]) == (soon.number, 3)
    assert within_two_days["expiring"]["count"] == 0


def test_converting_uses_the_rate_in_force_on_each_quote_date_and_names_what_it_could_not(
        session: Session, make_quote: Callable[..., Quote]) -> None:
    services.import_rates_csv(session, RATES + "USD/MXN,2026-11-26,25.00,Banxico FIX\n")
    make_quote("MX")  # 949924.00 MXN program, 37416.96 USD licenses, dated 2026-11-25
    make_quote("AR")  # ARS program: no ARS rate stored

    report = pipeline(session, PipelineFilters(), convert_to="USD")

    converted = report["converted"]
    # 949924 / 20 (USD/MXN in force on the 25th, divided) + both quotes' USD licenses.
    mexico = row(report["by_market"], "MX")
    assert mexico["converted_total"] == str(Decimal("47496.20") + Decimal("37416.96"))
    assert mexico["not_converted"] == []
    # Argentina's pesos had no rate: its converted total says which currency is missing.
    assert row(report["by_market"], "AR")["not_converted"] == ["ARS"]
    assert converted["rates_used"] == [{"pair": "USD/MXN", "date": "2026-11-20",
                                        "rate": "20.00", "source": "Banxico FIX",
                                        "inverted": True}]
    assert [(u["currency"], u["section"], u["quotes"]) for u in converted["unconverted"]] == [
        ("ARS", "program", 1)]
    assert "no stored ARS/USD or USD/ARS rate" in converted["unconverted"][0]["reason"]


def test_a_reversed_period_an_unknown_owner_or_currency_is_refused_naming_the_field(
        session: Session) -> None:
    cases = [
        (PipelineFilters(date_from=date(2026, 12, 1), date_to=date(2026, 11, 1)), None, "to"),
        (PipelineFilters(owner_email="nobody@example.com"), None, "owner"),
        (PipelineFilters(), "XYZ", "in"),
    ]
    for filters, currency, field in cases:
        with pytest.raises(QuoteInputError) as raised:
            pipeline(session, filters, convert_to=currency)
        assert raised.value.problems[0].field == field


def test_open_quotes_whose_rate_moved_past_the_threshold_are_flagged(
        session: Session, make_quote: Callable[..., Quote]) -> None:
    services.import_rates_csv(session, RATES)
    drifting = make_quote("MX", "sent")  # stored USD/MXN 20.00
    make_quote("MX", "accepted")  # decided: no longer at risk
    services.import_rates_csv(session, "pair,date,rate,source\n"
                                       "USD/MXN,2026-11-27,21.50,Banxico FIX\n")

    report = exchange_drift(session, PipelineFilters(), today=QUOTE_DAY)

    assert report["checked"] == 1
    assert [f["reference"] for f in report["flagged"]] == [drifting.number]
    flagged = report["flagged"][0]
    assert (flagged["stored_rate"], flagged["latest_rate"], flagged["drift_percent"]) == (
        "20.00", "21.50", "7.50")
    assert exchange_drift(session, PipelineFilters(), threshold_percent=Decimal("7.5"),
                          today=QUOTE_DAY)["flagged"] == []


def test_a_rate_that_fell_past_the_threshold_is_flagged_too(
        session: Session, make_quote: Callable[..., Quote]) -> None:
    services.import_rates_csv(session, RATES)
    make_quote("MX")
    services.import_rates_csv(session, "pair,date,rate,source\n"
                                       "USD/MXN,2026-11-27,18.00,Banxico FIX\n")

    flagged = exchange_drift(session, PipelineFilters(), today=QUOTE_DAY)["flagged"]

    assert [f["drift_percent"] for f in flagged] == ["-10.00"]


def test_open_quotes_without_a_stored_rate_are_listed_apart_not_guessed(
        session: Session, make_quote: Callable[..., Quote]) -> None:
    quote = make_quote("MX")  # no USD/MXN rate stored on its date

    report = exchange_drift(session, PipelineFilters(), today=QUOTE_DAY)

    assert report["flagged"] == []
    assert [item["reference"] for item in report["no_rate"]] == [quote.ref]
    assert report["no_rate"][0]["pair"] == "USD/MXN"


def test_expired_validity_takes_a_quote_out_of_the_drift_check(
        session: Session, make_quote: Callable[..., Quote]) -> None:
    services.import_rates_csv(session, RATES)
    quote = make_quote("MX", "sent")
    services.import_rates_csv(session, "pair,date,rate,source\n"
                                       "USD/MXN,2026-11-27,30.00,Banxico FIX\n")

    after = quote.valid_until + timedelta(days=1)

    assert exchange_drift(session, PipelineFilters(), today=after)["checked"] == 0
