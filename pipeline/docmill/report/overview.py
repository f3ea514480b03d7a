"""Pass 1 of the report over a run folder: the summary block, and where each record goes.

The summary is what the page opens on: the run (from its manifest), totals per
kind, entity label, plugin and severity, the rejects, and one small summary per
document. It also fixes the tables the per-document data indexes into (``kinds``,
``sources``) and, per span kind, the fields drawn on its spans (``fields``: the
kind's :attr:`~docmill.records.Record.report_fields`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docmill.runs.jsonl import read_dicts
from docmill.runs.read import Run, UnknownKindError

#: Record kinds the report leaves out of the per-document data (counted in the overview).
SKIPPED_KINDS = frozenset({"document", "segment", "reject", "finding"})

#: The manifest entries shown as the report's run header.
_RUN_KEYS = (
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


@dataclass(frozen=True)
class KindFile:
    """One kind file read into the per-document data (a span kind, or the findings)."""

    kind: str
    path: Path
    #: True when its records come in document order (every file docmill writes).
    ordered: bool
    #: The fields drawn on each span, in order (none for findings and unknown kinds).
    fields: tuple[str, ...] = ()


@dataclass
class Overview:
    """What pass 1 found: the summary block, the documents, the kind files to merge.

    ``summary`` is exactly the data of the page's summary block. ``slots`` maps a
    document id to the index of its document (the last one, should an id repeat);
    ``streams`` lists the kind files read into the per-document data (span kinds
    in sorted order, then findings).
    """

    summary: dict[str, Any]
    documents: Path
    slots: dict[str, int]
    streams: list[KindFile] = field(default_factory=list)


def _count(counter: dict[str, int], key: str) -> None:
    counter[key] = counter.get(key, 0) + 1


def is_span(rec: dict[str, Any]) -> bool:
    """True for a record the report can draw on the text (it has integer offsets)."""
    return isinstance(rec.get("start"), int) and "end" in rec


def report_fields(run: Run, kind: str) -> tuple[str, ...]:
    """The fields drawn on spans of ``kind``: its model's ``report_fields`` (none if unknown)."""
    try:
        return run.model(kind).report_fields
    except UnknownKindError:
        return ()


def read_overview(run: Run) -> Overview:
    """Pass 1: read every file of ``run`` once and build the :class:`Overview`."""
    folder, manifest = run.folder, run.manifest.to_dict()
    files: dict[str, str] = dict(manifest.get("files", {}))
    documents = folder / files.get("document", "documents.jsonl")
    docs: list[dict[str, Any]] = []
    slots: dict[str, int] = {}
    for d in read_dicts(documents, missing_ok=True):
        slots[d["id"]] = len(docs)
        docs.append(
            {
                "id": d["id"],
                "title": d.get("title"),
                "source": d.get("source"),
                "published": d.get("published"),
                "language": d.get("language"),
                "n": {},
                "sev": {},
            }
        )
    overview = Overview({}, documents, slots)
    labels: dict[str, int] = {}
    by_plugin: dict[str, int] = {}
    severities: dict[str, int] = {"error": 0, "warning": 0, "info": 0}
    kinds: dict[str, tuple[str, ...]] = {}
    for kind in sorted(files):
        if kind in SKIPPED_KINDS:
            continue
        path, last, ordered = folder / files[kind], 0, True
        for rec in read_dicts(path, missing_ok=True):
            slot = slots.get(rec.get("doc_id", ""))
            if slot is None or not is_span(rec):
                continue
            ordered, last = ordered and slot >= last, slot
            if kind not in kinds:
                kinds[kind] = report_fields(run, kind)
            _count(docs[slot]["n"], kind)
            _count(by_plugin, rec.get("plugin", ""))
            if kind == "entity":
                _count(labels, str(rec.get("label")))
        overview.streams.append(KindFile(kind, path, ordered, kinds.get(kind, ())))
    path, last, ordered = folder / files.get("finding", "findings.jsonl"), 0, True
    for f in read_dicts(path, missing_ok=True):
        slot = slots.get(f.get("doc_id", ""))
        if slot is None:
            continue
        ordered, last = ordered and slot >= last, slot
        _count(docs[slot]["sev"], f["severity"])
        _count(severities, f["severity"])
        _count(by_plugin, f.get("plugin", ""))
    overview.streams.append(KindFile("finding", path, ordered))
    rejects = [
        {k: r.get(k) for k in ("source", "stage", "plugin", "error")}
        for r in read_dicts(folder / files.get("reject", "rejects.jsonl"), missing_ok=True)
    ]
    overview.summary = {
        "run": {k: manifest.get(k) for k in _RUN_KEYS},
        "counts": dict(sorted(manifest.get("counts", {}).items())),
        "timings": dict(sorted(manifest.get("timings", {}).items())),
        "plugins": dict(sorted(manifest.get("plugins", {}).items())),
        "rejects": rejects,
        "kinds": sorted(kinds),
        "fields": {kind: list(kinds[kind]) for kind in sorted(kinds)},
        "sources": sorted(by_plugin),
        "labels": dict(sorted(labels.items(), key=lambda kv: (-kv[1], kv[0]))),
        "by_plugin": dict(sorted(by_plugin.items(), key=lambda kv: (-kv[1], kv[0]))),
        "severities": severities,
        "languages": manifest.get("languages") or {"documents": {}, "skipped": {}},
        "docs": docs,
    }
    return overview
