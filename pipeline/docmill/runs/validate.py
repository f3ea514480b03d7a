"""Re-check a run folder against its manifest and the record schemas (``docmill validate RUN``).

:func:`validate_run` checks, stopping at the first mismatch (:class:`RunInvalid`
says which file, line and what): the manifest reads as a :class:`~docmill.runs.manifest.Manifest`
and records file hashes; every file it lists exists and has the sha256 it
records; every line of every JSONL file parses and validates against its record
type (plugins' kinds included) with the right ``kind``; the lines per file equal
the manifest's counts; every record's ``doc_id`` names a document of the run;
documents plus rejects equal the inputs, and the inputs listed agree.

A run folder written by an older docmill whose manifest lacks something these
checks need is refused with a message naming what is missing (never a
``KeyError``). The command, ``docmill validate`` (exit code 4), is :mod:`docmill.cli.validate`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pydantic import ValidationError

from docmill.hashing import sha256_file
from docmill.records import Record
from docmill.runs.jsonl import JsonlError, lines_with_offsets, parse_object
from docmill.runs.manifest import MANIFEST, Manifest, ManifestError, read_manifest


class RunInvalid(ValueError):
    """A run folder does not match its manifest or the record schemas."""


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "record"
    return f"{where}: {err['msg']}"


def _read(folder: Path) -> Manifest:
    try:
        return read_manifest(folder)
    except ManifestError as exc:
        raise RunInvalid(str(exc)) from None
    except OSError as exc:
        raise RunInvalid(f"{folder / MANIFEST}: unreadable: {exc}") from None


def _check_hashes(folder: Path, manifest: Manifest) -> None:
    hashes = manifest.hashes
    if hashes is None:
        raise RunInvalid(
            f"{folder / MANIFEST}: no 'hashes' entry (written by a docmill that did not "
            "record file hashes): the files cannot be checked; run the inputs again"
        )
    for name in sorted(set(manifest.files.values()) | set(hashes)):
        path = folder / name
        if not path.is_file():
            raise RunInvalid(f"{path}: listed in the manifest but missing")
        if name not in hashes:
            raise RunInvalid(f"{path}: no sha256 in the manifest")
        actual = sha256_file(path)
        if actual != hashes[name]:
            raise RunInvalid(
                f"{path}: sha256 {actual} differs from the manifest's {hashes[name]} "
                "(the file changed after the run)"
            )


def _check_file(
    path: Path,
    kind: str,
    record_type: type[Record],
    doc_ids: set[str],
    deferred: list[tuple[Path, int, str]],
) -> int:
    """Validate every line of one kind file; returns its line count."""
    n = 0
    for n, (_, line) in enumerate(lines_with_offsets(path), start=1):
        where = f"{path}, line {n}"
        try:
            data = parse_object(line, where)
        except JsonlError as exc:
            raise RunInvalid(str(exc)) from None
        if data.get("kind") != kind:
            raise RunInvalid(f"{where}: kind {data.get('kind')!r} in the file of kind {kind!r}")
        try:
            record_type.model_validate_json(line)
        except ValidationError as exc:
            raise RunInvalid(f"{where}: not a valid {kind}: {_first_error(exc)}") from None
        if kind == "document":
            doc_ids.add(data["id"])
        elif isinstance(data.get("doc_id"), str):
            deferred.append((path, n, data["doc_id"]))
    return n


def validate_run(folder: Path, kinds: Mapping[str, type[Record]]) -> dict[str, int]:
    """Validate the run folder; returns kind -> records checked, or raises :class:`RunInvalid`.

    ``kinds`` maps every kind the run may hold to its record type (the core kinds
    and the installed plugins' kinds); a kind file of any other kind is invalid.
    """
    manifest = _read(folder)
    _check_hashes(folder, manifest)
    checked: dict[str, int] = {}
    doc_ids: set[str] = set()
    deferred: list[tuple[Path, int, str]] = []  # (file, line, doc_id) to check at the end
    for kind, name in sorted(manifest.files.items(), key=lambda kv: kv[0] != "document"):
        if kind not in kinds:
            raise RunInvalid(
                f"{folder / name}: record kind {kind!r} is unknown here "
                "(is the plugin that declares it installed?)"
            )
        n = _check_file(folder / name, kind, kinds[kind], doc_ids, deferred)
        expected = manifest.counts.get(kind, 0)
        if n != expected:
            raise RunInvalid(f"{folder / name}: {n} records, the manifest counts {expected}")
        checked[kind] = n
    for path, lineno, doc_id in deferred:
        if doc_id not in doc_ids:
            raise RunInvalid(
                f"{path}, line {lineno}: doc_id {doc_id!r} is not a document of the run"
            )
    documents, rejects = checked.get("document", 0), checked.get("reject", 0)
    if (documents, rejects) != (manifest.documents, manifest.rejects):
        raise RunInvalid(
            f"{folder / MANIFEST}: says {manifest.documents} documents and "
            f"{manifest.rejects} rejects, the files hold {documents} and {rejects}"
        )
    if documents + rejects != manifest.n_inputs:
        raise RunInvalid(
            f"{folder}: {documents} documents + {rejects} rejects != {manifest.n_inputs} inputs"
        )
    if len(manifest.inputs) != manifest.n_inputs:
        raise RunInvalid(
            f"{folder / MANIFEST}: lists {len(manifest.inputs)} inputs, "
            f"n_inputs is {manifest.n_inputs}"
        )
    return checked
