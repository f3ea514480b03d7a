"""The ``docmill`` command line (Typer): run, plugins, schema, show, config."""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path
from typing import Annotated, Any

import typer

from docmill.cli.options import BatchSizeOption, FullOption, OutOption, PluginOption
from docmill.cli.schedules import schedules_app
from docmill.orchestration import runners
from docmill.orchestration.environment import configure
from docmill.orchestration.serve import serve_command
from docmill.plugins import Manager, PluginLoadWarning, build_manager
from docmill.records import SCHEMA_VERSION
from docmill.report import report_command
from docmill.runs.validate import validate_command
from docmill.settings import (
    PluginSettingsError,
    Settings,
    check_plugin_settings,
    raw_plugin_settings,
)
from docmill.sources import discover

#: Exit codes: success; some inputs became rejects; bad usage (Click's own code).
EXIT_OK = 0
EXIT_REJECTS = 3
EXIT_USAGE = 2

app = typer.Typer(
    name="docmill",
    help="Turn folders of documents into typed, offset-exact JSONL records.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _err(message: str) -> None:
    typer.echo(message, err=True)


def _usage(message: str) -> typer.Exit:
    _err(f"Error: {message}")
    return typer.Exit(EXIT_USAGE)


def _parse_plugin_flags(flags: list[str] | None) -> list[str]:
    disabled = []
    for flag in flags or []:
        if not flag.startswith("no:") or len(flag) <= 3:
            raise _usage(f"-p takes no:NAME to disable a plugin, not {flag!r}")
        disabled.append(flag[3:])
    return disabled


def _manager(disable: list[str]) -> Manager:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PluginLoadWarning)
        mgr = build_manager(disable=disable)
    for w in caught:
        _err(f"warning: {w.message}")
    return mgr


def check_settings(mgr: Manager) -> dict[str, Any]:
    """Validate every plugin's settings now, so a bad value fails before any work."""
    try:
        checked = check_plugin_settings(mgr.ordered("settings_model"))
    except PluginSettingsError as exc:
        raise _usage(str(exc)) from None
    for name in sorted(set(raw_plugin_settings()) - set(mgr.infos)):
        _err(f"warning: settings given for unknown plugin {name!r}")
    return {name: model.model_dump(mode="json") for name, model in checked.items()}


@app.command()
def run(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="Files, folders, glob patterns ('news/**/*.html'), @LIST files naming one "
            "path per line, or - for standard input.",
            show_default=False,
        ),
    ],
    out: OutOption = None,
    include: Annotated[
        list[str] | None,
        typer.Option("--include", help="Only inputs matching this glob (repeatable)."),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option("--exclude", help="Skip inputs matching this glob (repeatable)."),
    ] = None,
    batch_size: BatchSizeOption = None,
    plugin: PluginOption = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Prefect logs at INFO.")] = False,
    full: FullOption = False,
    runner: Annotated[
        str | None, typer.Option("--runner", help="Task runner: local (default) or dask.")
    ] = None,
    address: Annotated[
        str | None, typer.Option("--address", help="Dask scheduler tcp://HOST:PORT (runner dask).")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            help="Processes running stage work, each with its own model (local: default 1; "
            "dask: LocalCluster size, default 2).",
        ),
    ] = None,
    in_flight: Annotated[
        int | None, typer.Option("--in-flight", min=1, help="Batches submitted at once.")
    ] = None,
) -> None:
    """Run every document under PATHS through the pipeline into a new run folder."""
    import os

    if verbose:
        os.environ["PREFECT_LOGGING_LEVEL"] = "INFO"
    configure()
    settings = Settings()
    path_args = _with_stdin(paths)
    try:
        discover(path_args, include_globs=include or (), exclude_globs=exclude or ())
    except FileNotFoundError as exc:
        raise _usage(str(exc)) from None
    disable = sorted(set(settings.disable) | set(_parse_plugin_flags(plugin)))
    mgr = _manager(disable)
    check_settings(mgr)
    out_dir = out or settings.out
    options = _runner_options(settings, runner, address, workers, in_flight)
    from docmill.orchestration import flow as flow_module

    bar = _progress_bar() if sys.stderr.isatty() else None
    flow_module.set_progress(bar.update if bar else None)
    try:
        summary = runners.run(
            options,
            runners.flow_for(options)(
                paths=path_args,
                include=include or [],
                exclude=exclude or [],
                out=str(out_dir),
                batch_size=batch_size or settings.batch_size,
                disable=disable,
                max_bytes=settings.max_bytes,
                time_limit=settings.time_limit,
                full=full,
                in_flight=options.batches_in_flight,
                workers=options.plugin_workers,
            )
        )
    finally:
        flow_module.set_progress(None)
        if bar:
            bar.stop()
    files = summary["files"]
    parts = ", ".join(
        f"{n} {files[k].removesuffix('.jsonl')}"
        for k, n in summary["counts"].items()
        if n and k not in ("document", "reject")
    )
    _err(
        f"docmill: {summary['documents']} documents, {summary['rejects']} rejects"
        f"{', ' + parts if parts else ''} in {summary['seconds']:.1f}s -> {summary['folder']}"
    )
    if summary["rejects"]:
        raise typer.Exit(EXIT_REJECTS)


def _with_stdin(paths: list[str]) -> list[str]:
    """``paths`` with ``-`` replaced by a file holding standard input (named ``stdin``).

    The file lives in a temporary folder removed when the process exits.
    """
    if "-" not in paths:
        return paths
    if paths.count("-") > 1:
        raise _usage("- (standard input) can be given only once")
    if sys.stdin.isatty():
        raise _usage("- reads a document from standard input, but nothing is piped in")
    import atexit
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="docmill-stdin-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    target = folder / "stdin"
    target.write_bytes(sys.stdin.buffer.read())
    return [str(target) if p == "-" else p for p in paths]


