"""Nothing a program left behind reaches a proposal: every market, language, rate
stored or missing, draft or sent, prints no None, null, nan, {{ or %(, and no English
message in a Spanish or Portuguese document; a document that would is refused."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from quoting.documents.printable import UnprintableText, check_printable, visible_text
from quoting.documents.render import proposal_html, render_proposal
from tests.documents.conftest import SnapshotFactory

MARKETS = ("AR", "MX", "EC", "CO", "CL", "PE", "ES", "UY", "BR")
STORED = {"pair": "USD/X", "rate": "1234.5678", "source": "Banco Central", "date": "2026-11-24",
          "missing": False}
MISSING = {"pair": "USD/X", "rate": None, "source": None, "date": None, "missing": True}


def _snapshot(snapshot_for: SnapshotFactory, market: str, language: str, rate: dict[str, Any],
              status: str) -> dict[str, Any]:
    snapshot = snapshot_for(market, language=language)
    currency = snapshot["priced"]["program"]["currency"]
    snapshot["exchange_rates"] = [{**rate, "pair": f"USD/{currency}"}]
    snapshot["status"] = status
    if status == "draft":
        snapshot["number"] = None
    return snapshot


@pytest.mark.parametrize("status", ["draft", "sent"])
@pytest.mark.parametrize("rate", [STORED, MISSING], ids=["rate-stored", "rate-missing"])
@pytest.mark.parametrize("language", ["es", "en", "pt"])
@pytest.mark.parametrize("market", MARKETS)
def test_every_market_language_rate_and_status_prints_nothing_left_over(
        snapshot_for: SnapshotFactory, market: str, language: str, rate: dict[str, Any],
        status: str) -> None:
    snapshot = _snapshot(snapshot_for, market, language, rate, status)
    document = proposal_html(snapshot)

    check_printable(document, snapshot)  # raises on a leftover

    text = visible_text(document)
    if snapshot["priced"]["licenses"]["lines"] and (
            snapshot["priced"]["licenses"]["currency"]
            != snapshot["priced"]["program"]["currency"]):
        assert "USD/" in text  # the rate line is there to be judged


def test_a_missing_rate_keeps_the_conversion_rule_and_prints_no_none(
        snapshot_for: SnapshotFactory, tmp_path: Path) -> None:
    snapshot = _snapshot(snapshot_for, "MX", "es", MISSING, "sent")
    path = tmp_path / "proposal.pdf"
    path.write_bytes(render_proposal(snapshot))

    text = " ".join(subprocess.run(["pdftotext", str(path), "-"], check=True,
                                   capture_output=True, text=True).stdout.split())
    assert "(tipo de cambio aún no registrado)" in text
    assert "None" not in text
    # Mexico's one conversion rule, from its rules file.
    assert "tipo de cambio FIX publicado por Banxico en el DOF" in text


@pytest.mark.parametrize("leftover", ["None", "null", "nan", "{{ total }}", "%(num)s"])
def test_a_document_with_a_leftover_is_refused(snapshot_for: SnapshotFactory,
                                               leftover: str) -> None:
    snapshot = snapshot_for("MX")
    document = proposal_html(snapshot).replace("</body>", f"<p>Total {leftover}</p></body>")

    with pytest.raises(UnprintableText, match="would print"):
        check_printable(document, snapshot)


def test_an_english_message_in_a_spanish_document_is_refused(
        snapshot_for: SnapshotFactory) -> None:
    snapshot = snapshot_for("MX", language="es")
    document = proposal_html(snapshot).replace(
        "</body>", "<p>Any conversion uses the official rate of the invoice date.</p></body>")

    with pytest.raises(UnprintableText, match="untranslated"):
        check_printable(document, snapshot)


def test_the_client_s_own_words_are_not_judged(snapshot_for: SnapshotFactory) -> None:
    snapshot = snapshot_for("MX", client={"name": "None Null Nan S.A. de C.V."},
                            context="Usamos {{plantillas}} y 100%(aprox) de nuestros datos.")

    check_printable(proposal_html(snapshot), snapshot)


# English words the brief names as wrong in Spanish and Portuguese proposals.
ANGLICISMS = {"es": re.compile(r"\btracks?\b|\btrack-semanas?\b", re.IGNORECASE),
              "pt": re.compile(r"\btracks?\b|Notas fiscais", re.IGNORECASE)}


@pytest.mark.parametrize("language", ["es", "pt"])
@pytest.mark.parametrize("market", MARKETS)
def test_spanish_and_portuguese_proposals_use_no_listed_anglicism(
        snapshot_for: SnapshotFactory, market: str, language: str) -> None:
    snapshot = snapshot_for(market, language=language)

    text = visible_text(proposal_html(snapshot))

    assert ANGLICISMS[language].findall(text) == []
