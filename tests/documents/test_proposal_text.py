"""What a client reads in the PDF, market by market (text read back with pdftotext)."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from quoting.i18n import currency_symbols, format_locale, format_money
from quoting.money import Money
from tests.documents.conftest import (
    MARKETS,
    SnapshotFactory,
    assert_contents_pages_match_the_bookmarks,
    pdf_text,
    rendered,
)

PAGE_WORDS = {"es": "Página {page} de {pages}", "en": "Page {page} of {pages}",
              "pt": "Página {page} de {pages}"}


def _formatted(snapshot: dict, section: str, field: str) -> str:
    priced = snapshot["priced"]
    locale = format_locale(priced["market"])
    currencies = [priced["program"]["currency"], priced["licenses"]["currency"]]
    symbols = currency_symbols(currencies, locale)
    data = priced[section]
    text = format_money(Money.of(data[field], data["currency"]), locale, symbols[data["currency"]])
    return text.replace("\u00a0", " ")


def _formatted_amount(snapshot: dict, section: str, amount: str) -> str:
    priced = snapshot["priced"]
    locale = format_locale(priced["market"])
    currencies = [priced["program"]["currency"], priced["licenses"]["currency"]]
    currency = priced[section]["currency"]
    text = format_money(Money.of(amount, currency), locale,
                        currency_symbols(currencies, locale)[currency])
    return text.replace("\u00a0", " ")


@pytest.mark.parametrize("market", MARKETS)
def test_each_market_prints_client_number_totals_and_page_numbers(
        market: str, snapshot_for: SnapshotFactory, tmp_path: Path) -> None:
    snapshot = snapshot_for(market)
    pages = pdf_text(rendered(snapshot), tmp_path)
    text = " ".join(pages)
    client = snapshot["request"]["client"]["name"]

    assert client in text
    assert f"{market}-2026-0042" in text
    for section in ("program", "licenses"):
        for field in ("subtotal", "total"):
            assert _formatted(snapshot, section, field) in text, (section, field)
        # One tax line per label and rate, whatever categories it covers.
        grouped: dict[tuple[str, str, bool], Decimal] = {}
        for tax in snapshot["priced"][section]["taxes"]:
            if tax.get("included") and Decimal(tax["amount"]) == 0:
                continue  # nothing added (Brazil): the taxes inside the price are stated
            key = (tax["label"], tax["rate"], tax["exempt"])
            grouped[key] = grouped.get(key, Decimal(0)) + Decimal(tax["amount"])
        for amount in grouped.values():
            assert _formatted_amount(snapshot, section, str(amount)) in text
    for number, page in enumerate(pages, start=1):
        assert PAGE_WORDS["es"].format(page=number, pages=len(pages)) in page
    assert_contents_pages_match_the_bookmarks(rendered(snapshot), tmp_path)


SECTION_WORDS = {
    "es": {"investment": "9. Inversión", "licenses": "10. Licencias",
           "payments": "11. Plan de pagos", "program_total": "Total del programa",
           "licenses_total": "Total licencias"},
    "pt": {"investment": "9. Investimento", "licenses": "10. Licenças",
           "payments": "11. Plano de pagamento", "program_total": "Total do programa",
           "licenses_total": "Total das licenças"},
}


@pytest.mark.parametrize("market", MARKETS)
def test_licenses_have_their_own_section_and_total_apart_from_the_program(
        market: str, snapshot_for: SnapshotFactory, tmp_path: Path) -> None:
    snapshot = snapshot_for(market)
    text = " ".join(pdf_text(rendered(snapshot), tmp_path)[1:])  # after the cover
    words = SECTION_WORDS[snapshot["priced"]["language"]]
    investment = text[text.index(words["investment"]):text.index(words["licenses"])]
    licenses = text[text.index(words["licenses"]):text.index(words["payments"])]

    program_total = _formatted(snapshot, "program", "total")
    license_total = _formatted(snapshot, "licenses", "total")
    assert words["program_total"] in investment
    assert program_total in investment
    assert license_total not in investment
    assert words["licenses_total"] in licenses
    assert license_total in licenses
    assert program_total not in licenses


def test_money_follows_the_market_and_never_shares_a_symbol(
        snapshot_for: SnapshotFactory, tmp_path: Path) -> None:
    ar = " ".join(pdf_text(rendered(snapshot_for("AR")), tmp_path))
    # ARS program in `$`, USD licenses in `US$`, Argentine separators.
    assert re.search(r"(?<!US)\$ ?[\d.]+,\d\d", ar)
    assert re.search(r"US\$ ?[\d.]+,\d\d", ar)

    cl = " ".join(pdf_text(rendered(snapshot_for("CL")), tmp_path))
    program_total = _formatted(snapshot_for("CL"), "program", "total")
    assert "," not in program_total  # CLP: whole pesos
    assert program_total in cl

    co_snapshot = snapshot_for("CO")
    assert "," not in _formatted(co_snapshot, "program", "total")

    mx = " ".join(pdf_text(rendered(snapshot_for("MX")), tmp_path))
    assert re.search(r"USD ?[\d,]+\.\d\d", mx)  # es_MX: `.` decimals, USD by code


def test_dates_are_long_form_in_the_document_language(
        snapshot_for: SnapshotFactory, tmp_path: Path) -> None:
    es = " ".join(pdf_text(rendered(snapshot_for("MX")), tmp_path))
    assert "25 de noviembre de 2026" in es
    en = " ".join(pdf_text(rendered(snapshot_for("MX", language="en")), tmp_path))
    assert "25 November 2026" in en  # day first in every language (i18n.py)
    pt = " ".join(pdf_text(rendered(snapshot_for("MX", language="pt")), tmp_path))
    assert "25 de novembro de 2026" in pt


@pytest.mark.parametrize(("market", "language", "words"), [
    ("MX", "es", ["Cotización", "Plan de diagnóstico", "hojas de cálculo", "Aceptación",
                "más IVA 16%"]),
    ("PE", "es", ["Cotización", "más IGV 18%", "detracción"]),
    ("AR", "es", ["Presupuesto", "CUIT", "más IVA 21%", "Plan de relevamiento", "planillas"]),
    ("ES", "es", ["Presupuesto", "NIF", "60 días"]),
    ("CL", "es", ["Cotización", "RUT", "Exento de IVA", "art. 13"]),
    ("MX", "en", ["Quotation", "Discovery plan", "Acceptance", "plus VAT (IVA) 16%"]),
    ("AR", "en", ["Proposal", "Page 1 of"]),
    ("MX", "pt", ["Cotação", "Plano de diagnóstico", "Aceite", "Página 1 de"]),
    ("ES", "pt", ["Orçamento", "mais IVA 21%"]),
    ("UY", "es", ["Cotización", "RUT", "más IVA 22%", "Plan de relevamiento", "planillas",
                  "Banco Central del Uruguay"]),
    ("BR", "pt", ["Proposta comercial", "CNPJ", "Tributos inclusos neste total",
                  "ISS 5% (São Paulo)", "PIS 0,65% e COFINS 3%", "Observações fiscais", "PTAX"]),
    ("BR", "es", ["Propuesta comercial", "Impuestos incluidos en este total", "COFINS 3%"]),
    ("BR", "en", ["Commercial proposal", "Taxes included in this total", "PIS 0.65%"]),
])
def test_the_language_decides_the_words_and_the_market_the_regional_terms(
        market: str, language: str, words: list[str], snapshot_for: SnapshotFactory,
        tmp_path: Path) -> None:
    text = " ".join(pdf_text(rendered(snapshot_for(market, language=language)), tmp_path))
    for word in words:
        assert word in text


def test_the_proposal_answers_the_seven_buyer_questions(
        snapshot_for: SnapshotFactory, tmp_path: Path) -> None:
    snapshot = snapshot_for("MX", language="en", internal_owner="Ana Gómez, COO",
                            case_descriptions=["Monthly sales report built by hand",
                                               "Supplier contract review"])
    text = " ".join(pdf_text(rendered(snapshot), tmp_path))
    for heading in ["Will you map our processes before building the content?",
                    "What system of yours is in production today?",
                    "Will the exercises use our documents and cases?",
                    "How do you segment by role?",
                    "Which adoption metrics at 30, 60 and 90 days?",
                    "What happens when the program ends?",
                    "How do you quote?"]:
        assert heading in text
    assert "Monthly sales report built by hand" in text
    assert "Ana Gómez, COO" in text
    assert "Weekly active use" in text  # each metric with its definition and target
    assert "Reports: day 30 on" in text
    assert "Live sessions: Technical track" in text  # the calendar
    assert "On signing this proposal" in text  # the payment plan


def test_free_text_is_printed_literally_never_interpreted(
        snapshot_for: SnapshotFactory, tmp_path: Path) -> None:
    snapshot = snapshot_for(
        "MX", client={"name": "<img src=x> {{7*7}} & Co"},
        context="<script>alert(1)</script> {% raw %}{{ config }}",
        case_descriptions=["<b>bold?</b> {{7*7}}"])
    text = " ".join(pdf_text(rendered(snapshot), tmp_path))
    assert "<img src=x> {{7*7}} & Co" in text
    assert "<script>alert(1)</script> {% raw %}{{ config }}" in text
    assert "<b>bold?</b> {{7*7}}" in text
    assert "49" not in text.replace("2026-0042", "")


def test_brazil_adds_no_tax_and_states_each_tax_inside_the_price(
        snapshot_for: SnapshotFactory, tmp_path: Path) -> None:
    snapshot = snapshot_for("BR")
    text = " ".join(pdf_text(rendered(snapshot), tmp_path))
    program = snapshot["priced"]["program"]

    assert program["total"] == program["net"]
    assert "mais" not in text.split("9. Investimento")[-1].split("Tributos inclusos")[0]
    for position in range(3):
        stated = sum(Decimal(tax["included"][position]["amount"]) for tax in program["taxes"])
        assert _formatted_amount(snapshot, "program", str(stated)) in text
    assert "Os preços já incluem ISS 5% (São Paulo), PIS 0,65% e COFINS 3%" in text
    assert "Os preços são líquidos" not in text
    assert re.search(r"(?<!US)R\$ \d{1,3}(\.\d{3})+,\d\d", text)  # R$ 1.234,56
    assert re.search(r"US\$ [\d.]+,\d\d", text)  # USD licenses never share the symbol


def test_a_brazilian_person_is_shown_with_a_cpf(snapshot_for: SnapshotFactory,
                                                 tmp_path: Path) -> None:
    snapshot = snapshot_for("BR", client={"name": "Mariana Albuquerque",
                                          "tax_id": "390.533.447-05"})
    text = " ".join(pdf_text(rendered(snapshot), tmp_path))
    assert "CPF: 390.533.447-05" in text
    assert "CNPJ: 45.219.876/0001-61" in text  # the seller stays a company


def test_a_spanish_proposal_for_brazil_is_neutral_spanish_with_no_portuguese_line(
        snapshot_for: SnapshotFactory, tmp_path: Path) -> None:
    text = " ".join(pdf_text(rendered(snapshot_for("BR", language="es")), tmp_path))
    assert "Itinerario Técnico" in text
    assert "Trilha" not in text
    assert "25 de noviembre de 2026" in text
