"""``docmill serve``: the docmill flow on a schedule, with Prefect's own scheduler.

The flow is served as :meth:`prefect.flows.Flow.serve` does it (a deployment
``docmill/<name>`` plus a :class:`prefect.runner.Runner` polling for its scheduled
runs, with :mod:`docmill.orchestration.schedules` applied in between), against a real
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
another is running starts when it ends; before each poll of the runner, runs that
piled up meanwhile (or while the machine was suspended) follow the ``missed_runs``
policy (:func:`docmill.orchestration.schedules.plan_while_serving`).

A lost Prefect API does not end serving: the runner stops at the next poll that
finds the API gone, or within seconds when a health check beside it (:func:`watch`)
fails twice, however long Prefect's client goes on retrying a call it had in flight
(the flow run in progress, if any, stops by itself and publishes nothing); serve
says so and waits for the API to answer again (it starts the local server again if
that is the one that died), marks the run that was cut off as Crashed, registers
again and goes on: the restart policy then runs at most one of
the runs that came due meanwhile (``missed_runs``).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from docmill.orchestration.environment import configure
from docmill.orchestration.schedules import (
    MissedRuns,
    apply_restart_policy,
    apply_serving_policy,
    deployment_runs,
    describe,
    describe_while_serving,
)
from docmill.orchestration.server import healthy, serving_api


class ApiLost(RuntimeError):
    """The Prefect API stopped answering while serving (raised to end the runner at once)."""


def lost(api_url: str, say: bool = True) -> ApiLost:
    """Say on the console (unless ``say`` is False) that the API at ``api_url`` is lost;
    the error that ends the runner."""
    if say:
        print(
            f"docmill: lost the Prefect API at {api_url}; a run in progress ends unpublished; "
            "serving goes on once it answers again (Ctrl-C stops)",
            file=sys.stderr,
        )
    return ApiLost(f"the Prefect API at {api_url} stopped answering")


#: Longest pause between two health checks of the API while serving.
WATCH_EVERY = 5.0


async def watch(hook: _PolicyHook, every: float) -> None:
    """Raise :class:`ApiLost` once the API fails two health checks in a row.

    Runs beside the runner: a call the runner (or the policy) has in flight when
    the server dies is retried by Prefect's client for about a minute (5 retries,
    exponential back-off) before the poll that would notice returns; this check
    ends the runner within seconds instead.
    """
    while True:
        await asyncio.sleep(every)
        if not await asyncio.to_thread(healthy, hook.api_url):
            await asyncio.sleep(min(1.0, every))
            if not await asyncio.to_thread(healthy, hook.api_url):
                raise hook.lost()


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
    in fresh processes); exactly one of ``cron`` and ``interval`` is given. Runs
    already scheduled when it starts follow :mod:`docmill.orchestration.schedules`
    (stale ones replaced, missed ones per ``missed_runs``). Returns when interrupted
    (Ctrl-C or SIGTERM), after stopping the server it started.
    """
    configure()
    with (
        _sigterm_as_interrupt(),
        contextlib.suppress(KeyboardInterrupt),
        serving_api(server_home, server_port) as api,
    ):
        when = f"cron {cron!r}" if cron else f"every {interval:g}s"
        print(
            f"docmill: serving docmill/{name} ({when}) against {api.url}; Ctrl-C stops",
            file=sys.stderr,
        )
        recovered = False
        served = _Served(parameters, name, cron, interval, missed_runs, api.url)
        while asyncio.run(_serve(served, recovered)):
            api.wait_until_back()
            print(f"docmill: the Prefect API at {api.url} answers again; serving docmill/{name}",
                  file=sys.stderr)
            recovered = True
    print("docmill: stopped", file=sys.stderr)


@dataclass(frozen=True)
class _Served:
    """What one ``docmill serve`` serves, and against which API."""

    parameters: dict[str, Any]
    name: str
    cron: str | None
    interval: float | None
    missed_runs: MissedRuns
    api_url: str


async def _serve(served: _Served, recovered: bool) -> bool:
    """Serve until stopped (False) or until the API stops answering (True).

    ``recovered``: serving again after a lost API, so runs it cut off are marked Crashed.
    """
    try:
        await _serve_once(served, recovered)
    except Exception as exc:  # an ExceptionGroup from the runner's task group, too
        if _said_lost(exc):  # said when found (the API may be back by now: serve again)
            return True
        if healthy(served.api_url):
            raise
        lost(served.api_url)
        return True
    return False


def _said_lost(exc: BaseException) -> bool:
    """Whether ``exc`` is, or a group holding, the :class:`ApiLost` the poll hook raised."""
    if isinstance(exc, ApiLost):
        return True
    if isinstance(exc, BaseExceptionGroup):
        return any(_said_lost(inner) for inner in exc.exceptions)
    return exc.__cause__ is not None and _said_lost(exc.__cause__)


