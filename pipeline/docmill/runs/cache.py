"""Incremental reruns: reuse a document's records from an earlier run folder.

A document's records depend on its bytes, its source name and the code and
settings that processed it. :func:`fingerprint` condenses the second part (the
active plugins, their versions and module sources, their settings, the record
schema and the framework's stage code) into one digest written to every
manifest. A new run with the same fingerprint reuses, for every input whose
``(source, sha256)`` was a document of such a run, the lines that run wrote for
it; everything else goes through the stages. Reused records are parsed back
into their record types and written by the run's sinks like fresh ones, so the
JSONL is byte-identical to a full run's.

Only documents are reused: rejects are redone (they are cheap, and a rejected
input may have been fixed by a plugin that is not versioned). An input whose
content repeats an earlier input of the same run is always redone, so the
duplicate check of the flow sees it.
"""

from __future__ import annotations

import inspect
import os
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import orjson

from docmill import records as records_module
from docmill import text as text_module
from docmill.engine import STAGE_CODE, STAGES
from docmill.hashing import sha256_bytes, sha256_file
from docmill.plugins import Manager, __version__
from docmill.records import SCHEMA_VERSION, Record, sort_key
from docmill.runs.folder import PARTIAL_PREFIX
from docmill.runs.jsonl import lines_with_offsets, parse_object
from docmill.runs.manifest import MANIFEST, Manifest, read_manifest
from docmill.sources import InputFile

#: How many of the newest run folders are searched for reusable documents.
MAX_RUNS_SEARCHED = 20


def _file_digest(path: str | None) -> str:
    if not path:
        return "no-source"
    try:
        return sha256_file(Path(path))
    except OSError:
        return "unreadable"


def installed_packages() -> dict[str, str]:
    """Name -> version of every distribution installed where this process imports from.

    A plugin's records also depend on the libraries and models it calls (a new
    spaCy model package finds other entities; a new dateparser reads dates
    differently), which a plugin's own version does not say.

    Read from the ``NAME-VERSION.dist-info`` folder names on ``sys.path`` (2 ms),
    not from every package's METADATA file (~160 ms at every run's start); the
    first of a name on ``sys.path`` wins, as for imports.
    """
    found: dict[str, str] = {}
    for entry in sys.path:
        try:
            names = sorted(os.listdir(entry or "."))
        except OSError:
            continue
        for folder in names:
            if not folder.endswith((".dist-info", ".egg-info")):
                continue
            name, sep, version = folder.rsplit(".", 1)[0].partition("-")
            if not sep:  # an old egg-info without its version in the name
                try:
                    dist = metadata.Distribution.at(os.path.join(entry or ".", folder))
                    name, version = dist.metadata["Name"] or name, dist.version
                except Exception:
                    continue
            found.setdefault(re.sub(r"[-_.]+", "-", name).lower(), version)
    return dict(sorted(found.items()))


def fingerprint(mgr: Manager, plugin_settings: dict[str, Any], kinds: Iterable[str]) -> str:
    """Digest of everything besides the input that decides a document's records.

    Changes when a plugin is enabled, disabled, upgraded (version) or edited
    (module source), when plugins run in another order, when a plugin setting
    changes, when docmill's version, schema version or stage code changes, and
    when any installed package is added, removed or changes version (a library
    or a model a plugin uses: :func:`installed_packages`).
    """
    plugins = {}
    for name, version in mgr.versions().items():
        module = inspect.getmodule(mgr.pm.get_plugin(name))
        plugins[name] = {
            "version": version,
            "source": _file_digest(getattr(module, "__file__", None)),
        }
    order = {hook: [name for name, _ in mgr.ordered(hook)] for hook in STAGES}
    framework = {
        m.__name__: _file_digest(m.__file__) for m in (*STAGE_CODE, text_module, records_module)
    }
    data = {
        "docmill": __version__,
        "schema": SCHEMA_VERSION,
        "plugins": plugins,
        "order": order,
        "settings": plugin_settings,
        "kinds": sorted(kinds),
        "framework": framework,
        "packages": installed_packages(),
    }
    return sha256_bytes(orjson.dumps(data, option=orjson.OPT_SORT_KEYS))


