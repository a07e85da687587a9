"""What a proposal may never print. Sent bytes are kept for ever, so a document
whose text shows a template's or a program's leftovers (None, null, nan, {{, %(,
an English message left in a Spanish or Portuguese document) is refused before it
is drawn. The client's own words (names, context, cases) are not judged."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

from babel.messages.pofile import read_po

from quoting import paths

LEFTOVERS = re.compile(r"\bNone\b|\bnull\b|\bnan\b|\bNaN\b|\{\{|\}\}|\{%|%\(|%s\b")
NOT_PRINTED = re.compile(r"<(head|style|script)\b.*?</\1>", re.DOTALL | re.IGNORECASE)
TAG = re.compile(r"<[^>]+>")
PLACEHOLDER = re.compile(r"%\(|%s|\{")
MIN_WORDS = 3


class UnprintableText(ValueError):
    """The proposal would print something it never should."""


def visible_text(document: str) -> str:
    """The document's text as a reader sees it (tags gone, entities decoded)."""
    text = TAG.sub(" ", NOT_PRINTED.sub(" ", document))
    return " ".join(html.unescape(text).split())


def check_printable(document: str, snapshot: Mapping[str, Any]) -> None:
    """Refuse (UnprintableText) a proposal whose printed text has leftovers or, in
    Spanish or Portuguese, a message of the catalogue left in English."""
    text = visible_text(document)
    for words in sorted(set(_client_words(_free_text(snapshot.get("request") or {}))),
                        key=len, reverse=True):
        text = text.replace(words, " ")
    problems = sorted({match.group(0) for match in LEFTOVERS.finditer(text)})
    language = str(snapshot.get("language") or (snapshot.get("priced") or {}).get("language")
                   or (snapshot.get("request") or {}).get("language") or "")
    problems += [f"untranslated: {message!r}" for message in _translated_messages(language)
                 if message in text]
    if problems:
        raise UnprintableText(f"the proposal would print {', '.join(problems)}")


def _free_text(request: Mapping[str, Any]) -> list[Any]:
    """What the client or the salesperson typed, printed as typed."""
    return [request.get("client"), request.get("context"), request.get("case_descriptions"),
            request.get("internal_owner")]


def _client_words(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        if value.strip():
            yield " ".join(value.split())
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _client_words(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _client_words(item)


@cache
def _translated_messages(language: str) -> tuple[str, ...]:
    """The proposal's English messages of a few words that `language` translates: seen
    as they are in its document, they were not translated."""
    if language not in ("es", "pt"):
        return ()
    po = paths.LOCALES_DIR / language / "LC_MESSAGES" / "messages.po"
    if not po.is_file():
        return ()
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    found = []
    for message in catalog:
        text = message.id if isinstance(message.id, str) else message.id[0]
        strings = message.string
        translation = strings if isinstance(strings, str) else (strings or ("",))[0]
        if (text and translation and translation != text and len(text.split()) >= MIN_WORDS
                and not PLACEHOLDER.search(text)):
            found.append(text)
    return tuple(found)
