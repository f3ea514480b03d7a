"""The HTML report of a run: one self-contained ``report.html`` in the run folder.

The report is built from the run folder alone (``manifest.json`` plus the JSONL
files it lists), so the built-in plugin ``export_report`` (at the end of every
run) and ``docmill report RUN`` (afterwards) write the same file from the same
inputs. Contracts:

- Self-contained: CSS, script and data are inline; a Content-Security-Policy
  forbids every network request and lets only the report's own script run (by
  its sha256), so the file opens from disk in any browser, offline.
- Safe: document text is data, never markup. It travels as JSON inside a
  ``<script type="application/json">`` block with every ``<`` escaped, and the
  script puts it on the page with ``textContent`` / ``setAttribute`` only.
- Lazy: the page opens on a small summary block (run, totals, one line per
  document); each document's text, spans and findings are a JSON block of their
  own, parsed and laid out only when the document's section is opened, so a run
  of 1,000 documents opens quickly. The embedded data is smaller than the JSONL
  it comes from (segments are left out, field names, kinds and plugin names are
  not repeated).
- Streamed: :func:`write_report` reads the run twice and holds one document at a
  time. Pass 1 computes the summary block (one small summary per document,
  totals, the kind and plugin tables the per-document data indexes into); pass 2
  reads ``documents.jsonl`` again and merges each kind file into it, writing each
  document's data block straight to the file. Every kind file a run writes is in
  document order (records are written document by document), so the merge holds
  one record ahead; a file in any other order is indexed by byte offset first.
  Memory is the per-document summaries plus one document, whatever the run's size.
- Deterministic: the same run folder gives a byte-identical report, the same bytes
  as :func:`render` of :func:`report_data` (which builds it all in memory).
"""

from __future__ import annotations

import base64
import hashlib
import html
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from docmill.runs.folder import MANIFEST, read_manifest

REPORT = "report.html"
_PLACEHOLDER = re.compile(r"(__DOCMILL_[A-Z]+__)")

#: Record kinds the report draws as highlights (each span kind has a fixed form).
SPAN_KINDS = ("entity", "quote", "date", "edit")
#: Record kinds the report leaves out of the per-document data (counted in the overview).
SKIPPED_KINDS = frozenset({"document", "segment", "reject", "finding"})


class NotARunError(ValueError):
    """The folder given is not a complete run folder (no ``manifest.json``)."""


def _asset(name: str) -> str:
    return resources.files("docmill.report").joinpath("assets", name).read_text(encoding="utf-8")


def _read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    if not path.is_file():
        return
    with path.open("rb") as fh:
        for line in fh:
            if line.strip():
                record: dict[str, Any] = orjson.loads(line)
                yield record


def _span_row(kind: str, rec: dict[str, Any], text: str) -> list[Any]:
    """A span as ``[kind, start, end, plugin, a, b]``: a/b are the kind's own fields.

    An entity's canonical name is left out (null) when it is its source text.
    """
    a: Any = None
    b: Any = None
    start, end = rec["start"], rec["end"]
    if kind == "entity":
        canonical = rec.get("canonical")
        a, b = rec.get("label"), None if canonical == text[start:end] else canonical
    elif kind == "quote":
        a, b = rec.get("speaker"), rec.get("cue")
    elif kind == "date":
        a = rec.get("value")
    elif kind == "edit":
        a, b = rec.get("replacement"), rec.get("reason")
    return [kind, start, end, rec.get("plugin", ""), a, b]


def _count(counter: dict[str, int], key: str) -> None:
    counter[key] = counter.get(key, 0) + 1


def _is_span(rec: dict[str, Any]) -> bool:
    return isinstance(rec.get("start"), int) and "end" in rec


@dataclass
class _Scan:
    """Pass 1 over a run folder: the summary block, and where each record goes.

    ``summary`` is exactly the data of the page's summary block. ``slots`` maps a
    document id to the index of its document (the last one, should an id repeat);
    ``streams`` lists, per kind file read into the per-document data (span kinds in
    sorted order, then findings), its kind, its path and whether its records come in
    document order (every file docmill writes does: records are written document
    by document).
    """

    summary: dict[str, Any]
    documents: Path
    slots: dict[str, int]
    streams: list[tuple[str, Path, bool]] = field(default_factory=list)


