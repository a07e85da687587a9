"""The words and figures the template receives, without laying out a PDF."""

from __future__ import annotations

import pytest

from quoting.documents import proposal_html
from quoting.documents.context import build_context, css_string, page_label_css, words_for
from tests.documents.conftest import SnapshotFactory


def test_program_lines_are_worded_from_code_and_detail_not_the_english_description(
        snapshot_for: SnapshotFactory) -> None:
    snapshot = snapshot_for("MX")
    for line in snapshot["priced"]["program"]["lines"]:
        line["description"] = "ENGLISH DESCRIPTION"
    concepts = [line["concept"] for line in build_context(snapshot)["program"]["lines"]]
    assert "ENGLISH DESCRIPTION" not in concepts
    assert concepts[0] == "Entrevistas de diagnóstico, una por área del cliente"
    assert "Itinerario Técnico: participantes 1 a 10" in concepts
    assert "Sesiones en vivo: 8 semanas × 3 itinerarios" in concepts


@pytest.mark.parametrize(("language", "expected"), [
    ("es", "Asistente de chat corporativo (SSO, control de datos): 37 usuarios × 12 meses"),
    ("en", "Enterprise chat assistant (SSO, data controls): 37 seats × 12 months"),
    ("pt", "Assistente de chat corporativo (SSO, controle de dados): 37 usuários × 12 meses"),
])
def test_license_lines_in_each_language(language: str, expected: str,
                                        snapshot_for: SnapshotFactory) -> None:
    context = build_context(snapshot_for("MX", language=language))
    assert context["licenses"]["lines"][0]["concept"] == expected


def test_tax_labels_and_document_names_come_from_the_rules_in_the_request_language(
        snapshot_for: SnapshotFactory) -> None:
    pe = build_context(snapshot_for("PE"))
    assert pe["program"]["tax_labels"] == ["IGV 18%"]
    assert pe["document_name"] == "Cotización"
    assert build_context(snapshot_for("AR"))["document_name"] == "Presupuesto"
    assert build_context(snapshot_for("AR", language="pt"))["document_name"] == "Orçamento"
    cl = build_context(snapshot_for("CL"))
    assert [t["label"] for t in cl["program"]["taxes"]] == ["Exento de IVA", "IVA 19%"]
    assert cl["exempt_notes"] == [
        "Cursos, charlas y seminarios exentos de IVA (art. 13 N°4 DL 825)"]


def test_exchange_rates_recorded_with_the_revision_are_shown(
        snapshot_for: SnapshotFactory) -> None:
    snapshot = snapshot_for("AR")
    snapshot["exchange_rates"] = [{"pair": "USD/ARS", "rate": "1085.50",
                                   "source": "Banco Nación (vendedor)", "date": "2026-11-24"}]
    context = build_context(snapshot)
    assert context["currencies_differ"]
    assert context["exchange_rates"] == [{"pair": "USD/ARS", "rate": "1.085,50",
                                          "source": "Banco Nación (vendedor)",
                                          "date": "24 de noviembre de 2026"}]


def test_page_numbers_follow_the_language() -> None:
    assert page_label_css(words_for("es", "MX")) == (
        '"Página " counter(page) " de " counter(pages)')
    assert page_label_css(words_for("en", "MX")) == (
        '"Page " counter(page) " of " counter(pages)')


def test_css_strings_cannot_break_out_of_the_stylesheet() -> None:
    text = css_string('a"</style><script>')
    assert '"' not in text[1:-1]
    assert "<" not in text


def test_an_exchange_rate_never_recorded_is_worded_not_a_crash(
        snapshot_for: SnapshotFactory) -> None:
    snapshot = snapshot_for("MX")
    snapshot["exchange_rates"] = [{"pair": "USD/MXN", "rate": None, "source": "Banxico FIX",
                                   "date": None}]
    assert build_context(snapshot)["exchange_rates"] == [
        {"pair": "USD/MXN", "rate": None, "source": "Banxico FIX", "date": ""}]
    assert "tipo de cambio aún no registrado" in proposal_html(snapshot)


def test_a_superseded_revision_says_so(snapshot_for: SnapshotFactory) -> None:
    snapshot = {**snapshot_for("MX"), "status": "superseded"}
    assert "Reemplazada por una revisión posterior" in proposal_html(snapshot)
