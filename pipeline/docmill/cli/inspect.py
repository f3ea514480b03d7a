"""Commands that look without running: ``show``, ``trace``, ``schema``, ``config``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from docmill.cli.app import OutOption, app, load_settings, manager, usage, warn
from docmill.records import SCHEMA_VERSION


@app.command()
def show(
    run_dir: Annotated[Path | None, typer.Argument(help="A run folder (default: latest).")] = None,
    out: OutOption = None,
) -> None:
    """Print the summary of a run (the latest by default)."""
    from rich.console import Console
    from rich.table import Table

    from docmill.runs.folder import MANIFEST, latest_run, read_manifest
    from docmill.runs.summary import summary_rows

    folder = run_dir or latest_run(out or load_settings().out)
    if folder is None or not (folder / MANIFEST).is_file():
        usage("no complete run found" if folder is None else f"{folder} is not a run folder")
    m = read_manifest(folder)
    table = Table(title=f"run {m['run_id']}", show_header=True, min_width=48)
    table.add_column("what")
    table.add_column("value", justify="right")
    for what, value in summary_rows(m):  # the rows of the run's Prefect artifact too
        table.add_row(what, value)
    Console().print(table)


@app.command()
def trace(
    where: Annotated[str, typer.Argument(help="FILE[:LINE] of a JSONL file in a run folder.")],
) -> None:
    """Print where a JSONL line came from: run id, plugin, its version, docmill's version."""
    from docmill.runs.lineage import LineageError
    from docmill.runs.lineage import trace as trace_line

    path_text, sep, line_text = where.rpartition(":")
    if not sep or not line_text.isdigit():
        path_text, line_text = where, "1"
    path = Path(path_text)
    if not path.is_file():
        usage(f"no such file: {path}")
    try:
        lineage = trace_line(path, int(line_text))
    except LineageError as exc:
        usage(str(exc))
    typer.echo(json.dumps(lineage.as_dict(), indent=2))


@app.command()
def schema(
    kind: Annotated[str | None, typer.Argument(help="One record kind (default: all).")] = None,
) -> None:
    """Print the JSON Schema of every record kind (or one), plugins' kinds included."""
    from docmill.engine.stages import record_kinds

    kinds = record_kinds(manager(load_settings().disable))
    if kind is not None:
        if kind not in kinds:
            usage(f"unknown record kind {kind!r} (known: {', '.join(sorted(kinds))})")
        typer.echo(json.dumps(kinds[kind].model_json_schema(), indent=2))
        return
    doc: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "kinds": {k: t.model_json_schema() for k, t in sorted(kinds.items())},
    }
    typer.echo(json.dumps(doc, indent=2))


@app.command()
def config() -> None:
    """Print the effective settings, docmill's and each plugin's, as JSON."""
    from docmill.orchestration.manager import checked_settings
    from docmill.settings import PluginSettingsError

    settings = load_settings()
    try:
        plugins = checked_settings(manager(settings.disable), warn)
    except PluginSettingsError as exc:
        usage(str(exc))
    data = {"docmill": settings.model_dump(mode="json"), "plugins": plugins}
    typer.echo(json.dumps(data, indent=2))
