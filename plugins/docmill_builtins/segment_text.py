"""Paragraphs (blocks between blank lines), then sentences within them.

Sentences come from pysbd's rule-based segmenter (the Pragmatic Segmenter's
rules) for the document's language, for the languages in
:data:`SENTENCE_LANGUAGES`: pysbd's (English, French, German, Spanish, Italian,
Dutch, Polish, Russian, Greek, Arabic, Persian, Urdu, Hindi, Chinese, Japanese …)
and Portuguese and Korean, whose rules docmill adds on pysbd's Standard rules
(:mod:`docmill_builtins.sentences_ptko`). A document in another language (Turkish,
``und`` …) gets its paragraphs and no sentences rather than sentences split by
English rules. pysbd's Arabic
rules end a sentence at every Arabic comma (،); here they do not (as its Persian
rules). English runs
with one change for news: pysbd never splits between
quotation marks, so a speech of five sentences inside “…” would be one
sentence. Before splitting, curly double quotes are swapped for single
guillemets of the same length (which pysbd treats as ordinary punctuation),
so sentences split inside quotations too. A piece with no letter or digit joins
the sentence before it, and so does a closing quotation mark or bracket left at
the start of a piece with the punctuation before it (the ``. ”`` of a quoted
ellipsis). Offsets are exact: pysbd runs with ``char_span=True`` on a same-length copy.
English runs through :mod:`docmill_builtins.sentences_en`: pysbd's rules in
pysbd's order, with the substitutions that cannot match skipped (pysbd's output).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from typing import ClassVar

import pysbd
import pysbd.languages
from pysbd.lang.arabic import Arabic
from pysbd.lang.english import English

from docmill import CleanText, Segment, hookimpl
from docmill_builtins.sentences_en import PYSBD_VERSION, Abbreviations, EnglishProcessor
from docmill_builtins.sentences_ptko import LANGUAGES as _ADDED

#: Two line breaks with nothing but blanks between them: inside a paragraph break.
_BLANK = re.compile(r"\n\s*\n")
_NON_BLANK = re.compile(r"\S")
#: Curly double quotes -> characters pysbd does not pair (same length: offsets hold).
_UNPAIR = str.maketrans({"“": "\u2039", "”": "\u203a"})
_TAIL = re.compile(r"[.!?…\u203a’\"')\]\s]+")
_WORDY = re.compile(r"\w")
_CLOSER = re.compile(r"[\u203a’\"')\]]")

_local = threading.local()


class _NewsEnglish(English):  # type: ignore[misc]
    """pysbd's English rules, run by docmill's faster processor (sentences_en)."""


if pysbd.__version__ == PYSBD_VERSION:  # EnglishProcessor is this version's, step for step
    _NewsEnglish.Processor = EnglishProcessor
    _NewsEnglish.AbbreviationReplacer = Abbreviations


class _Arabic(Arabic):  # type: ignore[misc]
    """pysbd's Arabic rules without the comma (،) as a sentence end, as in Persian."""

    Punctuations: ClassVar[list[str]] = ["?", "!", ":", ".", "؟"]
    SENTENCE_BOUNDARY_REGEX = r".*?[:\.!\?؟]|.*?\Z|.*?$"


#: Languages whose pysbd rules docmill replaces, and those it adds (pt, ko).
_MODULES: dict[str, type] = {"en": _NewsEnglish, "ar": _Arabic, **_ADDED}
#: The languages with sentence rules: pysbd's, and docmill's Portuguese and Korean.
SENTENCE_LANGUAGES = frozenset(pysbd.languages.LANGUAGE_CODES) | frozenset(_ADDED)


def _splitter(language: str = "en") -> pysbd.Segmenter:
    """A segmenter per thread and language: pysbd keeps per-call state on the instance."""
    segmenters: dict[str, pysbd.Segmenter] = _local.__dict__.setdefault("segmenters", {})
    seg = segmenters.get(language)
    if seg is None:
        # pysbd.Segmenter accepts only its own codes; docmill's languages replace English's
        known = language if language in pysbd.languages.LANGUAGE_CODES else "en"
        seg = segmenters[language] = pysbd.Segmenter(language=known, clean=False, char_span=True)
        seg.language, seg.language_module = language, _MODULES.get(language, seg.language_module)
    return seg


