"""One wording for priced lines, whether the sales desk or the proposal shows them."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from babel.support import Translations

from quoting.documents.context import words_for
from quoting.line_wording import Words, line_concept
from quoting.rules import load_rulebook
from quoting.service_pricing import price_request

ROOT = Path(__file__).resolve().parents[2]


def desk_words(language: str) -> Words:
    catalogue = Translations.load(str(ROOT / "locales"), [language], domain="web")
    return Words(catalogue.gettext, catalogue.ngettext)


@pytest.mark.parametrize("language", ["es", "pt", "en"])
def test_the_sales_desk_and_the_proposal_word_every_line_alike(language):
    rulebook = load_rulebook()
    request = json.loads((ROOT / "examples" / "mx.json").read_text("utf-8"))
    request["delivery"] = {"mode": "hybrid", "trips": 2}
    priced = price_request(request, rulebook, date(2026, 11, 25)).to_dict()
    rules = rulebook.by_version(priced["rules_version"])
    lines = priced["program"]["lines"] + priced["licenses"]["lines"]
    worded = {
        words_name: [line_concept(line["code"], line["detail"], words, rules, "es_MX")
                     for line in lines]
        for words_name, words in (("desk", desk_words(language)),
                                  ("proposal", words_for(language, "MX")))
    }
    assert worded["desk"] == worded["proposal"]
    assert all(concept != line["code"] for concept, line in zip(worded["desk"], lines,
                                                                 strict=True))


def test_a_seat_count_is_written_in_the_markets_number_format():
    detail = {"product": "chat-team", "seats": 12000, "months": 12}
    spanish = line_concept("license.chat-team", detail, desk_words("es"), None, "es_ES")
    assert spanish.endswith(": 12.000 usuarios × 12 meses")
    english = line_concept("license.chat-team", detail, desk_words("en"), None, "en_US")
    assert english.endswith(": 12,000 seats × 12 months")


def test_a_line_code_this_version_does_not_know_shows_its_stored_description():
    words = desk_words("es")
    assert line_concept("retired.item", {}, words, None, "es_ES",
                        "Old workshop, per day") == "Old workshop, per day"
    assert line_concept("retired.item", {}, words, None, "es_ES") == "retired.item"
