"""Running the one docmill flow with a chosen task runner: local threads or Dask.

``local`` runs the flow as defined (Prefect's thread pool, the temporary API
unless ``PREFECT_API_URL`` is set). ``dask`` runs the same flow with
prefect-dask's :class:`~prefect_dask.DaskTaskRunner`: on the cluster at
``address`` (``tcp://HOST:PORT``), or on a LocalCluster of ``workers`` processes
with one thread each. Tasks are shipped to the workers by reference to
:mod:`docmill.orchestration.flow`, and every worker keeps its plugin manager (and so the NLP
model) for its lifetime, so the model is loaded once per worker process, not
once per batch.

Both use the Prefect API of :class:`docmill.orchestration.run_api.RunApi`: the
configured one, else the background server docmill keeps (started by the first
run). Dask needs a real Prefect API (on the temporary one every worker process
starts a temporary server of its own, ~11 s each), so with ``background_server``
off a Dask run starts a local server for its duration
(:func:`docmill.orchestration.server.prefect_api`). Workers of an existing cluster receive
the API URL with each task (Prefect ships its settings context), so they need
no configuration beyond having docmill installed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from docmill.orchestration.run_api import RunApi
from docmill.settings import Settings

T = TypeVar("T")

RUNNERS = ("local", "dask")


def default_workers(runner: str) -> int:
    """Processes running stage work when ``workers`` is unset: 1 local, 2 for a LocalCluster."""
    return 1 if runner == "local" else 2


def default_in_flight(runner: str, workers: int) -> int:
    """Batches in flight: locally one more than the worker processes (so each stays busy
    while the flow process writes a finished batch), 2 per Dask worker."""
    return max(1, workers) + 1 if runner == "local" else 2 * max(1, workers)


def dask_task_runner(address: str | None, workers: int) -> Any:
    """A DaskTaskRunner for the cluster at ``address``, or a LocalCluster of ``workers``."""
    import logging
    import os

    # distributed logs every worker start/stop at INFO; keep docmill's WARNING default
    level = os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")
    logging.getLogger("distributed").setLevel(level.upper())
    from prefect_dask.task_runners import DaskTaskRunner

    if address:
        return DaskTaskRunner(address=address)
    return DaskTaskRunner(
        cluster_kwargs={
            "n_workers": workers,
            "threads_per_worker": 1,
            "processes": True,
            "host": "127.0.0.1",
            "dashboard_address": None,
        }
    )


@dataclass(frozen=True)
class RunnerOptions:
    """How to run the flow: the task runner and, for Dask, where the API comes from."""

    runner: str = "local"
    address: str | None = None
    workers: int | None = None
    in_flight: int | None = None
    server_home: Path = Path(".docmill/prefect")
    server_port: int = 4200
    background_server: bool = True
    server_idle_timeout: float = 1800.0

    def __post_init__(self) -> None:
        if self.runner not in RUNNERS:
            raise ValueError(f"unknown runner {self.runner!r} (known: {', '.join(RUNNERS)})")

    @property
    def processes(self) -> int:
        """Processes running stage work (``workers``, or the runner's default)."""
        return self.workers or default_workers(self.runner)

    @property
    def batches_in_flight(self) -> int:
        return self.in_flight or default_in_flight(self.runner, self.processes)

    @property
    def plugin_workers(self) -> int:
        """The flow's ``workers`` parameter: plugin processes per process that runs tasks.

        Locally that is all of them; a Dask worker runs one task at a time, so one.
        """
        return self.processes if self.runner == "local" else 1

    @classmethod
    def from_settings(cls, settings: Settings, **flags: Any) -> RunnerOptions:
        """Options from the settings, with the command-line ``flags`` that are not None winning."""
        values: dict[str, Any] = {
            "runner": settings.runner,
            "address": settings.address,
            "workers": settings.workers,
            "in_flight": settings.in_flight,
            "server_home": settings.server_home,
            "server_port": settings.server_port,
            "background_server": settings.background_server,
            "server_idle_timeout": settings.server_idle_timeout,
        }
        values.update({k: v for k, v in flags.items() if v is not None})
        if values["address"] and values["runner"] == "local":
            values["runner"] = "dask"  # --address names a Dask scheduler
        return cls(**values)


def flow_for(options: RunnerOptions) -> Any:
    """The docmill flow with the task runner of ``options``."""
    from docmill.orchestration.flow import docmill_flow

    if options.runner == "local":
        return docmill_flow
    return docmill_flow.with_options(
        task_runner=dask_task_runner(options.address, options.processes)
    )


def api(options: RunnerOptions) -> RunApi:
    """The Prefect API of a run with ``options`` (enter it, then call ``ready()``)."""
    return RunApi(
        runner=options.runner,
        background_server=options.background_server,
        idle_timeout=options.server_idle_timeout,
        server_home=options.server_home,
        server_port=options.server_port,
    )


def run(options: RunnerOptions, flow_run: Coroutine[Any, Any, T]) -> T:
    """Run a flow coroutine (from :func:`flow_for`) to completion, with its API (:func:`api`)."""
    with api(options) as run_api:
        run_api.ready()
        return complete(flow_run)


def complete(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to completion; in a thread of its own when this thread runs an
    event loop already (a Jupyter notebook), where ``asyncio.run`` refuses to start."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1, thread_name_prefix="docmill-flow") as pool:
        return pool.submit(asyncio.run, coroutine).result()
