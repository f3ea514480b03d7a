"""``docmill run``: one run of the flow over the given inputs, its summary line and exit code."""

from __future__ import annotations

import logging
import os
import sys
import traceback
from pathlib import Path
from typing import Annotated, Any, NoReturn

import orjson
import typer

from docmill.cli.app import (
    EXIT_ENVIRONMENT,
    EXIT_PLUGIN_ERRORS,
    EXIT_REJECTS,
    BatchSizeOption,
    FullOption,
    OutOption,
    PluginOption,
    app,
    docmill_warnings,
    err,
    load_settings,
    parse_plugin_flags,
    usage,
    warn,
)
from docmill.engine import PluginError
from docmill.orchestration.faults import (
    EnvironmentFault,
    api_gone,
    check_output,
    check_prefect_home,
    describe,
    stop_temporary_servers,
)
from docmill.orchestration.launch import (
    UsageError,
    begin,
    end_early,
    execute,
    plan_run,
    prepare,
)
from docmill.runs.folder import latest_run

#: The ``code`` of the finding that stands for a plugin's failed contribution to a document.
PLUGIN_ERROR = "plugin-error"


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
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose", "-v", help="Prefect logs at INFO; print each plugin error's traceback."
        ),
    ] = False,
    full: FullOption = False,
    fail_fast: Annotated[
        bool,
        typer.Option(
            "--fail-fast",
            help="Stop at the first plugin error with its full traceback (exit 5, no run "
            "folder): for developing a plugin.",
        ),
    ] = False,
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
    """Run every document under PATHS through the pipeline into a new run folder.

    Exits 0 when every input became a document, 3 when some were rejected
    (rejects.jsonl), 5 when a plugin failed on some document (findings.jsonl; 5
    also when there are rejects) or --fail-fast stopped the run, 2 on a usage error,
    6 on a fault around the run (disk full, output folder or Prefect home not
    writable, Prefect API gone): then nothing is published.
    """
    prepare()  # a plugin worker starts while the request is read and checked
    if verbose:  # read when Prefect is imported: the run's INFO logs on the console too
        os.environ["PREFECT_LOGGING_LEVEL"] = "INFO"
        os.environ["PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"] = "INFO"
    settings = load_settings()
    path_args = _with_stdin(paths)
    try:
        plan = plan_run(
            path_args,
            settings,
            out=out,
            include=include or (),
            exclude=exclude or (),
            disable=parse_plugin_flags(plugin),
            batch_size=batch_size,
            full=full,
            fail_fast=fail_fast,
            runner=runner,
            address=address,
            workers=workers,
            in_flight=in_flight,
            warn=warn,
        )
    except UsageError as exc:
        usage(str(exc))
    out_dir = Path(plan.parameters["out"])
    try:
        check_prefect_home()
        check_output(out_dir)
    except EnvironmentFault as exc:
        _fault(exc, out_dir, verbose)
    latest = latest_run(out_dir)
    bar = _Bar() if sys.stderr.isatty() else None
    held = _HeldLogs(verbose)
    try:
        begin(plan)  # the workers load the model while Prefect is imported (held logs)
        with docmill_warnings(), held:
            summary = execute(plan, bar.update if bar else None)
    except PluginError as exc:  # only with --fail-fast
        held.drop()  # Prefect's lines about it: the traceback below says it all
        if bar:
            bar.stop()
            bar = None
        err(exc.traceback.rstrip())
        err(f"docmill: stopped at the first plugin error (--fail-fast): {exc}")
        raise typer.Exit(EXIT_PLUGIN_ERRORS) from None
    except Exception as exc:
        if bar:
            bar.stop()
            bar = None
        if describe(exc, out_dir) is None:
            held.replay()
        published = latest_run(out_dir)
        _fault(exc, out_dir, verbose, published if published != latest else None)
    finally:
        end_early()
        if bar:
            bar.stop()
    held.replay()
    folder = Path(summary["folder"])
    errors = _plugin_errors(folder / summary["files"]["finding"])
    if verbose:
        _print_tracebacks(errors, folder / summary["files"]["reject"])
    err(_summary_line(summary, len(errors), verbose))
    if summary.get("server_started"):
        err(f"docmill: started a background Prefect server at {summary['server_started']} "
            "for this and later runs (docmill server status|stop)")
    if summary.get("prefect_ui"):
        err(f"docmill: Prefect UI: {summary['prefect_ui']}")
    if errors:
        raise typer.Exit(EXIT_PLUGIN_ERRORS)
    if summary["rejects"]:
        raise typer.Exit(EXIT_REJECTS)


