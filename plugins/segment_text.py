"""Paragraphs (blocks between blank lines) and sentences within them (pysbd)."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import pysbd

from pipeline.hookspecs import hookimpl
from pipeline.records import Segment
from pipeline.text import CleanText

_PARAGRAPH = re.compile(r"\S(?:.*?\S)?(?=\s*\n\s*\n|\s*$)", re.DOTALL)


_local = threading.local()


def _splitter() -> pysbd.Segmenter:
    """A segmenter per thread: pysbd keeps per-call state on the instance."""
    seg: pysbd.Segmenter | None = getattr(_local, "segmenter", None)
    if seg is None:
        seg = _local.segmenter = pysbd.Segmenter(language="en", clean=False)
    return seg


def paragraphs(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each paragraph: text between blank lines, whitespace trimmed."""
    for m in _PARAGRAPH.finditer(text):
        yield m.start(), m.end()


def sentences(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """(start, end) of each sentence of ``text[start:end]``, whitespace trimmed."""
    pos = start
    for piece in _splitter().segment(text[start:end]):
        body = piece.strip()
        if not body:
            continue
        found = text.find(body, pos, end)
        if found < 0:  # pysbd altered the text: fall back to the rest of the paragraph
            rest = text[pos:end].strip()
            if rest:
                s = text.find(rest, pos, end)
                yield s, s + len(rest)
            return
        yield found, found + len(body)
        pos = found + len(body)


@hookimpl
def segment(doc: CleanText) -> list[Segment]:
    out = []
    for p_start, p_end in paragraphs(doc.text):
        out.append(Segment(type="paragraph", start=p_start, end=p_end))
        for s_start, s_end in sentences(doc.text, p_start, p_end):
            out.append(Segment(type="sentence", start=s_start, end=s_end))
    return out