def _scan(folder: Path, manifest: dict[str, Any] | None) -> _Scan:
    if manifest is None:
        if not (folder / MANIFEST).is_file():
            raise NotARunError(f"{folder} is not a run folder (no {MANIFEST})")
        manifest = read_manifest(folder)
    files: dict[str, str] = dict(manifest.get("files", {}))
    documents = folder / files.get("document", "documents.jsonl")
    docs: list[dict[str, Any]] = []
    slots: dict[str, int] = {}
    for d in _read_jsonl(documents):
        slots[d["id"]] = len(docs)
        docs.append(
            {
                "id": d["id"],
                "title": d.get("title"),
                "source": d.get("source"),
                "published": d.get("published"),
                "n": {},
                "sev": {},
            }
        )
    scan = _Scan({}, documents, slots)
    labels: dict[str, int] = {}
    by_plugin: dict[str, int] = {}
    severities: dict[str, int] = {"error": 0, "warning": 0, "info": 0}
    kinds: set[str] = set()
    for kind in sorted(files):
        if kind in SKIPPED_KINDS:
            continue
        path, last, ordered = folder / files[kind], 0, True
        for rec in _read_jsonl(path):
            slot = slots.get(rec.get("doc_id", ""))
            if slot is None or not _is_span(rec):
                continue
            ordered, last = ordered and slot >= last, slot
            kinds.add(kind)
            _count(docs[slot]["n"], kind)
            plugin = rec.get("plugin", "")
            _count(by_plugin, plugin)
            if kind == "entity":
                _count(labels, str(rec.get("label")))
        scan.streams.append((kind, path, ordered))
    path, last, ordered = folder / files.get("finding", "findings.jsonl"), 0, True
    for f in _read_jsonl(path):
        slot = slots.get(f.get("doc_id", ""))
        if slot is None:
            continue
        ordered, last = ordered and slot >= last, slot
        _count(docs[slot]["sev"], f["severity"])
        _count(severities, f["severity"])
        _count(by_plugin, f.get("plugin", ""))
    scan.streams.append(("finding", path, ordered))
    rejects = [
        {k: r.get(k) for k in ("source", "stage", "plugin", "error")}
        for r in _read_jsonl(folder / files.get("reject", "rejects.jsonl"))
    ]
    run = {
        k: manifest.get(k)
        for k in (
            "run_id",
            "started",
            "finished",
            "seconds",
            "n_inputs",
            "documents",
            "rejects",
            "docmill_version",
            "schema_version",
        )
    }
    scan.summary = {
        "run": run,
        "counts": dict(sorted(manifest.get("counts", {}).items())),
        "timings": dict(sorted(manifest.get("timings", {}).items())),
        "plugins": dict(sorted(manifest.get("plugins", {}).items())),
        "rejects": rejects,
        "kinds": sorted(kinds),
        "sources": sorted(by_plugin),
        "labels": dict(sorted(labels.items(), key=lambda kv: (-kv[1], kv[0]))),
        "by_plugin": dict(sorted(by_plugin.items(), key=lambda kv: (-kv[1], kv[0]))),
        "severities": severities,
        "docs": docs,
    }
    return scan


class _Grouped:
    """The records of one kind file, handed out document by document (by slot).

    A file in document order is merged in one forward pass holding one record
    ahead; any other file (not written by docmill) is indexed first, by byte
    offset per document, and its records are read back with a seek each.
    """

    def __init__(self, kind: str, path: Path, ordered: bool, slots: dict[str, int]) -> None:
        self.kind = kind
        self._slots = slots
        self._wanted = _is_span if kind != "finding" else _any
        self._offsets: dict[int, list[int]] | None = None
        self._fh: BinaryIO | None = path.open("rb") if path.is_file() else None
        self._head: tuple[int, dict[str, Any]] | None = None
        if self._fh is not None and not ordered:
            self._offsets = {}
            pos = 0
            for line in self._fh:
                slot = self._slot_of(line)
                if slot is not None:
                    self._offsets.setdefault(slot, []).append(pos)
                pos += len(line)
        else:
            self._head = self._next()

    def _slot_of(self, line: bytes) -> int | None:
        if not line.strip():
            return None
        rec: dict[str, Any] = orjson.loads(line)
        slot = self._slots.get(rec.get("doc_id", ""))
        return slot if slot is not None and self._wanted(rec) else None

    def _next(self) -> tuple[int, dict[str, Any]] | None:
        assert self._fh is not None
        for line in self._fh:
            if line.strip():
                rec: dict[str, Any] = orjson.loads(line)
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
                rec: dict[str, Any] = orjson.loads(self._fh.readline())
                yield rec
            return
        while self._head is not None and self._head[0] == slot:
            yield self._head[1]
            self._head = self._next()

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()