class _HeldLogs:
    """Prefect's console log lines of a run, held until the run ends (unless ``-v``).

    A fault around the run (the API gone, the disk full) makes Prefect log errors and
    tracebacks as it happens; the user gets docmill's one sentence instead, and the
    held lines only when the run ends any other way (:meth:`replay`).
    """

    def __init__(self, verbose: bool) -> None:
        self.verbose = verbose
        self.held: list[tuple[logging.Handler, logging.LogRecord]] = []
        self.filters: list[tuple[logging.Handler, logging.Filter]] = []
        self.raise_exceptions = logging.raiseExceptions

    def __enter__(self) -> None:
        if self.verbose:
            return
        import docmill.orchestration.flow  # noqa: F401  (imports Prefect: its logging is set up)

        self.raise_exceptions = logging.raiseExceptions
        logging.raiseExceptions = False  # no "--- Error logging to API ---" when it is gone
        for name in ("", "prefect._internal", "uvicorn", "fastapi"):
            for handler in logging.getLogger(name).handlers:
                if type(handler).__module__.startswith("prefect."):  # its console handlers
                    hold = _Hold(handler, self.held)
                    handler.addFilter(hold)
                    self.filters.append((handler, hold))

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self._release()
        # else: held until replay(); after a fault, Prefect stays quiet to the end

    def _release(self) -> None:
        for handler, hold in self.filters:
            handler.removeFilter(hold)
        self.filters.clear()
        logging.raiseExceptions = self.raise_exceptions

    def drop(self) -> None:
        """Stop holding; the held lines are not printed."""
        self._release()
        self.held.clear()

    def replay(self) -> None:
        """Stop holding and print the held lines (once)."""
        self._release()
        held, self.held = self.held, []
        for handler, record in held:
            handler.handle(record)


class _Hold(logging.Filter):
    def __init__(self, handler: logging.Handler, into: list[tuple[logging.Handler, Any]]) -> None:
        super().__init__()
        self.handler = handler
        self.into = into

    def filter(self, record: logging.LogRecord) -> bool:
        self.into.append((self.handler, record))
        return False


def _fault(exc: Exception, out: Path, verbose: bool, published: Path | None = None) -> NoReturn:
    """Exit :data:`EXIT_ENVIRONMENT` with one sentence for a fault around the run (the
    traceback too with ``-v``); anything else is unexpected and raised on (exit 1).

    ``published`` is the run folder LATEST names if it moved during this run: the
    fault came after the run was published (Prefect could not record its end).
    """
    sentence = describe(exc, out)
    if sentence is None:
        raise exc
    if published is not None:
        sentence = (
            f"docmill: the run is complete in {published}, but then: "
            f"{sentence.removeprefix('docmill: ').split('; ')[0]}; the output is sound, "
            "Prefect has no record of the run's end"
        )
    if verbose:
        err("".join(traceback.format_exception(exc)).rstrip())
    err(sentence)
    if api_gone(exc):
        # Prefect's exit handlers would retry sending every pending event and log line
        # to the API that is gone (~7 s each); the run is over and said so.
        stop_temporary_servers()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(EXIT_ENVIRONMENT)
    raise typer.Exit(EXIT_ENVIRONMENT) from None


def _summary_line(summary: dict[str, Any], plugin_errors: int, verbose: bool) -> str:
    """``docmill: 9 documents, 0 rejects[, N plugin errors (...)], 40 entities, ... -> folder``."""
    files = summary["files"]
    parts = [f"{summary['documents']} documents", f"{summary['rejects']} rejects"]
    if plugin_errors:
        where = "tracebacks above" if verbose else "-v for tracebacks"
        parts.append(f"{plugin_errors} plugin errors (see {files['finding']}; {where})")
    parts += [
        f"{n} {files[k].removesuffix('.jsonl')}"
        for k, n in summary["counts"].items()
        if n and k not in ("document", "reject")
    ]
    return f"docmill: {', '.join(parts)} in {summary['seconds']:.1f}s -> {summary['folder']}"


def _plugin_errors(findings: Path) -> list[dict[str, Any]]:
    """The findings of a run that stand for a plugin's failure (code ``plugin-error``)."""
    errors: list[dict[str, Any]] = []
    if not findings.is_file():  # no JSONL sink in this run
        return errors
    with findings.open("rb") as fh:
        for line in fh:
            if PLUGIN_ERROR.encode() in line:
                finding = orjson.loads(line)
                if finding.get("code") == PLUGIN_ERROR:
                    errors.append(finding)
    return errors


def _print_tracebacks(errors: list[dict[str, Any]], rejects: Path) -> None:
    """Print every plugin error, and every reject a plugin raised, with its traceback."""
    raised = []
    if rejects.is_file():
        with rejects.open("rb") as fh:
            raised = [r for r in map(orjson.loads, fh) if r.get("traceback")]
    for finding in errors:
        err(f"\nplugin error in {finding['doc_id']}: {finding['message']}")
        if finding.get("traceback"):
            err(finding["traceback"].rstrip())
    for reject in raised:
        err(f"\nreject {reject['source']}: {reject['stage']} plugin {reject['plugin']!r}")
        err(reject["traceback"].rstrip())


def _with_stdin(paths: list[str]) -> list[str]:
    """``paths`` with ``-`` replaced by a file holding standard input (named ``stdin``).

    The file lives in a temporary folder removed when the process exits.
    """
    if "-" not in paths:
        return paths
    if paths.count("-") > 1:
        usage("- (standard input) can be given only once")
    if sys.stdin.isatty():
        usage("- reads a document from standard input, but nothing is piped in")
    import atexit
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="docmill-stdin-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    target = folder / "stdin"
    target.write_bytes(sys.stdin.buffer.read())
    return [str(target) if p == "-" else p for p in paths]


class _Bar:
    """A transient progress bar on a terminal: documents written out of documents found."""

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
