"""Lineage: from any line of a run's JSONL files to its producer and its run.

Every record carries ``plugin``, the name of the plugin that produced it (the
framework's own records — rejects of unreadable inputs, for instance — name
``docmill``). The rest of a line's lineage lives once per run in
``manifest.json``: ``run_id``, ``docmill_version`` and ``plugins`` (name ->
version of every active plugin). Records deliberately carry neither the run id
nor versions: two runs over the same inputs with the same plugins must write
byte-identical JSONL, and a run id differs on every run. A line is traced
through the run folder its file sits in — :func:`trace`, or ``docmill trace
FILE:LINE``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docmill.engine.stages import FRAMEWORK
from docmill.runs.jsonl import JsonlError, lines_with_offsets, parse_object
from docmill.runs.manifest import MANIFEST, Manifest, ManifestError, read_manifest


class LineageError(LookupError):
    """A line cannot be traced: no manifest, no such line, or an unknown producer."""


@dataclass(frozen=True)
class Lineage:
    """Where one JSONL line came from."""

    run_id: str
    file: str
    line: int
    kind: str
    plugin: str
    plugin_version: str
    docmill_version: str
    record: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "file": self.file,
            "line": self.line,
            "kind": self.kind,
            "plugin": self.plugin,
            "plugin_version": self.plugin_version,
            "docmill_version": self.docmill_version,
            "record": self.record,
        }


def producer_version(manifest: Manifest, plugin: str) -> str:
    """The version of ``plugin`` in a run, from its manifest."""
    if plugin == FRAMEWORK:
        return manifest.docmill_version
    if plugin not in manifest.plugins:
        raise LineageError(f"plugin {plugin!r} is not among the run's plugins ({MANIFEST})")
    return manifest.plugins[plugin]


def trace(path: Path, line: int) -> Lineage:
    """The lineage of line ``line`` (1-based) of the JSONL file ``path`` in a run folder."""
    folder = path.parent
    if not (folder / MANIFEST).is_file():
        raise LineageError(f"{folder} has no {MANIFEST}: not a complete run folder")
    try:
        manifest = read_manifest(folder)
    except ManifestError as exc:
        raise LineageError(str(exc)) from None
    raw, n = None, 0
    for n, (_, text) in enumerate(lines_with_offsets(path), start=1):
        if n == line:
            raw = text
            break
    if raw is None or line < 1:
        raise LineageError(f"{path.name} has {n} lines, not a line {line}")
    try:
        record = parse_object(raw, f"{path.name}, line {line}")
    except JsonlError as exc:
        raise LineageError(str(exc)) from None
    plugin = str(record.get("plugin") or FRAMEWORK)
    return Lineage(
        run_id=manifest.run_id,
        file=path.name,
        line=line,
        kind=str(record.get("kind", "")),
        plugin=plugin,
        plugin_version=producer_version(manifest, plugin),
        docmill_version=manifest.docmill_version,
        record=record,
    )
