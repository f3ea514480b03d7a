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

import contextlib
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

from docmill.orchestration.environment import configure
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
) -> None:
    """Serve the flow with ``parameters`` on ``cron`` or every ``interval`` seconds until stopped.

    ``parameters`` are the flow's (paths and ``out`` should be absolute: runs start
    in fresh processes); exactly one of ``cron`` and ``interval`` is given. Returns
    when interrupted (Ctrl-C or SIGTERM), after stopping the server it started.
    """
    configure()
    with _sigterm_as_interrupt(), contextlib.suppress(KeyboardInterrupt):
        _serve(
            parameters, name=name, cron=cron, interval=interval, home=server_home, port=server_port
        )
    print("docmill: stopped", file=sys.stderr)


def _serve(
    parameters: dict[str, Any],
    *,
    name: str,
    cron: str | None,
    interval: float | None,
    home: Path,
    port: int,
) -> None:
    with prefect_api(home, port) as api_url:
        from prefect.types.entrypoint import EntrypointType

        from docmill.orchestration.flow import docmill_flow

        when = f"cron {cron!r}" if cron else f"every {interval:g}s"
        print(
            f"docmill: serving {docmill_flow.name}/{name} ({when}) against {api_url}; Ctrl-C stops",
            file=sys.stderr,
        )
        docmill_flow.serve(
            name=name,
            cron=cron,
            interval=interval,
            parameters=parameters,
            pause_on_shutdown=False,
            limit=1,  # a run that comes due while one is running waits for it
            print_starting_message=False,
            entrypoint_type=EntrypointType.MODULE_PATH,
        )
