"""``manifest.json``, the record of one run: the typed :class:`Manifest`, written and read here.

A run folder is complete when it holds ``manifest.json`` (written last, see
:mod:`docmill.runs.folder`). The file is JSON indented by two with its keys
sorted; :func:`manifest_bytes` of :func:`read_manifest` gives back the same bytes
for every manifest docmill wrote (``tests/test_manifest.py``).

Compatibility: every field present since docmill 0.1.0's first run folders is
required; ``cache`` (reuse counts, added with incremental reruns) and ``hashes``
(per-file sha256, taken after ``run_complete``) and ``languages`` (documents per
language, what language-aware plugins skipped) may be absent in older folders
and are ``None`` then. Keys this version does not know (a newer docmill's) are
kept: read and written back unchanged, reachable through ``model_extra``. A
manifest that lacks a required field or has one of the wrong type is refused
with a :class:`ManifestError` that names the file and each problem.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, ValidationError, field_serializer

from docmill.runs.atomic import json_bytes, write_bytes_atomic

MANIFEST = "manifest.json"


class ManifestError(ValueError):
    """A ``manifest.json`` that docmill cannot read: not JSON, or not a run manifest."""


class NotARunError(ManifestError):
    """The folder is not a complete run folder: it has no ``manifest.json``."""


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow")


class InputEntry(_Part):
    """One input of the run, in the order inputs were written."""

    source: str
    #: sha256 of the input's bytes; null when it could not be read (or was too large).
    sha256: str | None
    #: ``document`` when it became a document, ``reject`` when it is in rejects.jsonl.
    status: Literal["document", "reject"]
    #: The document's id (``status == "document"``), else null.
    id: str | None


class CacheInfo(_Part):
    """What the run reused from earlier runs (:mod:`docmill.runs.cache`)."""

    #: Digest of everything besides the inputs that decides a document's records.
    fingerprint: str
    #: True for ``--full`` (nothing reused by request).
    full: bool
    reused: int
    reprocessed: int


class LanguageInfo(_Part):
    """Documents per language and what language-aware plugins skipped."""

    #: Language (ISO 639-1, ``und`` or ``mul``) -> documents written in it.
    documents: dict[str, int]
    #: Plugin -> language -> documents it skipped (its ``language-skipped`` findings).
    skipped: dict[str, dict[str, int]]


class Manifest(_Part):
    """The contents of a run's ``manifest.json``."""

    run_id: str
    schema_version: str
    docmill_version: str
    started: datetime
    finished: datetime
    #: Wall time of the run in seconds (3 decimals).
    seconds: float
    batch_size: int
    inputs: tuple[InputEntry, ...]
    n_inputs: int
    documents: int
    rejects: int
    #: Name -> version of every active plugin.
    plugins: dict[str, str]
    #: Kind -> records written (every kind of the run, zeros included).
    counts: dict[str, int]
    #: Kind -> its JSONL file's name in the run folder.
    files: dict[str, str]
    #: Stage -> seconds spent in it (4 decimals).
    timings: dict[str, float]
    cache: CacheInfo | None = None
    #: File name -> sha256 of every file in the run folder but the manifest itself.
    hashes: dict[str, str] | None = None
    #: Documents per language, skips per plugin (absent in older run folders).
    languages: LanguageInfo | None = None

    @field_serializer("started", "finished")
    def _iso(self, value: datetime) -> str:
        return value.isoformat()  # "+00:00", as the manifest has always said (not "Z")

    def to_dict(self) -> dict[str, Any]:
        """The JSON object ``manifest.json`` holds (absent optional parts left out)."""
        data = self.model_dump(mode="json")
        for key in ("cache", "hashes", "languages"):
            if data.get(key) is None:
                data.pop(key, None)
        return data


def manifest_bytes(manifest: Manifest) -> bytes:
    """The bytes of ``manifest.json`` for ``manifest``."""
    return json_bytes(manifest.to_dict())


def write_manifest(folder: Path, manifest: Manifest) -> Path:
    """Write ``folder/manifest.json`` atomically; returns its path."""
    path = folder / MANIFEST
    write_bytes_atomic(path, manifest_bytes(manifest))
    return path


def _problems(exc: ValidationError) -> str:
    missing: list[str] = []
    wrong: list[str] = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        if err["type"] == "missing":
            missing.append(repr(where))
        else:
            wrong.append(f"{where!r}: {err['msg']}")
    parts = ([f"no {', '.join(missing)}"] if missing else []) + wrong[:5]
    return "; ".join(parts)


def parse_manifest(raw: bytes, where: str = MANIFEST) -> Manifest:
    """The :class:`Manifest` in ``raw``; :class:`ManifestError` naming ``where`` if it is none."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ManifestError(f"{where}: not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ManifestError(f"{where}: a JSON {type(data).__name__}, not a run manifest")
    try:
        return Manifest.model_validate(data)
    except ValidationError as exc:
        raise ManifestError(f"{where}: not a docmill run manifest: {_problems(exc)}") from None


def read_manifest(folder: Path) -> Manifest:
    """The manifest of the run folder ``folder``.

    Raises :class:`NotARunError` when ``folder`` has no ``manifest.json``,
    :class:`ManifestError` when it is not a run manifest, ``OSError`` when it
    cannot be read.
    """
    path = folder / MANIFEST
    try:
        raw = path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        raise NotARunError(f"{folder} is not a run folder (no {MANIFEST})") from None
    return parse_manifest(raw, str(path))
