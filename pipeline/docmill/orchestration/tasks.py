"""The Prefect tasks of the flow: one task per batch of documents, running its five stages.

One task run per batch, not one per stage: each task run costs the flow process
and Prefect's API a fixed amount of CPU (states, events, the task engine), which
with two workers on two cores competes with the workers themselves. The seconds of
each stage are still kept apart (:class:`Timed`), and a batch's states still stay
in its worker between stages.

A task gets the plugin manager of its process (:func:`~docmill.orchestration.manager.get_manager`)
and runs the stages over the batch where the run says (:mod:`docmill.orchestration.stage_work`):
in a worker process of the run's pool, or in this process. The run's first batch
may have gone through its stages before Prefect was imported
(:mod:`docmill.orchestration.warmup`): its task then takes that result.
Tasks are never cached: a cache hit costs as much as a task run, and reuse of a
document's results is per document (:mod:`docmill.runs.cache`).
"""

from __future__ import annotations

from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from docmill.engine import DocState
from docmill.limits import DEFAULT_LIMITS, Limits
from docmill.orchestration import warmup
from docmill.orchestration.manager import get_manager
from docmill.orchestration.stage_work import Workers, run_stages_in


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


_TASK_OPTIONS: dict[str, Any] = {"cache_policy": NO_CACHE, "persist_result": False}


def _batch_task() -> Any:
    def run(
        upstream: Timed,
        disable: tuple[str, ...],
        only: tuple[str, ...] | None,
        max_bytes: int,
        workers: Workers = None,
        fail_fast: bool = False,
        limits: Limits = DEFAULT_LIMITS,
    ) -> Timed:
        early = warmup.claim(upstream.states)  # the first batch, run before Prefect was up
        if early is not None:
            states, seconds = early
        else:
            states, seconds = run_stages_in(
                workers,
                upstream.states,
                lambda: get_manager(disable, only),
                max_bytes=max_bytes,
                batch=upstream.batch or None,
                fail_fast=fail_fast,
                limits=limits,
            )
        return Timed(states, {**upstream.seconds, **seconds}, upstream.batch)

    run.__name__ = "batch_task"
    run.__doc__ = "Run every stage, load to validate, over one batch."
    return task(name="batch", **_TASK_OPTIONS)(run)


#: One Prefect task per batch: load, clean, segment, extract and validate in turn.
BATCH_TASK = _batch_task()
