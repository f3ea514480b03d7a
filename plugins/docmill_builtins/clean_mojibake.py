"""Repair mojibake (UTF-8 read as Windows-1252 and the like) with ftfy, only where detected.

Each line ftfy's detector (:func:`ftfy.badness.is_bad`) flags is fixed with
``ftfy.fix_text`` and diffed against the original, so each edit covers just the
garbled characters ("CafÃ©" -> "Café", "â€œ" -> "“"). Everything else ftfy
could change is off: curly quotes stay curly (quote direction matters), widths,
ligatures, line breaks and HTML entities are left to other cleaners, and lines
ftfy does not flag are never touched.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from difflib import SequenceMatcher

import ftfy
from ftfy.badness import MOJIBAKE_CATEGORIES, is_bad

from docmill import Document, Edit, hookimpl

CONFIG = ftfy.TextFixerConfig(
    unescape_html=False,
    remove_terminal_escapes=False,
    fix_latin_ligatures=False,
    fix_character_width=False,
    uncurl_quotes=False,
    fix_line_breaks=False,
    normalization=None,
    explain=False,
)
REASON = "mojibake repaired (ftfy)"
_LINE = re.compile(r"[^\n]+")
#: A character every alternative of ftfy's badness pattern (``ftfy.badness.BADNESS_RE``)
#: holds at least one of: its categories c1, bad, law, currency, numeric, accented
#: letters and box drawing, and the characters its named sequences start with. A text
#: with none (most text: curly quotes and dashes are not among them) has no bad line.
_SUSPECT_CATEGORIES = ("c1", "bad", "law", "currency", "numeric")
_ACCENTED_AND_BOX = ("upper_accented", "lower_accented", "box")
_SUSPECT = re.compile(
    "["
    + "".join(MOJIBAKE_CATEGORIES[name] for name in _SUSPECT_CATEGORIES + _ACCENTED_AND_BOX)
    + "ŒœÂÃÎÐרÙà√≈‚вВГРСβΒΓΞΟā"
    + "]"
)


def edits(text: str) -> Iterator[Edit]:
    """The edits that repair every flagged line of ``text``, in source offsets."""
    if text.isascii() or not _SUSPECT.search(text):  # no line is flagged
        return
    for m in _LINE.finditer(text):
        line = m.group()
        if line.isascii() or not is_bad(line):
            continue
        fixed = ftfy.fix_text(line, CONFIG)
        if fixed == line:
            continue
        matcher = SequenceMatcher(None, line, fixed, autojunk=False)
        for op, i1, i2, j1, j2 in matcher.get_opcodes():
            if op != "equal":
                yield Edit(
                    start=m.start() + i1,
                    end=m.start() + i2,
                    replacement=fixed[j1:j2],
                    reason=REASON,
                )


@hookimpl
def clean(doc: Document) -> list[Edit]:
    return list(edits(doc.text))