@dataclass
class _RunIndex:
    """Where each document's lines are in one earlier run folder (byte ranges per file)."""

    folder: Path
    files: dict[str, str]
    ranges: dict[str, dict[str, list[tuple[int, int]]]] | None = None

    def load(self) -> dict[str, dict[str, list[tuple[int, int]]]]:
        if self.ranges is None:
            self.ranges = {}
            for kind, name in self.files.items():
                if kind == "reject":
                    continue
                key = "id" if kind == "document" else "doc_id"
                self.ranges[kind] = byte_ranges_by_document(self.folder / name, key)
        return self.ranges


def byte_ranges_by_document(path: Path, key: str) -> dict[str, list[tuple[int, int]]]:
    """Document id -> the ``(start, end)`` byte ranges of its lines in the JSONL file ``path``.

    A line belongs to the document its field ``key`` names (``id`` in documents.jsonl,
    ``doc_id`` elsewhere); adjacent lines of one document make one range.
    """
    found: dict[str, list[tuple[int, int]]] = {}
    for pos, line in lines_with_offsets(path):
        end = pos + len(line)
        doc_id = parse_object(line, f"{path}, byte {pos}").get(key)
        if isinstance(doc_id, str):
            spans = found.setdefault(doc_id, [])
            if spans and spans[-1][1] == pos:
                spans[-1] = (spans[-1][0], end)
            else:
                spans.append((pos, end))
    return found


@dataclass
class Reused:
    """One input whose records come from an earlier run."""

    source: str
    sha256: str
    doc_id: str
    run: _RunIndex = field(repr=False)

    def records(self, kinds: dict[str, type[Record]]) -> list[Record]:
        """The document's records, parsed back, in the order the flow writes them."""
        ranges = self.run.load()
        document: Record | None = None
        others: list[Record] = []
        for kind, by_doc in ranges.items():
            spans = by_doc.get(self.doc_id)
            if not spans:
                continue
            record_type = kinds[kind]
            with (self.run.folder / self.run.files[kind]).open("rb") as fh:
                for start, end in spans:
                    fh.seek(start)
                    for line in fh.read(end - start).splitlines():
                        record = record_type.model_validate_json(line)
                        if kind == "document":
                            document = record
                        else:
                            others.append(record)
        if document is None:
            raise LookupError(f"document {self.doc_id} is missing from {self.run.folder}")
        return [document, *sorted(others, key=sort_key)]


def _candidate_runs(out: Path, fp: str) -> list[tuple[_RunIndex, Manifest]]:
    found: list[tuple[_RunIndex, Manifest]] = []
    if not out.is_dir():
        return found
    manifests = sorted(
        (p for p in out.glob("*/" + MANIFEST) if not p.parent.name.startswith(PARTIAL_PREFIX)),
        key=lambda p: p.parent.name,
        reverse=True,
    )
    for path in manifests[:MAX_RUNS_SEARCHED]:
        try:
            manifest = read_manifest(path.parent)
        except (OSError, ValueError):
            continue
        if manifest.cache is None or manifest.cache.fingerprint != fp:
            continue
        found.append((_RunIndex(path.parent, dict(manifest.files)), manifest))
    return found


def _sha256(item: InputFile, max_bytes: int) -> str | None:
    try:
        if item.path.stat().st_size > max_bytes:
            return None
        return sha256_bytes(item.path.read_bytes())
    except OSError:
        return None


def plan(items: Sequence[InputFile], out: Path, fp: str, max_bytes: int) -> dict[str, Reused]:
    """Source name -> :class:`Reused` for every input that need not be processed again.

    Searches the newest complete run folders under ``out`` whose manifest has
    fingerprint ``fp``; an input is reusable when one of them has a document for
    the same source name and sha256, and no earlier input of this run has the same
    content.
    """
    runs = _candidate_runs(out, fp)
    if not runs:
        return {}
    known: dict[tuple[str, str], tuple[_RunIndex, str]] = {}
    for index, manifest in reversed(runs):  # newest last, so it wins
        for entry in manifest.inputs:
            if entry.status == "document" and entry.sha256 and entry.id:
                known[(entry.source, entry.sha256)] = (index, entry.id)
    reusable: dict[str, Reused] = {}
    seen: set[str] = set()
    for item in items:
        sha = _sha256(item, max_bytes)
        if sha is None:
            continue
        hit = known.get((item.name, sha))
        if hit is not None and sha not in seen:
            reusable[item.name] = Reused(item.name, sha, hit[1], hit[0])
        seen.add(sha)
    return reusable