async def _serve_once(served: _Served, recovered: bool) -> None:
    """What ``flow.serve`` does, with the restart policy between registering and polling."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import TerminationSignal
    from prefect.types.entrypoint import EntrypointType

    from docmill.orchestration.flow import docmill_flow, quiet_observers

    quiet_observers()  # also done where a served run executes: it imports the flow
    # pause_on_shutdown=False: the schedule stays active for the next serve;
    # limit=1: a run that comes due while one is running waits for it
    hook = _PolicyHook(served.missed_runs, served.api_url)
    runner = _runner_class(hook)(name=served.name, pause_on_shutdown=False, limit=1)
    hook.query_seconds = float(runner.query_seconds)
    deployment_id = await runner.aadd_flow(
        docmill_flow,
        name=served.name,
        cron=served.cron,
        interval=served.interval,
        parameters=served.parameters,
        entrypoint_type=EntrypointType.MODULE_PATH,
    )
    # registered: the server deleted the runs its previous version had scheduled for
    # later, so every pending run due before now was missed (it can take seconds)
    registered = datetime.now(UTC)
    async with get_client() as client:
        if recovered:
            cut = await _crash_cut_off_runs(client, deployment_id)
            if cut:
                print(f"docmill: marked {cut} run(s) cut off by the lost API as Crashed",
                      file=sys.stderr)
        decided = await apply_restart_policy(
            client, deployment_id, served.missed_runs, registered
        )
    for line in describe(decided, served.missed_runs):
        print(f"docmill: {line}", file=sys.stderr)
    hook.deployment_id = deployment_id
    try:
        async with asyncio.TaskGroup() as group:  # the first to end (raise) cancels the other
            watcher = group.create_task(watch(hook, min(WATCH_EVERY, hook.query_seconds)))
            await runner.start()
            watcher.cancel()
    except* TerminationSignal:  # inside the task group's ExceptionGroup (contextlib.suppress
        pass  # only unwraps groups from Python 3.12)


async def _crash_cut_off_runs(client: Any, deployment_id: Any) -> int:
    """Set the deployment's runs left Pending or Running by a lost API to Crashed.

    Only called when serving again after the API came back: this serve runs one flow
    run at a time and its runner is new, so none of them is still running.
    """
    from prefect.client.schemas.objects import StateType
    from prefect.states import Crashed

    flt = deployment_runs(deployment_id, StateType.RUNNING, StateType.PENDING)
    runs = await client.read_flow_runs(flow_run_filter=flt)
    message = "docmill serve: the Prefect API was lost during this run; nothing was published"
    for run in runs:
        await client.set_flow_run_state(run.id, Crashed(message=message), force=True)
    return len(runs)


class _PolicyHook:
    """Applies the missed-runs policy before each poll of a runner for scheduled runs.

    Wraps the poller's query (``ScheduledRunPoller._get_scheduled_flow_runs``, made
    when the runner is entered), so runs that piled up are skipped before the runner
    can pick the oldest of them: the policy and the poll never race.
    """

    def __init__(self, policy: MissedRuns, api_url: str) -> None:
        self.policy = policy
        self.api_url = api_url
        self.deployment_id: Any = None
        self.query_seconds = 10.0
        self._said_lost = False

    def lost(self) -> ApiLost:
        """:func:`lost`, said once however many checks find the API gone."""
        said, self._said_lost = self._said_lost, True
        return lost(self.api_url, say=not said)

    async def before_poll(self, client: Any) -> None:
        """Skip the runs the policy says were missed, through the runner's ``client``.

        Raises :class:`ApiLost` when the API does not answer, which ends the runner at
        once instead of after Prefect's minutes of back-off.
        """
        if self.deployment_id is None:
            return
        if not await asyncio.to_thread(healthy, self.api_url):
            raise self.lost()
        if self.policy == "all":
            return
        grace = 2 * self.query_seconds
        try:
            decided = await apply_serving_policy(client, self.deployment_id, self.policy, grace)
        except Exception as exc:
            if not await asyncio.to_thread(healthy, self.api_url):
                raise self.lost() from exc
            print(f"docmill: could not apply missed_runs: {exc}", file=sys.stderr)
            return
        line = describe_while_serving(decided, self.policy)
        if line:
            print(f"docmill: {line}", file=sys.stderr)


def _runner_class(hook: _PolicyHook) -> Any:
    """A :class:`prefect.runner.Runner` that runs ``hook`` before each poll for runs."""
    from prefect.runner import Runner

    class PolicyRunner(Runner):
        async def __aenter__(self) -> Any:
            entered = await super().__aenter__()
            poller = self._scheduled_run_poller
            query = poller._get_scheduled_flow_runs

            async def polled() -> Any:
                await hook.before_poll(self._client)
                return await query()

            poller._get_scheduled_flow_runs = polled  # type: ignore[method-assign]
            return entered

    return PolicyRunner
