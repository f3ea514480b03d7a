"""``docmill serve``: the flow on a schedule (Prefect's scheduler) until Ctrl-C."""

from __future__ import annotations

import sys
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from docmill.cli.app import (
    EXIT_ENVIRONMENT,
    BatchSizeOption,
    FullOption,
    OutOption,
    PluginOption,
    app,
    err,
    load_settings,
    parse_plugin_flags,
    usage,
    warn,
)
from docmill.cli.schedules import MissedRunsOption, NameOption, missed_runs_choice
from docmill.orchestration.faults import check_output, check_prefect_home, describe
from docmill.orchestration.launch import UsageError, plan_run
from docmill.orchestration.schedules import deployment_name


@app.command()
def serve(
    paths: Annotated[list[Path], typer.Argument(help="Files and folders each run processes.")],
    cron: Annotated[
        str | None, typer.Option("--cron", help='Cron schedule, e.g. "*/15 * * * *".')
    ] = None,
    interval: Annotated[
        float | None, typer.Option("--interval", min=1, help="Run every SECONDS instead.")
    ] = None,
    out: OutOption = None,
    batch_size: BatchSizeOption = None,
    plugin: PluginOption = None,
    full: FullOption = False,
    name: NameOption = None,
    missed_runs: MissedRunsOption = None,
) -> None:
    """Serve the pipeline on a schedule (Prefect's scheduler) until Ctrl-C.

    Uses the Prefect server at PREFECT_API_URL, or starts a local one (UI at
    http://127.0.0.1:4200) for as long as it runs. Every run uses the local task
    runner.
    """
    from docmill.orchestration.serve import serve as serve_flow

    if (cron is None) == (interval is None):
        usage("give exactly one of --cron and --interval")
    if cron is not None:
        from cronsim import CronSim, CronSimError

        try:
            CronSim(cron, datetime.now(UTC))
        except CronSimError as exc:
            usage(f"invalid --cron {cron!r}: {exc}")
    settings = load_settings()
    try:
        plan = plan_run(
            [str(p.resolve()) for p in paths],  # each run starts in a process of its own
            settings,
            out=(out or settings.out).resolve(),
            disable=parse_plugin_flags(plugin),
            batch_size=batch_size,
            full=full,
            runner="local",
            address="",  # never a Dask scheduler from the settings: serve runs locally
            warn=warn,
        )
    except UsageError as exc:
        usage(str(exc))
    parameters = plan.parameters
    out_dir = Path(parameters["out"])
    try:
        check_prefect_home()
        check_output(out_dir)
        serve_flow(
            parameters,
            name=name or deployment_name(parameters["paths"], parameters["out"]),
            missed_runs=missed_runs_choice(missed_runs, settings.missed_runs),
            cron=cron,
            interval=interval,
            server_home=settings.server_home,
            server_port=settings.server_port,
        )
    except Exception as exc:  # a fault around serving: one sentence, exit 6 (else raised on)
        sentence = describe(exc, out_dir)
        if sentence is None:
            raise
        if "-v" in sys.argv or "--verbose" in sys.argv:
            err("".join(traceback.format_exception(exc)).rstrip())
        err(sentence)
        raise typer.Exit(EXIT_ENVIRONMENT) from None
