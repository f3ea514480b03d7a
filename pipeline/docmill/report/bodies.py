"""Pass 2 of the report: each document's text, spans and findings, one document at a time.

Reads ``documents.jsonl`` again and merges each kind file of the
:class:`~docmill.report.overview.Overview` into it. Every kind file docmill
writes is in document order (records are written document by document), so the
merge holds one record ahead per file; a file in any other order is indexed by
byte offset first and read back with a seek per record. Memory: one document.

A span is ``[kind, start, end, plugin, *values]``: kind and plugin are indexes
into the summary's ``kinds`` and ``sources``, the values are those of the kind's
``report_fields`` in order, padded with nulls to at least two. An entity's
``canonical`` is null when it equals its source text (the page puts it back).
A finding is ``[severity, code, message, start, end, plugin, related]``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

from docmill.report.overview import KindFile, Overview, is_span
from docmill.runs.jsonl import lines_with_offsets, parse_object, read_dicts

_Wanted = Callable[[dict[str, Any]], bool]


def span_row(kind: str, fields: tuple[str, ...], rec: dict[str, Any], text: str) -> list[Any]:
    """A span record as the report's row (see the module's docstring)."""
    start, end = rec["start"], rec["end"]
    values = [rec.get(name) for name in fields]
    values += [None] * (2 - len(values))
    if kind == "entity" and values[1] == text[start:end]:
        values[1] = None
    return [kind, start, end, rec.get("plugin", ""), *values]


def _any(rec: dict[str, Any]) -> bool:
    return True


class KindStream:
    """The records of one kind file, handed out document by document (by slot)."""

    def __init__(self, source: KindFile, slots: dict[str, int]) -> None:
        self.kind = source.kind
        self.fields = source.fields
        self._slots = slots
        self._wanted: _Wanted = is_span if source.kind != "finding" else _any
        self._offsets: dict[int, list[int]] | None = None
        self._fh: BinaryIO | None = None
        self._head: tuple[int, dict[str, Any]] | None = None
        if not source.path.is_file():
            return
        if not source.ordered:
            self._offsets = {}
            for pos, line in lines_with_offsets(source.path):
                slot = self._slot_of(line)
                if slot is not None:
                    self._offsets.setdefault(slot, []).append(pos)
        self._fh = source.path.open("rb")
        if self._offsets is None:
            self._head = self._next()

    def _slot_of(self, line: bytes) -> int | None:
        if not line.strip():
            return None
        rec = parse_object(line)
        slot = self._slots.get(rec.get("doc_id", ""))
        return slot if slot is not None and self._wanted(rec) else None

    def _next(self) -> tuple[int, dict[str, Any]] | None:
        assert self._fh is not None
        for line in self._fh:
            if line.strip():
                rec = parse_object(line)
                slot = self._slots.get(rec.get("doc_id", ""))
                if slot is not None and self._wanted(rec):
                    return slot, rec
        return None

    def take(self, slot: int) -> Iterator[dict[str, Any]]:
        """The records of the document at ``slot`` (called with ascending slots), in file order."""
        if self._fh is None:
            return
        if self._offsets is not None:
            for pos in self._offsets.pop(slot, ()):
                self._fh.seek(pos)
                yield parse_object(self._fh.readline())
            return
        while self._head is not None and self._head[0] == slot:
            yield self._head[1]
            self._head = self._next()

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()


def document_bodies(overview: Overview) -> Iterator[dict[str, Any]]:
    """Pass 2: each document's ``{"text", "spans", "findings"}``, in document order."""
    summary = overview.summary
    kind_index = {k: i for i, k in enumerate(summary["kinds"])}
    source_index = {p: i for i, p in enumerate(summary["sources"])}
    streams = [KindStream(source, overview.slots) for source in overview.streams]
    try:
        n = 0
        for n, d in enumerate(read_dicts(overview.documents, missing_ok=True), start=1):
            slot, text = n - 1, d["text"]
            spans: list[list[Any]] = []
            findings: list[list[Any]] = []
            for stream in streams:
                for rec in stream.take(slot):
                    if stream.kind != "finding":
                        row = span_row(stream.kind, stream.fields, rec, text)
                        row[0], row[3] = kind_index[row[0]], source_index[row[3]]
                        spans.append(row)
                        continue
                    findings.append(
                        [
                            rec["severity"],
                            rec["code"],
                            rec["message"],
                            rec.get("start"),
                            rec.get("end"),
                            source_index[rec.get("plugin", "")],
                            rec.get("related") or None,
                        ]
                    )
            yield {"text": text, "spans": spans, "findings": findings}
        if n != len(summary["docs"]):
            raise RuntimeError(f"{overview.documents} changed while the report was written")
    finally:
        for stream in streams:
            stream.close()
