"""The Typer app, its entry point, and what every command shares: options, errors, exit codes.

The command groups live in modules of their own (``run``, ``plugins``, ``inspect``,
``report``, ``validate``, ``serve``) and register themselves on :data:`app`
when :mod:`docmill.cli` is imported. Nothing outside this package imports it.
"""

from __future__ import annotations

import gc
import sys
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError

from docmill.orchestration.environment import configure
from docmill.orchestration.launch import end_early
from docmill.orchestration.manager import fresh_manager
from docmill.plugins import Manager
from docmill.settings import Settings

#: Every input became a document and no plugin failed.
EXIT_OK = 0
#: Something unexpected (a bug, a crash): Python's own code for an uncaught exception.
EXIT_UNEXPECTED = 1
#: Bad usage: an unknown option, a missing path, invalid settings (Click's own code).
EXIT_USAGE = 2
#: Some inputs became rejects (see rejects.jsonl); no plugin error.
EXIT_REJECTS = 3
#: ``docmill validate`` found a run folder that does not match its manifest.
EXIT_INVALID = 4
#: A plugin raised or returned bad output (see findings.jsonl); wins over rejects.
EXIT_PLUGIN_ERRORS = 5
#: A fault around the run, not in its input: disk full, an output folder or Prefect home
#: that cannot be written or created, a Prefect API that is gone or is not one, a local
#: Prefect server that did not start. Nothing was published (see ``orchestration.faults``).
EXIT_ENVIRONMENT = 6

EXIT_CODES_HELP = (
    "Exit codes: 0 every input became a document; 1 unexpected error; 2 usage error; "
    "3 some inputs were rejected; 4 validate found a mismatch; 5 a plugin failed "
    "(a plugin error, also when there are rejects; --fail-fast stops at the first); "
    "6 a fault around the run (disk full, output folder or Prefect home not writable, "
    "Prefect API gone or its port taken): nothing was published."
)

app = typer.Typer(
    name="docmill",
    help="Turn folders of documents into typed, offset-exact JSONL records.\n\n"
    + EXIT_CODES_HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

OutOption = Annotated[Path | None, typer.Option("--out", "-o", help="Output folder.")]
BatchSizeOption = Annotated[
    int | None, typer.Option("--batch-size", min=1, help="Documents per task run.")
]
PluginOption = Annotated[
    list[str] | None, typer.Option("-p", help="no:NAME disables plugin NAME (repeatable).")
]
FullOption = Annotated[
    bool, typer.Option("--full", help="Process every document on every run (no reuse).")
]


def err(message: str) -> None:
    """Print a line to standard error."""
    typer.echo(message, err=True)


def warn(message: str) -> None:
    """Print a warning line (``warning: ...``) to standard error."""
    err(f"warning: {message}")


@contextmanager
def docmill_warnings() -> Iterator[None]:
    """Show docmill's own run warnings (reuse refused, run_complete failed) as ``warning: ...``
    lines instead of Python's ``file:line: Category: message`` with a source line."""
    from docmill.runs.cache import ReuseWarning

    shown = warnings.showwarning

    def show(message: Warning | str, category: type[Warning], *args: Any, **kw: Any) -> None:
        if issubclass(category, ReuseWarning):
            warn(str(message))
        else:
            shown(message, category, *args, **kw)

    warnings.showwarning = show
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", ReuseWarning)
            yield
    finally:
        warnings.showwarning = shown


def usage(message: str) -> NoReturn:
    """Print ``Error: message`` and exit with :data:`EXIT_USAGE`."""
    err(f"Error: {message}")
    raise typer.Exit(EXIT_USAGE)


def load_settings() -> Settings:
    """docmill's settings; invalid ones (docmill.toml, ``DOCMILL_*``) are a usage error."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        usage(f"invalid settings: {problems}")


def parse_plugin_flags(flags: Sequence[str] | None) -> list[str]:
    """The plugin names of ``-p no:NAME`` flags (anything else is a usage error)."""
    disabled = []
    for flag in flags or []:
        if not flag.startswith("no:") or len(flag) <= 3:
            usage(f"-p takes no:NAME to disable a plugin, not {flag!r}")
        disabled.append(flag[3:])
    return disabled


def manager(disable: Sequence[str]) -> Manager:
    """The plugin manager of this command, its load warnings printed once each."""
    return fresh_manager(disable, warn=warn)


def add_plugin_commands() -> None:
    """Let every active plugin add its commands (``cli_commands`` hook); a failure warns."""
    mgr = fresh_manager(Settings().disable, warn=lambda _message: None)
    for name, fn in mgr.ordered("cli_commands"):
        try:
            fn(app=app)
        except Exception as exc:
            warn(f"plugin {name!r} could not add its commands: {exc}")


def _builtin_command(argv: Sequence[str]) -> bool:
    """True when ``argv`` invokes one of docmill's own commands (no plugin one needed)."""
    first = next((arg for arg in argv if not arg.startswith("-")), None)
    if first is None:
        return False  # --help or nothing: list the plugins' commands too
    group = typer.main.get_group(app)
    return first in group.commands


def main() -> None:
    """Console-script entry point: Prefect's defaults, plugins' commands, then the command.

    Plugins add their commands only when the command line does not name one of
    docmill's own, so a ``docmill run`` loads the plugins once.
    """
    try:
        configure()  # before anything imports Prefect
    except OSError as exc:  # PREFECT_HOME cannot be created
        from docmill.orchestration.faults import describe

        if "-v" in sys.argv or "--verbose" in sys.argv:
            import traceback

            err("".join(traceback.format_exception(exc)).rstrip())
        err(describe(exc, Path(".")) or f"docmill: {exc}")
        sys.exit(EXIT_ENVIRONMENT)
    if not _builtin_command(sys.argv[1:]):
        add_plugin_commands()
    try:
        app()
    finally:
        end_early()  # a worker started for a run that stopped before it (a usage error)
        # Exit without the collector scanning every object Prefect and the run made
        # on the way out (1-2 s after the summary line); nothing is skipped.
        gc.freeze()
