"""Run summaries: the rows of a manifest, file hashes.

The same rows are printed by ``docmill show`` and published, on every run, as a
Prefect table artifact (:mod:`docmill.orchestration.artifacts`), so the Prefect UI
shows what a run produced next to its parameters and task timings.
"""

from __future__ import annotations

from pathlib import Path

from docmill.hashing import sha256_file
from docmill.runs.manifest import MANIFEST, Manifest


def summary_rows(manifest: Manifest) -> list[tuple[str, str]]:
    """(what, value) rows: inputs, documents, rejects, reuse, records per kind, languages,
    time per stage."""
    rows = [
        ("inputs", str(manifest.n_inputs)),
        ("documents", str(manifest.documents)),
        ("rejects", str(manifest.rejects)),
    ]
    if manifest.cache is not None:
        rows.append(("reused", str(manifest.cache.reused)))
        rows.append(("reprocessed", str(manifest.cache.reprocessed)))
    for kind, n in manifest.counts.items():
        if kind not in ("document", "reject"):
            rows.append((f"{kind} records", str(n)))
    rows += language_rows(manifest)
    for stage, secs in manifest.timings.items():
        rows.append((f"time {stage}", f"{secs:.3f}s"))
    rows.append(("wall time", f"{manifest.seconds:.3f}s"))
    return rows


def file_hashes(folder: Path) -> dict[str, str]:
    """File name -> sha256 of every file a run wrote (the manifest itself excepted)."""
    return {
        p.name: sha256_file(p)
        for p in sorted(folder.iterdir())
        if p.is_file() and p.name != MANIFEST and not p.name.startswith(".")
    }


def _tally(counts: dict[str, int]) -> str:
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return ", ".join(f"{code} {n}" for code, n in ranked)


def language_rows(manifest: Manifest) -> list[tuple[str, str]]:
    """``languages`` (documents per language) and one ``skipped NAME`` row per plugin
    that skipped documents for their language, with the languages it skipped."""
    info = manifest.languages
    if info is None:
        return []
    rows = [("languages", _tally(info.documents) or "none")]
    for plugin, per in info.skipped.items():
        total = sum(per.values())
        rows.append((f"skipped {plugin}", f"{total} ({_tally(per)})"))
    return rows
