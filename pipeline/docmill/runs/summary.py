"""Run summaries: the rows of a manifest, file hashes.

The same rows are printed by ``docmill show`` and published, on every run, as a
Prefect table artifact (:mod:`docmill.orchestration.artifacts`), so the Prefect UI
shows what a run produced next to its parameters and task timings.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from docmill.runs.folder import MANIFEST


def summary_rows(manifest: dict[str, Any]) -> list[tuple[str, str]]:
    """(what, value) rows: inputs, documents, rejects, reuse, records per kind, time per stage."""
    rows = [
        ("inputs", str(manifest["n_inputs"])),
        ("documents", str(manifest["documents"])),
        ("rejects", str(manifest["rejects"])),
    ]
    reuse = manifest.get("cache")
    if reuse:
        rows.append(("reused", str(reuse["reused"])))
        rows.append(("reprocessed", str(reuse["reprocessed"])))
    for kind, n in manifest["counts"].items():
        if kind not in ("document", "reject"):
            rows.append((f"{kind} records", str(n)))
    for stage, secs in manifest["timings"].items():
        rows.append((f"time {stage}", f"{secs:.3f}s"))
    rows.append(("wall time", f"{manifest['seconds']:.3f}s"))
    return rows


def sha256_file(path: Path) -> str:
    """The sha256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def file_hashes(folder: Path) -> dict[str, str]:
    """File name -> sha256 of every file a run wrote (the manifest itself excepted)."""
    return {
        p.name: sha256_file(p)
        for p in sorted(folder.iterdir())
        if p.is_file() and p.name != MANIFEST and not p.name.startswith(".")
    }
