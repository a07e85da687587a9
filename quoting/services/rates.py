"""Exchange rates: imported from a file (never fetched), and the rate in force for a
quote's date, stored with the revision so the quote reads the same forever."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from quoting.errors import FieldProblem, QuoteInputError
from quoting.money import MoneyError, is_known_currency, to_decimal
from quoting.priced import PricedQuote
from quoting.services.common import begin_write, record
from quoting.store.models import ExchangeRate, User

RATES_CSV_COLUMNS = ("pair", "date", "rate", "source")


@dataclass(frozen=True, slots=True)
class RatesImport:
    added: int
    unchanged: int


def import_rates_csv(session: Session, text: str, *, actor: User | None = None) -> RatesImport:
    """Import `pair,date,rate,source` rows (pair like USD/ARS: 1 USD = rate ARS).

    All or nothing: any bad row refuses the whole file, each problem named by
    line. A row identical to a stored one is skipped; a different rate for a
    stored pair and date is refused (quotes keep their own copy, but a
    published rate does not change).
    """
    reader = csv.DictReader(io.StringIO(text))
    header = tuple(name.strip().lower() for name in reader.fieldnames or ())
    if header != RATES_CSV_COLUMNS:
        raise QuoteInputError.single(
            "line 1", f"expected the header {','.join(RATES_CSV_COLUMNS)}, got "
            f"{','.join(header) or 'nothing'}")
    problems: list[FieldProblem] = []
    rows: dict[tuple[str, str, date], tuple[str, str, int]] = {}
    for line_number, row in enumerate(reader, start=2):
        where = f"line {line_number}"
        values = {key.strip().lower(): (value or "").strip()
                  for key, value in row.items() if key is not None}
        try:
            parsed = _parse_rate_row(values)
        except ValueError as exc:
            problems.append(FieldProblem(where, str(exc)))
            continue
        base, quote_currency, day, rate, source = parsed
        key = (base, quote_currency, day)
        if key in rows and rows[key][:2] != (rate, source):
            problems.append(FieldProblem(
                where, f"{base}/{quote_currency} on {day} is already on line {rows[key][2]} "
                f"with another rate"))
        rows[key] = (rate, source, line_number)
    begin_write(session)
    stored = {
        (r.base_currency, r.quote_currency, r.rate_date): r
        for r in session.scalars(select(ExchangeRate).where(
            tuple_(ExchangeRate.base_currency, ExchangeRate.quote_currency,
                   ExchangeRate.rate_date).in_(list(rows))))
    } if rows else {}
    added = unchanged = 0
    for key, (rate, source, line_number) in rows.items():
        existing = stored.get(key)
        if existing is None:
            continue
        if to_decimal(existing.rate) == to_decimal(rate) and existing.source == source:
            unchanged += 1
        else:
            problems.append(FieldProblem(
                f"line {line_number}",
                f"{key[0]}/{key[1]} on {key[2]} is already stored as {existing.rate} "
                f"({existing.source})"))
    if problems:
        raise QuoteInputError(problems)
    for key, (rate, source, _line) in rows.items():
        if key not in stored:
            session.add(ExchangeRate(base_currency=key[0], quote_currency=key[1],
                                     rate_date=key[2], rate=rate, source=source))
            added += 1
    record(session, actor, "rates.import", detail={"added": added, "unchanged": unchanged})
    session.flush()
    return RatesImport(added, unchanged)


def _parse_rate_row(values: dict[str, str]) -> tuple[str, str, date, str, str]:
    pair = values.get("pair", "").upper()
    match = re.fullmatch(r"([A-Z]{3})/([A-Z]{3})", pair)
    if not match:
        raise ValueError(f"pair {pair!r} should look like USD/ARS")
    base, quote_currency = match.groups()
    for code in (base, quote_currency):
        if not is_known_currency(code):
            raise ValueError(f"unknown currency {code} in {pair}")
    if base == quote_currency:
        raise ValueError(f"pair {pair} converts a currency to itself")
    try:
        day = date.fromisoformat(values.get("date", ""))
    except ValueError:
        raise ValueError(f"date {values.get('date')!r} should be YYYY-MM-DD") from None
    try:
        rate = to_decimal(values.get("rate", ""))
    except MoneyError as exc:
        raise ValueError(f"rate: {exc}") from None
    if rate <= 0:
        raise ValueError(f"rate {rate} must be positive")
    source = values.get("source", "")
    if not source:
        raise ValueError("source is empty; name who published the rate (e.g. Banxico FIX)")
    return base, quote_currency, day, str(rate), source


def rate_in_force(session: Session, base: str, quote_currency: str, on: date
                  ) -> ExchangeRate | None:
    """The latest rate for the pair published on or before `on`; never inverted or guessed."""
    return session.scalars(
        select(ExchangeRate).where(
            ExchangeRate.base_currency == base, ExchangeRate.quote_currency == quote_currency,
            ExchangeRate.rate_date <= on,
        ).order_by(ExchangeRate.rate_date.desc()).limit(1)
    ).first()


def exchange_rates_for(session: Session, priced: PricedQuote) -> list[dict[str, Any]]:
    """Licenses in another currency than the program: store license→program rate in force."""
    base, target = priced.licenses.currency, priced.program.currency
    if base == target or not priced.licenses.lines:
        return []
    found = rate_in_force(session, base, target, priced.quote_date)
    if found is None:
        return [{"pair": f"{base}/{target}", "base": base, "quote": target, "rate": None,
                 "source": None, "date": None, "missing": True}]
    return [{"pair": found.pair, "base": base, "quote": target, "rate": found.rate,
             "source": found.source, "date": found.rate_date.isoformat(), "missing": False}]
