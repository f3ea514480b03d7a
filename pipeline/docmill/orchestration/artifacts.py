"""The run summary as a Prefect table artifact, for the Prefect UI.

The rows are :func:`docmill.runs.summary.summary_rows`, the ones ``docmill show``
prints; the artifact is keyed :data:`ARTIFACT_KEY`. Artifacts vanish with a
temporary Prefect database, so the run folder is always the record of a run.
"""

from __future__ import annotations

from typing import Any

from docmill.runs.summary import summary_rows

#: Prefect artifact keys allow lowercase letters, digits and dashes only.
ARTIFACT_KEY = "docmill-run-summary"


async def publish_summary(manifest: dict[str, Any]) -> None:
    """Publish the run summary as a Prefect table artifact (a failure is only logged).

    Must be awaited inside the flow run. The run folder is already complete when
    this is called: the artifact is a view of it, never the only copy.
    """
    from prefect.artifacts import acreate_table_artifact
    from prefect.logging import get_run_logger

    table = [{"what": what, "value": value} for what, value in summary_rows(manifest)]
    description = (
        f"docmill run `{manifest['run_id']}`: {manifest['documents']} documents, "
        f"{manifest['rejects']} rejects -> `{manifest.get('folder', '')}`"
    )
    try:
        await acreate_table_artifact(table=table, key=ARTIFACT_KEY, description=description)
    except Exception as exc:  # the run's output is on disk; a report must not fail it
        get_run_logger().warning("could not publish the run summary artifact: %s", exc)
