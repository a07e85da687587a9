"""Every string the sales desk shows is translated: the `web` catalogue is extracted
from the code and templates (babel-web.cfg, as the README says, into a temporary
folder) and every msgid must be in the es, en and pt catalogues, with a non-empty
translation in es and pt. The source strings are English: an empty English msgstr
means "as written" (gettext shows the msgid), so English only needs the entry."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("es", "en", "pt")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    pot = tmp_path_factory.mktemp("catalogue") / "web.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F",
                    "babel-web.cfg", "-k", "_l", "--no-location", "-o", str(pot), "."],
                   cwd=ROOT, check=True, capture_output=True)
    with pot.open("rb") as handle:
        catalogue = read_po(handle)
    ids = [message.id for message in catalogue if message.id]
    assert len(ids) > 300, "the extraction found almost nothing: is babel-web.cfg right?"
    return [i if isinstance(i, str) else i[0] for i in ids]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_desk_string_has_a_translation_in_each_language(
        extracted: list[str], language: str) -> None:
    with (ROOT / "locales" / language / "LC_MESSAGES" / "web.po").open("rb") as handle:
        catalogue = read_po(handle, locale=language)
    untranslated = []
    for msgid in extracted:
        message = catalogue.get(msgid)
        strings = ([] if message is None else
                   list(message.string) if isinstance(message.string, tuple)
                   else [message.string])
        if message is None or message.fuzzy or (language != "en" and not all(strings)):
            untranslated.append(msgid)
    assert untranslated == [], f"{len(untranslated)} untranslated in {language}"
