"""The Prefect tasks of the flow: one task per stage per batch of documents.

A task gets the plugin manager of its process (:func:`~docmill.orchestration.manager.get_manager`)
and runs its stage over the batch in a worker process (:mod:`docmill.engine.worker`).
Tasks are never cached: a cache hit costs as much as a task run, and reuse of a
document's results is per document (:mod:`docmill.runs.cache`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from docmill.engine import stages, worker
from docmill.engine.stages import DocState
from docmill.orchestration.manager import get_manager
from docmill.settings import DEFAULT_TIME_LIMIT
from docmill.sources import InputFile


class Timed:
    """A batch's states and the seconds each stage so far took, passed between tasks.

    The seconds accumulate from task to task, so the flow reads every stage's
    time from the last task's result alone: with Dask, fetching the result of
    every task would ship every intermediate batch back to the flow process.

    Deliberately not a tuple, list, dataclass or pydantic model: Prefect walks every
    task argument of those types (``visit_collection``) looking for futures, which
    through a batch's states means every record of every document (measured by the
    benchmark: ~1.6 s per task for 64 documents after extract). An object of a
    plain class is a leaf to it.
    """

    __slots__ = ("batch", "seconds", "states")

    def __init__(self, states: list[DocState], seconds: dict[str, float], batch: str) -> None:
        self.states = states
        self.seconds = seconds  # stage -> seconds, for this stage and the ones before
        self.batch = batch  # names the batch to the worker that keeps its states


def _timed(stage: str, upstream: Timed | str, fn: Callable[[], list[DocState]]) -> Timed:
    """Run a stage after ``upstream`` (the batch token for the first stage).

    Its seconds leave out the wait for a free worker (busy with another batch).
    """
    t0 = time.perf_counter()
    states = fn()
    seconds = {} if isinstance(upstream, str) else dict(upstream.seconds)
    seconds[stage] = time.perf_counter() - t0 - worker.waited()
    batch = upstream if isinstance(upstream, str) else upstream.batch
    return Timed(states, seconds, batch)


_TASK_OPTIONS: dict[str, Any] = {"cache_policy": NO_CACHE, "persist_result": False}


@task(name="load", **_TASK_OPTIONS)
def load_task(
    items: list[InputFile],
    disable: tuple[str, ...],
    only: tuple[str, ...] | None,
    max_bytes: int,
    time_limit: float = DEFAULT_TIME_LIMIT,
    workers: int = 1,
    batch: str = "",
) -> Timed:
    """Read and load one batch of inputs (each under ``time_limit``; see the worker)."""
    mgr = get_manager(disable, only)
    kinds = stages.record_kinds(mgr)
    return _timed(
        "load",
        batch,
        lambda: worker.run_guarded(
            "load", mgr, items, kinds, disable=disable, only=only,
            time_limit=time_limit, max_bytes=max_bytes, workers=workers, batch=batch or None,
        ),
    )


def _stage_task(stage: str) -> Any:
    def run(
        upstream: Timed,
        disable: tuple[str, ...],
        only: tuple[str, ...] | None,
        time_limit: float = DEFAULT_TIME_LIMIT,
        workers: int = 1,
    ) -> Timed:
        mgr = get_manager(disable, only)
        kinds = stages.record_kinds(mgr)
        return _timed(
            stage,
            upstream,
            lambda: worker.run_guarded(
                stage, mgr, upstream.states, kinds, disable=disable, only=only,
                time_limit=time_limit, max_bytes=0, workers=workers,
                batch=upstream.batch or None,
            ),
        )

    run.__name__ = f"{stage}_task"
    run.__doc__ = f"Run the {stage} stage over one batch."
    return task(name=stage, **_TASK_OPTIONS)(run)


clean_task = _stage_task("clean")
segment_task = _stage_task("segment")
extract_task = _stage_task("extract")
validate_task = _stage_task("validate")
