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

Nothing is copied unverified. An earlier run's JSONL files are read once, whole,
to find each document's lines; their sha256 is compared with the run's manifest
(``hashes``) as they are read, and each document's lines get a digest of their
own. When the records are copied, the bytes read again are checked against that
digest. A run whose files do not match its manifest (a changed value, a
truncated or deleted file), or whose manifest cannot be read, is no source of
reuse: its documents come from an older sound run or are processed again, and a
:class:`ReuseWarning` names the run and the file.
"""

from __future__ import annotations

import hashlib
import inspect
import os
import re
import sys
import warnings
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
from docmill.runs.manifest import MANIFEST, Manifest, ManifestError, read_manifest
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


class ReuseWarning(UserWarning):
    """An earlier run was not reused as it is: its files do not match its manifest, or it
    cannot be read. Its documents come from an older run or are processed again."""


class ReuseError(Exception):
    """An earlier run's records do not match its manifest (or cannot be read)."""


#: Per kind: document id -> the ``(start, end)`` byte ranges of its lines.
Ranges = dict[str, dict[str, list[tuple[int, int]]]]


@dataclass(eq=False)
class _RunIndex:
    """Where each document's lines are in one earlier run folder, checked against its manifest.

    :meth:`load` reads every record file but rejects.jsonl once, whole: it finds each
    document's byte ranges, checks the file's sha256 against the manifest's
    ``hashes`` and keeps a digest of each document's lines, so the copy can check
    the bytes it reads again (:meth:`Reused.records`).
    """

    folder: Path
    files: dict[str, str]
    hashes: dict[str, str] | None = None
    ranges: Ranges | None = None
    #: (kind, document id) -> sha256 of the document's lines in that kind's file.
    digests: dict[tuple[str, str], str] = field(default_factory=dict)

    def load(self) -> Ranges:
        """The byte ranges of every document; :class:`ReuseError` if the run is not sound."""
        if self.ranges is None:
            if self.hashes is None:
                raise ReuseError(
                    f"earlier run {self.folder} has no file hashes in its {MANIFEST} "
                    "to check its records against"
                )
            ranges: Ranges = {}
            for kind, name in self.files.items():
                if kind == "reject":
                    continue
                ranges[kind] = self._index(kind, name)
            self.ranges = ranges
        return self.ranges

    def _index(self, kind: str, name: str) -> dict[str, list[tuple[int, int]]]:
        path = self.folder / name
        expected = (self.hashes or {}).get(name)
        if expected is None:
            raise ReuseError(f"earlier run {self.folder}: {name} has no hash in its {MANIFEST}")
        key = "id" if kind == "document" else "doc_id"
        whole = hashlib.sha256()
        per_doc: dict[str, Any] = {}
        try:
            found = byte_ranges_by_document(path, key, whole, per_doc)
        except OSError as exc:
            raise ReuseError(
                f"earlier run {self.folder}: {name} cannot be read ({exc.strerror or exc})"
            ) from exc
        except ValueError:  # a line that is not JSON: the hash says the same, below
            found = {}
            whole.update(b"\0damaged")
        if whole.hexdigest() != expected:
            raise ReuseError(
                f"earlier run {self.folder}: {name} does not match the sha256 in its {MANIFEST}"
            )
        for doc_id, digest in per_doc.items():
            self.digests[(kind, doc_id)] = digest.hexdigest()
        return found


def byte_ranges_by_document(
    path: Path,
    key: str,
    whole: Any = None,
    per_doc: dict[str, Any] | None = None,
) -> dict[str, list[tuple[int, int]]]:
    """Document id -> the ``(start, end)`` byte ranges of its lines in the JSONL file ``path``.

    A line belongs to the document its field ``key`` names (``id`` in documents.jsonl,
    ``doc_id`` elsewhere); adjacent lines of one document make one range. ``whole``
    (a hashlib object) is updated with every byte of the file, and ``per_doc``
    gets a sha256 object per document updated with that document's lines.
    """
    found: dict[str, list[tuple[int, int]]] = {}
    for pos, line in lines_with_offsets(path):
        if whole is not None:
            whole.update(line)
        end = pos + len(line)
        doc_id = parse_object(line, f"{path}, byte {pos}").get(key)
        if isinstance(doc_id, str):
            if per_doc is not None:
                digest = per_doc.get(doc_id)
                if digest is None:
                    digest = per_doc[doc_id] = hashlib.sha256()
                digest.update(line)
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
        """The document's records, parsed back, in the order the flow writes them.

        The bytes read are checked against the digest taken when the run was
        indexed (the file then matched the manifest); :class:`ReuseError` when they
        differ or cannot be read, before anything is returned.
        """
        ranges = self.run.load()
        document: Record | None = None
        others: list[Record] = []
        for kind, by_doc in ranges.items():
            spans = by_doc.get(self.doc_id)
            if not spans:
                continue
            name = self.run.files[kind]
            digest = hashlib.sha256()
            chunks: list[bytes] = []
            try:
                with (self.run.folder / name).open("rb") as fh:
                    for start, end in spans:
                        fh.seek(start)
                        chunks.append(fh.read(end - start))
            except OSError as exc:
                raise ReuseError(
                    f"earlier run {self.run.folder}: {name} cannot be read ({exc.strerror or exc})"
                ) from exc
            for chunk in chunks:
                digest.update(chunk)
            if digest.hexdigest() != self.run.digests.get((kind, self.doc_id)):
                raise ReuseError(
                    f"earlier run {self.run.folder}: {name} changed since it was checked "
                    f"against its {MANIFEST}"
                )
            record_type = kinds[kind]
            for chunk in chunks:
                for line in chunk.splitlines():
                    record = record_type.model_validate_json(line)
                    if kind == "document":
                        document = record
                    else:
                        others.append(record)
        if document is None:
            raise ReuseError(f"earlier run {self.run.folder} has no document {self.doc_id}")
        return [document, *sorted(others, key=sort_key)]


