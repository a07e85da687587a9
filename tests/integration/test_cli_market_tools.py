"""`quoting compare --in` and `quoting rules simulate` on a database of their own: they
read stored rates and quotes, and leave every stored row as it was."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, text, update
from sqlalchemy.orm import Session

from quoting import services
from quoting.cli import main
from quoting.store.models import Quote
from tests.integration.conftest import EXAMPLES, PASSWORD, example

ROOT = Path(__file__).resolve().parents[2]
MX_RULES = ROOT / "pricing_rules" / "MX" / "MX-2025-01.toml"
RATES = """pair,date,rate,source
USD/MXN,2026-11-24,20,Banxico FIX
EUR/USD,2026-11-20,1.10,ECB reference rate
"""
TABLES = ("quotes", "quote_revisions", "audit_events", "exchange_rates", "clients")


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def database(fresh_engine: Engine, fresh_database_url: str,
             monkeypatch: pytest.MonkeyPatch) -> Engine:
    """Two MX quotes in the third quarter (one accepted), one in October, and rates."""
    monkeypatch.setenv("DATABASE_URL", fresh_database_url)
    monkeypatch.delenv("QUOTING_USER", raising=False)
    with Session(fresh_engine, expire_on_commit=False) as session:
        sales = services.create_user(session, "demo@example.com", "Demo", "sales", PASSWORD)
        for day, status in (("2026-07-15", "sent"), ("2026-08-03", "accepted"),
                            ("2026-10-02", "sent")):
            quote = services.create_quote(session, example("MX", date=day), sales,
                                          date.fromisoformat(day))
            session.execute(update(Quote).where(Quote.id == quote.id).values(status=status))
        services.import_rates_csv(session, RATES)
        session.commit()
    return fresh_engine


def fingerprint(engine: Engine) -> dict[str, str]:
    """Each table's rows, hashed: any change to any stored row changes it."""
    found = {}
    with engine.connect() as connection:
        for table in TABLES:
            rows = connection.execute(text(f"SELECT * FROM {table} ORDER BY id")).all()
            found[table] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return found


def raised_candidate(folder: Path) -> Path:
    path = folder / "MX-2027-01.toml"
    path.write_text(MX_RULES.read_text(encoding="utf-8").replace(
        'per_case = "27000.00"', 'per_case = "32400.00"', 1), encoding="utf-8")
    return path


def test_compare_converts_with_the_stored_rates_and_names_them(database: Engine) -> None:
    result = invoke("compare", str(EXAMPLES / "mx.json"), "--markets", "MX,ES,CL",
                    "--in", "USD", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    mexico, spain, chile = data["markets"]
    assert mexico["converted"]["program"] == "43696.50"  # 873,930.08 MXN / 20
    assert spain["converted"]["total"] is not None
    assert chile["converted"]["program"] is None
    assert data["rates"] == [
        {"pair": "USD/MXN", "rate": "20", "source": "Banxico FIX", "date": "2026-11-24"},
        {"pair": "EUR/USD", "rate": "1.10", "source": "ECB reference rate",
         "date": "2026-11-20"}]
    assert data["unconverted"] == [{
        "market": "CL", "part": "program", "currency": "CLP",
        "reason": "no CLP/USD or USD/CLP rate stored on or before 2026-11-25"}]


def test_compare_text_lists_the_rates_used_and_what_it_could_not_convert(
        database: Engine) -> None:
    result = invoke("compare", str(EXAMPLES / "mx.json"), "--markets", "MX,CL", "--in", "USD")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].endswith("total in USD")
    assert "  USD/MXN 20 (Banxico FIX, 2026-11-24)" in result.stdout
    assert "  CL program (CLP): no CLP/USD or USD/CLP rate stored" in result.stdout


def test_simulate_reports_per_quote_and_overall_without_changing_anything(
        database: Engine, tmp_path: Path) -> None:
    before = fingerprint(database)
    result = invoke("rules", "simulate", str(raised_candidate(tmp_path)), "--from",
                    "2026-07-01", "--to", "2026-09-30", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [q["quote_date"] for q in data["quotes"]] == ["2026-07-15", "2026-08-03"]
    first = data["quotes"][0]
    assert first["program"]["currency"] == "MXN"
    assert first["program"]["difference"] == "23051.52"  # 4 x 5,400 x 0.92 x 1.16
    summary = data["summary"]
    assert summary["candidate"] == "MX-2025-01"  # the version the file names
    assert summary["count"] == 2
    assert set(summary["accepted_revenue"]) == {"MXN", "USD"}
    assert fingerprint(database) == before


def test_simulate_csv_has_one_row_per_quote_and_text_a_table(database: Engine,
                                                             tmp_path: Path) -> None:
    candidate = str(raised_candidate(tmp_path))
    as_csv = invoke("rules", "simulate", candidate, "--from", "2026-07-01", "--to",
                    "2026-12-31", "--status", "sent", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [row["quote_date"] for row in rows] == ["2026-07-15", "2026-10-02"]
    assert rows[0]["program_percent"] == rows[1]["program_percent"]
    as_text = invoke("rules", "simulate", candidate, "--from", "2026-07-01", "--to",
                     "2026-09-30")
    assert "2 quotes: 2 priced, 0 could not be priced" in as_text.stdout
    assert "accepted-quote revenue MXN:" in as_text.stdout


def test_simulate_refuses_a_bad_candidate_naming_path_and_field(database: Engine,
                                                                 tmp_path: Path) -> None:
    path = tmp_path / "MX-2027-01.toml"
    path.write_text(MX_RULES.read_text(encoding="utf-8").replace(
        'discount_without_approval = "10"', 'discount_without_approval = "ten"', 1),
        encoding="utf-8")
    result = invoke("rules", "simulate", str(path), "--from", "2026-07-01", "--to",
                    "2026-09-30")
    assert result.exit_code == 2
    assert str(path) in result.stderr
    assert "discount_without_approval" in result.stderr


def test_simulate_refuses_unknown_statuses(database: Engine, tmp_path: Path) -> None:
    result = invoke("rules", "simulate", str(raised_candidate(tmp_path)), "--from",
                    "2026-07-01", "--to", "2026-09-30", "--status", "won")
    assert result.exit_code == 2
    assert "status: unknown status(es) won" in result.stderr


def test_simulate_help_says_which_revision_is_repriced() -> None:
    result = invoke("rules", "simulate", "--help")
    assert "current revision" in " ".join(result.stdout.split())