class _Bar:
    def __init__(self) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        self.progress = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            transient=True,
        )
        self.task = self.progress.add_task("documents", total=None)
        self.progress.start()

    def update(self, done: int, total: int) -> None:
        self.progress.update(self.task, completed=done, total=total)

    def stop(self) -> None:
        self.progress.stop()


def _progress_bar() -> _Bar:
    return _Bar()


plugins_app = typer.Typer(help="List and manage plugins.", invoke_without_command=True)
app.add_typer(plugins_app, name="plugins")


@plugins_app.callback()
def plugins(
    ctx: typer.Context,
    all_: Annotated[bool, typer.Option("--all", help="Include disabled plugins.")] = False,
    hook: Annotated[str | None, typer.Option("--hook", help="Only plugins with this hook.")] = None,
) -> None:
    """Print the plugins as JSON: name, version, status, hooks."""
    if ctx.invoked_subcommand is not None:
        return
    mgr = _manager(Settings().disable)
    if hook is not None and not hasattr(mgr.pm.hook, hook):
        raise _usage(f"no such hook: {hook}")
    typer.echo(json.dumps(mgr.listing(hook=hook, include_disabled=all_), indent=2))


@plugins_app.command("order")
def plugins_order() -> None:
    """Print, for every hook, the plugins implementing it in the order they run (JSON)."""
    mgr = _manager(Settings().disable)
    typer.echo(json.dumps(mgr.effective_order(), indent=2))


@plugins_app.command("new")
def plugins_new(
    name: Annotated[str, typer.Argument(help="Plugin name: lowercase letters, digits, _.")],
    stage: Annotated[
        str,
        typer.Option(
            "--stage", help="Stage to start from: load, clean, extract, validate, export."
        ),
    ] = "extract",
    directory: Annotated[
        Path, typer.Option("--dir", help="Folder to create docmill-NAME/ in.")
    ] = Path("."),
) -> None:
    """Create a plugin package docmill-NAME/: pyproject with the entry point, module, test."""
    from docmill.scaffold import ScaffoldError, scaffold

    try:
        folder = scaffold(name, stage, directory)
    except ScaffoldError as exc:
        raise _usage(str(exc)) from None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PluginLoadWarning)
        taken = name in build_manager(order={}).infos
    if taken:
        _err(f"warning: a plugin named {name!r} is already installed; rename one of them")
    _err(f"next: pip install -e {folder} && docmill plugins --hook {stage}")
    typer.echo(str(folder))


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
        raise _usage(f"no such file: {path}")
    try:
        lineage = trace_line(path, int(line_text))
    except LineageError as exc:
        raise _usage(str(exc)) from None
    typer.echo(json.dumps(lineage.as_dict(), indent=2))


@app.command()
def schema(
    kind: Annotated[str | None, typer.Argument(help="One record kind (default: all).")] = None,
) -> None:
    """Print the JSON Schema of every record kind (or one), plugins' kinds included."""
    from docmill.engine.stages import record_kinds

    kinds = record_kinds(_manager(Settings().disable))
    if kind is not None:
        if kind not in kinds:
            raise _usage(f"unknown record kind {kind!r} (known: {', '.join(sorted(kinds))})")
        typer.echo(json.dumps(kinds[kind].model_json_schema(), indent=2))
        return
    doc: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "kinds": {k: t.model_json_schema() for k, t in sorted(kinds.items())},
    }
    typer.echo(json.dumps(doc, indent=2))


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

    folder = run_dir or latest_run(out or Settings().out)
    if folder is None or not (folder / MANIFEST).is_file():
        raise _usage("no complete run found" if folder is None else f"{folder} is not a run folder")
    m = read_manifest(folder)
    table = Table(title=f"run {m['run_id']}", show_header=True, min_width=48)
    table.add_column("what")
    table.add_column("value", justify="right")
    for what, value in summary_rows(m):  # the rows of the run's Prefect artifact too
        table.add_row(what, value)
    Console().print(table)


@app.command()
def config() -> None:
    """Print the effective settings, docmill's and each plugin's, as JSON."""
    settings = Settings()
    mgr = _manager(settings.disable)
    data = {"docmill": settings.model_dump(mode="json"), "plugins": check_settings(mgr)}
    typer.echo(json.dumps(data, indent=2))


#: `docmill report [RUN]`: writes report.html with the code every run uses (docmill.report).
app.command(name="report")(report_command)
app.command(name="serve")(serve_command)
app.add_typer(schedules_app, name="schedules")
app.command(name="validate")(validate_command)


def _runner_options(
    settings: Settings,
    runner: str | None,
    address: str | None,
    workers: int | None,
    in_flight: int | None,
) -> runners.RunnerOptions:
    try:
        return runners.RunnerOptions.from_settings(
            settings, runner=runner, address=address, workers=workers, in_flight=in_flight
        )
    except ValueError as exc:
        raise _usage(str(exc)) from None


def _add_plugin_commands() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PluginLoadWarning)
        mgr = build_manager(disable=Settings().disable)
    for name, fn in mgr.ordered("cli_commands"):
        try:
            fn(app=app)
        except Exception as exc:
            _err(f"warning: plugin {name!r} could not add its commands: {exc}")


def main() -> None:
    """Console-script entry point."""
    _add_plugin_commands()
    app()


if __name__ == "__main__":
    main()