def _warn(message: str) -> None:
    warnings.warn(message, ReuseWarning, stacklevel=3)


def _candidate_runs(out: Path, fp: str) -> list[tuple[_RunIndex, Manifest]]:
    """The newest complete runs under ``out`` with fingerprint ``fp``, newest first.

    A run whose manifest cannot be read is skipped with a :class:`ReuseWarning`.
    """
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
        except (OSError, ManifestError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            _warn(f"earlier run {path.parent} cannot be read ({reason}); not reused")
            continue
        if manifest.cache is None or manifest.cache.fingerprint != fp:
            continue
        index = _RunIndex(path.parent, dict(manifest.files), manifest.hashes)
        found.append((index, manifest))
    return found


def _sha256(item: InputFile, max_bytes: int) -> str | None:
    try:
        if item.path.stat().st_size > max_bytes:
            return None
        return sha256_bytes(item.path.read_bytes())
    except OSError:
        return None


@dataclass
class ReusePlan:
    """What a run takes from earlier runs."""

    #: Source name -> the input whose records are copied.
    documents: dict[str, Reused] = field(default_factory=dict)
    #: Inputs an earlier run held whose records did not match its manifest (processed
    #: again, or taken from an older sound run).
    damaged: int = 0


def plan(items: Sequence[InputFile], out: Path, fp: str, max_bytes: int) -> ReusePlan:
    """The inputs that need not be processed again, each with the run its records come from.

    Searches the newest complete run folders under ``out`` whose manifest has
    fingerprint ``fp``; an input is reusable when one of them has a document for
    the same source name and sha256, and no earlier input of this run has the same
    content. Every run that would serve an input is checked against its manifest
    first (:meth:`_RunIndex.load`); one that fails is dropped with a
    :class:`ReuseWarning` and the next newest run holding the input serves it, if any.
    """
    runs = _candidate_runs(out, fp)
    result = ReusePlan()
    if not runs:
        return result
    hashes: list[tuple[InputFile, str]] = []
    for item in items:
        sha = _sha256(item, max_bytes)
        if sha is not None:
            hashes.append((item, sha))
    damaged: set[str] = set()
    while True:
        known: dict[tuple[str, str], tuple[_RunIndex, str]] = {}
        for index, manifest in reversed(runs):  # newest last, so it wins
            for entry in manifest.inputs:
                if entry.status == "document" and entry.sha256 and entry.id:
                    known[(entry.source, entry.sha256)] = (index, entry.id)
        reusable: dict[str, Reused] = {}
        seen: set[str] = set()
        for item, sha in hashes:
            hit = known.get((item.name, sha))
            if hit is not None and sha not in seen:
                reusable[item.name] = Reused(item.name, sha, hit[1], hit[0])
            seen.add(sha)
        unsound = _unsound({id(r.run): r.run for r in reusable.values()}.values())
        if not unsound:
            break
        damaged.update(name for name, r in reusable.items() if r.run in unsound)
        runs = [(index, m) for index, m in runs if index not in unsound]
    result.documents = reusable
    result.damaged = len(damaged - set(reusable))
    return result


def _unsound(indexes: Iterable[_RunIndex]) -> list[_RunIndex]:
    """The runs of ``indexes`` that fail their check, each with a :class:`ReuseWarning`."""
    bad: list[_RunIndex] = []
    for index in indexes:
        try:
            index.load()
        except ReuseError as exc:
            _warn(f"{exc}; its records are not reused")
            bad.append(index)
    return bad
