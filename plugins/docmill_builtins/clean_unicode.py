"""Unicode and whitespace normalisation as edits: NFC, odd spaces, invisible characters.

Unicode line and paragraph separators, vertical tab, form feed and NEL become a
line break; non-breaking and other odd spaces a plain space; runs of spaces one.

Curly quotes are left alone: their direction tells where a quotation opens and closes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from docmill import Document, Edit, hookimpl

_INVISIBLE = re.compile(r"[\u00ad\u200b\u200c\u200d\u2060\ufeff]+")
_ODD_SPACE = "\u00a0\u2000-\u200a\u202f\u205f\u3000\t"
_SPACES = re.compile(rf"[ {_ODD_SPACE}]{{2,}}|[{_ODD_SPACE}]")
_TRAILING = re.compile(r"[ \u00a0\t]+(?=\n)")
_NEWLINES = re.compile(r"\r\n?|\n(?:[ \t]*\n){2,}")
_LINE_SEPARATORS = re.compile(r"[\u2028\u2029\x0b\x0c\x85]")
_COMBINING = re.compile(r".[\u0300-\u036f\u1ab0-\u1aff\u20d0-\u20ff]+", re.DOTALL)
#: What a match of :data:`_COMBINING`, :data:`_SPACES` or :data:`_TRAILING` needs, found
#: by a fast search for one character (their own scans try a match at every character).
_COMBINING_MARK = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u20d0-\u20ff]")
_ODD_SPACE_CHAR = re.compile(rf"[{_ODD_SPACE}]")
_SPACE_BEFORE_BREAK = (" \n", "\u00a0\n", "\t\n")


def edits(text: str) -> Iterator[Edit]:
    """Every normalisation edit for ``text``, in source offsets."""
    combining = _COMBINING.finditer(text) if _COMBINING_MARK.search(text) else ()
    for m in combining:
        nfc = unicodedata.normalize("NFC", m.group())
        if nfc != m.group():
            yield Edit(start=m.start(), end=m.end(), replacement=nfc, reason="unicode NFC")
    for m in _LINE_SEPARATORS.finditer(text):
        yield Edit(start=m.start(), end=m.end(), replacement="\n", reason="line separator")
    for m in _INVISIBLE.finditer(text):
        yield Edit(start=m.start(), end=m.end(), replacement="", reason="invisible character")
    if any(pair in text for pair in _SPACE_BEFORE_BREAK):
        for m in _TRAILING.finditer(text):
            yield Edit(start=m.start(), end=m.end(), replacement="", reason="trailing whitespace")
    spaces = _SPACES.finditer(text) if "  " in text or _ODD_SPACE_CHAR.search(text) else ()
    for m in spaces:
        reason = "non-breaking or odd space" if len(m.group()) == 1 else "repeated spaces"
        yield Edit(start=m.start(), end=m.end(), replacement=" ", reason=reason)
    for m in _NEWLINES.finditer(text):
        if m.group().startswith("\r"):
            yield Edit(start=m.start(), end=m.end(), replacement="\n", reason="line ending")
        else:
            yield Edit(start=m.start(), end=m.end(), replacement="\n\n", reason="blank lines")


@hookimpl
def clean(doc: Document) -> list[Edit]:
    return list(edits(doc.text))