def _any(rec: dict[str, Any]) -> bool:
    return True


def _bodies(scan: _Scan) -> Iterator[dict[str, Any]]:
    """Pass 2: each document's text, spans and findings, in document order, one at a time."""
    kind_index = {k: i for i, k in enumerate(scan.summary["kinds"])}
    source_index = {p: i for i, p in enumerate(scan.summary["sources"])}
    groups = [_Grouped(kind, path, ordered, scan.slots) for kind, path, ordered in scan.streams]
    try:
        n = 0
        for n, d in enumerate(_read_jsonl(scan.documents), start=1):
            slot, text = n - 1, d["text"]
            spans: list[list[Any]] = []
            findings: list[list[Any]] = []
            for group in groups:
                for rec in group.take(slot):
                    if group.kind != "finding":
                        row = _span_row(group.kind, rec, text)
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
        if n != len(scan.summary["docs"]):
            raise RuntimeError(f"{scan.documents} changed while the report was written")
    finally:
        for group in groups:
            group.close()


def report_data(folder: Path, manifest: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything the report shows, read from a run folder (``manifest`` given or read).

    ``docs`` holds one small summary per document (in the order of
    ``documents.jsonl``: title, source, counts per kind and severity) and
    ``bodies`` the matching text, spans (entities, quotes, dates, edits and
    plugins' own span kinds, each as ``[kind, start, end, plugin, a, b]`` with
    kind and plugin as indexes into ``kinds`` and ``sources``) and findings
    (``[severity, code, message, start, end, plugin, related]``). Totals per entity label,
    plugin and severity are computed here, so the page needs no pass over the
    bodies to open. Segments are counted, not embedded. Records whose ``doc_id``
    names no document are left out.

    This holds every document's text in memory at once: for tests and tools.
    :func:`write_report` streams the same data instead.
    """
    scan = _scan(folder, manifest)
    return {**scan.summary, "bodies": list(_bodies(scan))}


def _json_for_script(data: Any) -> str:
    """JSON safe inside ``<script type="application/json">``: no ``<`` can end the block."""
    raw = orjson.dumps(data).decode("utf-8")
    return raw.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _page(summary: dict[str, Any], bodies: Iterable[dict[str, Any]]) -> Iterator[str]:
    """The report page in pieces: the template with the summary, then one block per body."""
    script = _asset("report.js")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    csp = (
        "default-src 'none'; "
        f"script-src 'sha256-{digest}'; "
        "style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
    )
    run_id = str(summary["run"].get("run_id") or "")
    page = _asset("report.html")
    parts = {
        "__DOCMILL_CSP__": html.escape(csp, quote=False).replace('"', "&quot;"),
        "__DOCMILL_TITLE__": html.escape(f"docmill report · run {run_id}"),
        "__DOCMILL_STYLE__": _asset("report.css"),
        "__DOCMILL_DATA__": _json_for_script(summary),
        "__DOCMILL_BODIES__": "",  # streamed below
        "__DOCMILL_SCRIPT__": script,
    }
    # One pass over the template only: a placeholder inside document text stays text.
    pieces = _PLACEHOLDER.split(page)
    if sorted(pieces[1::2]) != sorted(parts):
        raise RuntimeError(f"report template placeholders {pieces[1::2]} != {sorted(parts)}")
    for i, piece in enumerate(pieces):
        if i % 2 == 0 or piece != "__DOCMILL_BODIES__":
            yield parts[piece] if i % 2 else piece
            continue
        for n, body in enumerate(bodies):
            yield "\n" if n else ""
            yield f'<script type="application/json" id="doc-data-{n}">'
            yield _json_for_script(body)
            yield "</script>"


def render(data: dict[str, Any]) -> str:
    """The report page for :func:`report_data`'s output, as one string."""
    summary = {k: v for k, v in data.items() if k != "bodies"}
    return "".join(_page(summary, data["bodies"]))


def write_report(folder: Path, manifest: dict[str, Any] | None = None) -> Path:
    """Write ``report.html`` into ``folder`` (atomically) and return its path.

    Streams: two passes over the run's JSONL files, the page written piece by
    piece, so memory holds the per-document summaries and one document at a time.
    The bytes are those of ``render(report_data(folder, manifest))``.
    """
    scan = _scan(folder, manifest)
    path = folder / REPORT
    tmp = folder / f".{REPORT}.{os.getpid()}.tmp"
    try:
        with tmp.open("w", encoding="utf-8") as fh:
            for piece in _page(scan.summary, _bodies(scan)):
                fh.write(piece)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
