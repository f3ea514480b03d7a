"""``docmill validate RUN``: re-check a run folder; exit 4 at the first mismatch."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from docmill.cli.app import EXIT_INVALID, app, err, load_settings, manager


@app.command()
def validate(
    run_dir: Annotated[Path, typer.Argument(help="The run folder to check.")],
) -> None:
    """Re-check every JSONL file of a run against the record schemas and the manifest.

    Exits 4 at the first mismatch (which file, which line, what).
    """
    from docmill.engine.stages import record_kinds
    from docmill.runs.validate import RunInvalid, validate_run

    kinds = record_kinds(manager(load_settings().disable))
    try:
        checked = validate_run(run_dir, kinds)
    except RunInvalid as exc:
        err(f"docmill validate: invalid: {exc}")
        raise typer.Exit(EXIT_INVALID) from None
    total = sum(checked.values())
    err(
        f"docmill validate: ok: {run_dir}: {len(checked)} files, {total} records, "
        "hashes and counts match the manifest"
    )
