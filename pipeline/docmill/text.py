"""Offset-preserving text editing.

Cleaners propose edits on the *source* text ("replace ``source[start:end]`` with
``replacement``"). :func:`apply_edits` resolves overlaps deterministically,
builds the cleaned text and an offset map, so that any span a later stage finds
in the cleaned text can be mapped back to the source with :meth:`EditedText.to_source`.

Mapping rules, for a cleaned span ``[cs, ce)``:

* a character copied from the source maps to exactly that source character;
* a character inside a replacement maps to the whole edited source range;
* the mapped span is ``[source start of char cs, source end of char ce-1)``, so it
  never grows past the characters it covers, always lies inside the source,
  keeps ``start <= end``, and a span with no edit inside it maps to identical text.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from docmill.records import Document, Edit


@dataclass(frozen=True, slots=True)
class _Piece:
    clean_start: int
    clean_end: int
    src_start: int
    src_end: int
    copied: bool


def resolve_overlaps(edits: Iterable[Edit]) -> list[Edit]:
    """Keep a deterministic, non-overlapping subset of ``edits``, in source order.

    Edits are taken by start, then by the longer range first (a whole removed
    line wins over a fix inside it), then by plugin and replacement; an edit that
    overlaps one already taken is dropped. Two insertions at one point keep the first.
    """
    ordered = sorted(
        edits, key=lambda e: (e.start, -(e.end - e.start), e.plugin, e.replacement, e.reason)
    )
    kept: list[Edit] = []
    last_end = -1
    last_insert_at = -1
    for edit in ordered:
        if edit.start > edit.end or edit.start < last_end:
            continue
        if edit.start == edit.end:
            if not edit.replacement or edit.start == last_insert_at:
                continue
            last_insert_at = edit.start
        kept.append(edit)
        last_end = max(last_end, edit.end)
    return kept


class EditedText:
    """The cleaned text of a source, with the map back to source offsets."""

    __slots__ = ("_pieces", "_starts", "edits", "source", "text")

    def __init__(self, source: str, edits: Sequence[Edit] = ()) -> None:
        self.source = source
        self.edits: list[Edit] = [e for e in resolve_overlaps(edits) if e.end <= len(source)]
        pieces: list[_Piece] = []
        parts: list[str] = []
        pos = 0  # in source
        clean = 0
        for edit in self.edits:
            if edit.start > pos:
                n = edit.start - pos
                pieces.append(_Piece(clean, clean + n, pos, edit.start, True))
                parts.append(source[pos : edit.start])
                clean += n
            if edit.replacement:
                n = len(edit.replacement)
                pieces.append(_Piece(clean, clean + n, edit.start, edit.end, False))
                parts.append(edit.replacement)
                clean += n
            pos = edit.end
        if pos < len(source):
            n = len(source) - pos
            pieces.append(_Piece(clean, clean + n, pos, len(source), True))
            parts.append(source[pos:])
            clean += n
        self.text = "".join(parts)
        self._pieces = pieces
        self._starts = [p.clean_start for p in pieces]

    def _piece(self, clean_pos: int) -> _Piece:
        return self._pieces[bisect_right(self._starts, clean_pos) - 1]

    def _char_start(self, c: int) -> int:
        p = self._piece(c)
        return p.src_start + (c - p.clean_start) if p.copied else p.src_start

    def _char_end(self, c: int) -> int:
        p = self._piece(c)
        return p.src_start + (c - p.clean_start) + 1 if p.copied else p.src_end

    def to_source(self, start: int, end: int) -> tuple[int, int]:
        """Map the cleaned span ``[start, end)`` to a source span.

        Raises ``ValueError`` if the span is not inside the cleaned text.
        """
        n = len(self.text)
        if not (0 <= start <= end <= n):
            raise ValueError(f"span [{start}, {end}) is outside the cleaned text (length {n})")
        if start == end:
            pos = self._char_start(start) if start < n else len(self.source)
            return pos, pos
        return self._char_start(start), self._char_end(end - 1)

    def to_source_all(self, spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
        """:meth:`to_source` of each of ``spans``, cleaned spans already known to lie inside
        the cleaned text: a document's spans mapped in one pass over the piece table
        (a bisect per offset, no call per span)."""
        pieces, starts = self._pieces, self._starts
        n, source_length = len(self.text), len(self.source)
        out = []
        for start, end in spans:
            if start == end and start >= n:
                out.append((source_length, source_length))
                continue
            p = pieces[bisect_right(starts, start) - 1]
            first = p.src_start + (start - p.clean_start) if p.copied else p.src_start
            if start == end:
                out.append((first, first))
                continue
            last = end - 1
            if not p.clean_start <= last < p.clean_end:
                p = pieces[bisect_right(starts, last) - 1]
            out.append((first, p.src_start + (last - p.clean_start) + 1 if p.copied else p.src_end))
        return out

    def to_clean(self, pos: int) -> int:
        """The cleaned offset of source position ``pos`` (the start of the piece it falls in)."""
        for p in self._pieces:
            if p.src_start <= pos < p.src_end:
                return p.clean_start + (pos - p.src_start) if p.copied else p.clean_start
            if pos < p.src_start:
                return p.clean_start
        return len(self.text)


class CleanText:
    """What cleaning hands to segmenters and extractors: a document and its cleaned text.

    Plugins read :attr:`text` (cleaned) and return spans in its offsets; they never
    do offset arithmetic. :attr:`document` is the loaded record (source text, title,
    ``published`` …).
    """

    __slots__ = ("document", "edited")

    def __init__(self, document: Document, edited: EditedText) -> None:
        self.document = document
        self.edited = edited

    @property
    def id(self) -> str:
        """The document id."""
        return self.document.id

    @property
    def text(self) -> str:
        """The cleaned text every segment and extract span is expressed in."""
        return self.edited.text

    @property
    def published(self) -> str | None:
        """The document's publication date (ISO) or None."""
        return self.document.published

    @property
    def language(self) -> str:
        """The document's language: an ISO 639-1 code, or ``"und"`` when undetermined."""
        return self.document.language or "und"

    def to_source(self, start: int, end: int) -> tuple[int, int]:
        """Map a cleaned span to source offsets (see :class:`EditedText`)."""
        return self.edited.to_source(start, end)
