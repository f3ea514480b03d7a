"""``docmill report``: (re)write a run's report.html with the code every run uses."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from docmill.cli.app import OutOption, app, load_settings, usage


@app.command()
def report(
    run_dir: Annotated[
        Path | None, typer.Argument(help="A run folder (default: the latest run).")
    ] = None,
    out: OutOption = None,
) -> None:
    """Write (or rewrite) report.html in a run folder and print its path."""
    from docmill.report import NotARunError, write_report
    from docmill.runs.folder import latest_run

    folder = run_dir or latest_run(out or load_settings().out)
    if folder is None:
        usage("no complete run found")
    try:
        path = write_report(folder)
    except NotARunError as exc:
        usage(str(exc))
    typer.echo(str(path))
