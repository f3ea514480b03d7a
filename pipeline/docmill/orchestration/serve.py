"""``docmill serve``: the docmill flow on a schedule, with Prefect's own scheduler.

The flow is served with :meth:`prefect.flows.Flow.serve` (a deployment named
``docmill/<name>`` plus a runner polling for its scheduled runs), against a real
Prefect API (:func:`docmill.orchestration.server.prefect_api`): Prefect's temporary API only
warns that it cannot schedule and never runs anything. Each scheduled run is an
ordinary flow run with its own run folder under ``out``, its parameters and task
timings in the Prefect UI, and its summary artifact; reruns reuse unchanged
documents (:mod:`docmill.runs.cache`), so a frequent schedule over a slowly growing
folder costs little.

It runs until interrupted. Ctrl-C (SIGINT) or SIGTERM stops the runner, then the
local server if docmill started it; the deployment is served with
``pause_on_shutdown=False``, so its schedule is not left paused for the next
``docmill serve``. Runs do not overlap (``limit=1``): a run that comes due while
another is running starts when it ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import typer

from docmill.cli.options import BatchSizeOption, FullOption, OutOption, PluginOption
from docmill.cli.schedules import MissedRunsOption, NameOption, missed_runs_choice
from docmill.orchestration.environment import configure
from docmill.orchestration.schedules import (
    MissedRuns,
    apply_restart_policy,
    deployment_name,
    describe,
)
from docmill.orchestration.server import prefect_api


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Treat SIGTERM like Ctrl-C, so the same clean shutdown path runs for both.

    SIGINT gets Python's default handler back even when it was ignored at start-up
    (as for a job started in the background of a non-interactive shell).
    """

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous_int = signal.signal(signal.SIGINT, signal.default_int_handler)
    previous_term = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous_int)
        signal.signal(signal.SIGTERM, previous_term)


def serve(
    parameters: dict[str, Any],
    *,
    name: str,
    cron: str | None,
    interval: float | None,
    server_home: Path,
    server_port: int,
    missed_runs: MissedRuns = "one",
) -> None:
    """Serve the flow with ``parameters`` on ``cron`` or every ``interval`` seconds until stopped.

    ``parameters`` are the flow's (paths and ``out`` should be absolute: runs start
    in fresh processes). Runs already scheduled when it starts follow
    :mod:`docmill.orchestration.schedules` (stale ones replaced, ``missed_runs``).
    """
    configure()
    with (
        _sigterm_as_interrupt(),
        contextlib.suppress(KeyboardInterrupt),
        prefect_api(server_home, server_port) as api_url,
    ):
        when = f"cron {cron!r}" if cron else f"every {interval:g}s"
        print(
            f"docmill: serving docmill/{name} ({when}) against {api_url}; Ctrl-C stops",
            file=sys.stderr,
        )
        asyncio.run(_serve(parameters, name, cron, interval, missed_runs))
    print("docmill: stopped", file=sys.stderr)


async def _serve(
    parameters: dict[str, Any],
    name: str,
    cron: str | None,
    interval: float | None,
    missed_runs: MissedRuns,
) -> None:
    """What ``flow.serve`` does, with the restart policy between registering and polling."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import TerminationSignal
    from prefect.runner import Runner
    from prefect.types.entrypoint import EntrypointType

    from docmill.orchestration.flow import docmill_flow

    # pause_on_shutdown=False: the schedule stays active for the next serve;
    # limit=1: a run that comes due while one is running waits for it
    runner = Runner(name=name, pause_on_shutdown=False, limit=1)
    deployment_id = await runner.aadd_flow(
        docmill_flow,
        name=name,
        cron=cron,
        interval=interval,
        parameters=parameters,
        entrypoint_type=EntrypointType.MODULE_PATH,
    )
    # registered: the server deleted the runs its previous version had scheduled for
    # later, so every pending run due before now was missed (it can take seconds)
    registered = datetime.now(UTC)
    async with get_client() as client:
        decided = await apply_restart_policy(client, deployment_id, missed_runs, registered)
    for line in describe(decided, missed_runs):
        print(f"docmill: {line}", file=sys.stderr)
    with contextlib.suppress(TerminationSignal):
        await runner.start()


def serve_command(
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
    http://127.0.0.1:4200) for as long as it runs.
    """
    from docmill.cli import _manager, _parse_plugin_flags, _usage, check_settings
    from docmill.settings import Settings

    if (cron is None) == (interval is None):
        raise _usage("give exactly one of --cron and --interval")
    if cron is not None:
        from cronsim import CronSim, CronSimError

        try:
            CronSim(cron, datetime.now(UTC))
        except CronSimError as exc:
            raise _usage(f"invalid --cron {cron!r}: {exc}") from None
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise _usage(f"no such file or folder: {', '.join(missing)}")
    settings = Settings()
    disable = sorted(set(settings.disable) | set(_parse_plugin_flags(plugin)))
    check_settings(_manager(disable))
    parameters: dict[str, Any] = {
        "paths": [str(p.resolve()) for p in paths],
        "out": str((out or settings.out).resolve()),
        "batch_size": batch_size or settings.batch_size,
        "disable": disable,
        "max_bytes": settings.max_bytes,
        "full": full,
    }
    from docmill.orchestration.runners import RunnerOptions

    local = RunnerOptions.from_settings(settings, runner="local")  # serve runs locally
    parameters["workers"] = local.plugin_workers
    parameters["in_flight"] = local.batches_in_flight
    time_limit = getattr(settings, "time_limit", None)
    if time_limit is not None:
        parameters["time_limit"] = time_limit
    serve(
        parameters,
        name=name or deployment_name(parameters["paths"], parameters["out"]),
        missed_runs=missed_runs_choice(missed_runs, settings.missed_runs),
        cron=cron,
        interval=interval,
        server_home=settings.server_home,
        server_port=settings.server_port,
    )