def _char_spans(text: str, language: str = "en") -> list[tuple[int, int]]:
    r"""(start, end) of pysbd's sentences of ``text``, trailing whitespace included.

    The same spans as ``Segmenter(char_span=True).segment(text)``, found faster:
    pysbd locates each sentence with ``re.finditer(re.escape(sentence) + r"\s*")``
    over the whole text, compiling one regular expression per sentence (which also
    evicts every other pattern from ``re``'s cache, dateparser's included). Here the
    same match (the first non-overlapping occurrence that ends after the previous
    sentence, with the whitespace after it) is found with ``str.find``.
    """
    if not text:
        return []
    spans: list[tuple[int, int]] = []
    prior = 0
    n = len(text)
    for sent in _splitter(language).processor(text).process():
        if not sent:  # as pysbd does it (never seen in practice)
            for m in re.finditer(r"\s*", text):
                if m.end() > prior:
                    spans.append(m.span())
                    prior = m.end()
                    break
            continue
        pos = 0
        while (i := text.find(sent, pos)) >= 0:
            j = i + len(sent)
            while j < n and text[j].isspace():
                j += 1
            if j > prior:
                spans.append((i, j))
                prior = j
                break
            pos = j
    return spans


def paragraphs(text: str) -> Iterator[tuple[int, int]]:
    r"""(start, end) of each paragraph: text between blank lines, whitespace trimmed.

    The matches of ``\S(?:.*?\S)?(?=\s*\n\s*\n|\s*$)`` (DOTALL; what this did before,
    and what tests/test_segment.py holds it to), found without it: that pattern tries
    its look-ahead after every non-blank character (a tenth of what splitting
    sentences costs). A paragraph runs from a non-blank character to the last non-blank one
    before the first run of blanks holding two line breaks (what ``_BLANK`` finds
    first, searching from line breaks only), or before the end of the text
    (``\s`` and ``str.isspace`` are the same characters). As in the pattern, whose
    optional group is tried before the bare first character, a paragraph of one
    character runs on to the end of the next paragraph, if there is one.
    """
    pieces = _pieces(text)
    for start, end in pieces:
        if end == start + 1:
            end = next(pieces, (start, end))[1]
        yield start, end


def _pieces(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of the stretches between runs of blanks holding two line breaks."""
    pos = 0
    while (first := _NON_BLANK.search(text, pos)) is not None:
        start = first.start()
        gap = _BLANK.search(text, start)
        end = gap.start() if gap is not None else len(text)
        while text[end - 1].isspace():  # stops after ``start`` at the latest
            end -= 1
        yield start, end
        if gap is None:
            return
        pos = gap.end()


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def sentences(text: str, start: int, end: int, language: str = "en") -> Iterator[tuple[int, int]]:
    """(start, end) of each sentence of ``text[start:end]``, whitespace trimmed.

    The spans cover the non-blank text of the range in order, without overlap.
    """
    chunk = text[start:end].replace("“", "\u2039").replace("”", "\u203a")  # _UNPAIR, faster
    spans: list[tuple[int, int]] = []
    pos = 0
    for p_start, p_end in _char_spans(chunk, language):
        # spans in ``chunk``; keep them contiguous and in order
        s = max(p_start, pos)
        e = max(p_end, s)
        pos = e
        s, e = _trimmed(chunk, s, e)
        if s >= e:
            continue
        if spans and not _WORDY.search(chunk, s, e):
            spans[-1] = (spans[-1][0], e)  # only punctuation: the end of the sentence before
            continue
        if spans:
            # closing punctuation pysbd left at the start of a piece (". ”" after a
            # quoted ellipsis) belongs to the sentence before it
            tail = _TAIL.match(chunk, s, e)
            if tail and _CLOSER.search(tail.group()):
                spans[-1] = (spans[-1][0], s + len(tail.group().rstrip()))
                s, e = _trimmed(chunk, tail.end(), e)
                if s >= e:
                    continue
        spans.append((s, e))
    if pos < len(chunk):  # anything pysbd did not cover joins the last sentence
        s, e = _trimmed(chunk, pos, len(chunk))
        if s < e:
            spans[-1:] = [(spans[-1][0], e)] if spans else [(s, e)]
    for s, e in spans:
        yield start + s, start + e


def sentence_language(language: str) -> str | None:
    """The pysbd language for a document's language, or None when pysbd has no rules."""
    code = language.split("-", 1)[0]
    return code if code in SENTENCE_LANGUAGES else None


@hookimpl
def segment(doc: CleanText) -> list[Segment]:
    out = []
    language = sentence_language(doc.language)
    for p_start, p_end in paragraphs(doc.text):
        out.append(Segment(type="paragraph", start=p_start, end=p_end))
        if language is None:
            continue
        for s_start, s_end in sentences(doc.text, p_start, p_end, language):
            out.append(Segment(type="sentence", start=s_start, end=s_end))
    return out
