"""``docmill validate RUN``: re-check a run folder against its manifest and the record schemas.

Checks, stopping at the first mismatch (:class:`RunInvalid` says which file,
line and what): the manifest reads; every file it lists exists and has the
sha256 it records; every line of every JSONL file parses and validates against
its record type (plugins' kinds included) with the right ``kind``; the lines per
file equal the manifest's counts; every record's ``doc_id`` names a document of
the run; documents plus rejects equal the inputs, and the inputs listed agree.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from docmill.records import Record
from docmill.runs.folder import MANIFEST, read_manifest
from docmill.runs.summary import sha256_file


class RunInvalid(ValueError):
    """A run folder does not match its manifest or the record schemas."""


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "record"
    return f"{where}: {err['msg']}"


def validate_run(folder: Path, kinds: dict[str, type[Record]]) -> dict[str, int]:
    """Validate the run folder; returns kind -> records checked, or raises :class:`RunInvalid`."""
    if not (folder / MANIFEST).is_file():
        raise RunInvalid(f"{folder}: no {MANIFEST} (not a complete run folder)")
    try:
        manifest = read_manifest(folder)
    except (OSError, ValueError) as exc:
        raise RunInvalid(f"{folder / MANIFEST}: unreadable: {exc}") from None
    for key in ("files", "counts", "hashes", "n_inputs", "documents", "rejects"):
        if key not in manifest:
            raise RunInvalid(f"{folder / MANIFEST}: no {key!r} entry")
    files: dict[str, str] = manifest["files"]
    hashes: dict[str, str] = manifest["hashes"]
    for name in sorted(set(files.values()) | set(hashes)):
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
    checked: dict[str, int] = {}
    doc_ids: set[str] = set()
    deferred: list[tuple[Path, int, str]] = []  # (file, line, doc_id) to check at the end
    for kind, name in sorted(files.items(), key=lambda kv: kv[0] != "document"):
        if kind not in kinds:
            raise RunInvalid(
                f"{folder / name}: record kind {kind!r} is unknown here "
                "(is the plugin that declares it installed?)"
            )
        record_type = kinds[kind]
        n = 0
        with (folder / name).open("rb") as fh:
            for n, line in enumerate(fh, start=1):
                where = f"{folder / name}, line {n}"
                try:
                    data: Any = orjson.loads(line)
                except orjson.JSONDecodeError as exc:
                    raise RunInvalid(f"{where}: not JSON: {exc}") from None
                if not isinstance(data, dict) or data.get("kind") != kind:
                    got = data.get("kind") if isinstance(data, dict) else type(data).__name__
                    raise RunInvalid(f"{where}: kind {got!r} in the file of kind {kind!r}")
                try:
                    record_type.model_validate_json(line)
                except ValidationError as exc:
                    raise RunInvalid(f"{where}: not a valid {kind}: {_first_error(exc)}") from None
                if kind == "document":
                    doc_ids.add(data["id"])
                elif isinstance(data.get("doc_id"), str):
                    deferred.append((folder / name, n, data["doc_id"]))
        expected = manifest["counts"].get(kind, 0)
        if n != expected:
            raise RunInvalid(f"{folder / name}: {n} records, the manifest counts {expected}")
        checked[kind] = n
    for path, lineno, doc_id in deferred:
        if doc_id not in doc_ids:
            raise RunInvalid(
                f"{path}, line {lineno}: doc_id {doc_id!r} is not a document of the run"
            )
    documents, rejects = checked.get("document", 0), checked.get("reject", 0)
    if (documents, rejects) != (manifest["documents"], manifest["rejects"]):
        raise RunInvalid(
            f"{folder / MANIFEST}: says {manifest['documents']} documents and "
            f"{manifest['rejects']} rejects, the files hold {documents} and {rejects}"
        )
    if documents + rejects != manifest["n_inputs"]:
        raise RunInvalid(
            f"{folder}: {documents} documents + {rejects} rejects != {manifest['n_inputs']} inputs"
        )
    inputs = manifest.get("inputs", [])
    if len(inputs) != manifest["n_inputs"]:
        raise RunInvalid(
            f"{folder / MANIFEST}: lists {len(inputs)} inputs, n_inputs is {manifest['n_inputs']}"
        )
    return checked
