"""Split words glued together by lost whitespace ("andNorth" -> "and North").

Text scraped from HTML often loses the space at a tag boundary, gluing a lower-case
function word to the capitalised word after it. Only that shape is repaired: a
run of lower-case letters that is a common English function word, directly
followed by a capitalised word (``[A-Z][a-z]``), at the start of a token. Brand
and code casing is never touched: "iPhone", "eBay", "iPad" (one-letter prefixes),
"McDonald", "JavaScript", "YouTube" (the token starts upper-case) and words in
:data:`KEEP` do not match. Each repair is an insertion of one space (an edit
with an empty source range), so every other offset maps one to one.

Words glued without any change of case ("a meeting ofthe committee") are split
where word frequencies say so (:mod:`docmill_builtins.glued_words`, wordfreq), in
English text only, never inside real words or names.

Both rules are English (function words, English word frequencies): the plugin
declares ``en`` only, so a document in another language is not touched and gets
an info finding saying so.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from docmill import Document, Edit, hookimpl
from docmill_builtins.glued_words import glued

#: Lower-case words that are never the first half of a brand or identifier.
_WORDS = """
    a an the and or but nor so yet of to in on at by for from with without into onto
    upon over under about after before between against during through across toward
    towards among within since until than as is are was were be been being has have
    had do does did not no this that these those its his her their our your my
    which who whom whose when where while if then also both either neither each
    said says told according via per
"""
FUNCTION_WORDS = frozenset(_WORDS.split())
#: Camel-cased tokens that look glued but are names (checked case-sensitively).
KEEP = frozenset({"ofCourse", "inVision", "inDesign"})
_GLUED = re.compile(r"(?<![\w’'\-./@#])([a-z]{2,})([A-Z][a-z]+)")
REASON = "glued words: missing space"
#: A lower-case letter before a capital, which every match of :data:`_GLUED` holds:
#: found by a fast scan for capitals (most text has none after a lower-case letter).
_CASE_CHANGE = re.compile(r"[A-Z](?<=[a-z][A-Z])")


def edits(text: str) -> Iterator[Edit]:
    """One space insertion per glued word pair, in source offsets."""
    if not _CASE_CHANGE.search(text):
        return
    for m in _GLUED.finditer(text):
        head = m.group(1)
        if head not in FUNCTION_WORDS or m.group() in KEEP:
            continue
        yield Edit(start=m.end(1), end=m.end(1), replacement=" ", reason=REASON)


def lower_case_edits(text: str) -> Iterator[Edit]:
    """One space insertion per run-together pair of lower-case words ("ofthe")."""
    for at in glued(text):
        yield Edit(start=at, end=at, replacement=" ", reason=REASON)


@hookimpl
def languages() -> list[str]:
    return ["en"]


@hookimpl
def clean(doc: Document) -> list[Edit]:
    found = [*edits(doc.text), *lower_case_edits(doc.text)]
    return sorted(found, key=lambda e: e.start)
