"""Run summaries: the rows of a manifest, file hashes, the Prefect artifact.

The same rows are printed by ``docmill show`` and published, on every run, as a
Prefect table artifact keyed :data:`ARTIFACT_KEY`, so the Prefect UI shows what a
run produced next to its parameters and task timings.
"""

from __future__ import annotations

from pathlib import Path

from docmill.hashing import sha256_file
from docmill.runs.manifest import MANIFEST, Manifest

#: Prefect artifact keys allow lowercase letters, digits and dashes only.
ARTIFACT_KEY = "docmill-run-summary"


def summary_rows(manifest: Manifest) -> list[tuple[str, str]]:
    """(what, value) rows: inputs, documents, rejects, reuse, records per kind, time per stage."""
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


async def publish_summary(manifest: Manifest, folder: Path) -> None:
    """Publish the run summary of the run in ``folder`` as a Prefect table artifact.

    Must be awaited inside the flow run. The run folder is already complete when
    this is called: the artifact is a view of it, never the only copy. A failure
    is only logged.
    """
    from prefect.artifacts import acreate_table_artifact
    from prefect.logging import get_run_logger

    table = [{"what": what, "value": value} for what, value in summary_rows(manifest)]
    description = (
        f"docmill run `{manifest.run_id}`: {manifest.documents} documents, "
        f"{manifest.rejects} rejects -> `{folder}`"
    )
    try:
        await acreate_table_artifact(table=table, key=ARTIFACT_KEY, description=description)
    except Exception as exc:  # the run's output is on disk; a report must not fail it
        get_run_logger().warning("could not publish the run summary artifact: %s", exc)
