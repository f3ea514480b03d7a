"""Where a task runs its stage: the run's worker pool, a Dask worker's pool, or in-process.

The flow builds one :class:`~docmill.engine.workers.PoolConfig` per run from
its own process (:func:`worker_setup`), makes a
:class:`~docmill.engine.workers.WorkerPool` of it when its tasks run in its
own threads, and closes it when the run ends. Tasks that run elsewhere (on a
Dask worker) get the config instead and use :func:`process_pool`, one pool per
process for its lifetime, so that process loads the plugins (and the model) once.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from functools import lru_cache
from types import ModuleType

from docmill import plugins as plugins_module
from docmill.engine import STAGES, DocState, Stage, record_kinds, run_stage
from docmill.engine.workers import PoolConfig, WorkerPool, WorkerSetup
from docmill.limits import DEFAULT_LIMITS, Limits
from docmill.plugins import Manager
from docmill.settings import raw_plugin_settings

#: Where a task runs its stage: the run's pool, a pool of this process made from the
#: run's config (a Dask worker), or in this process with no time limit (None).
Workers = WorkerPool | PoolConfig | None


def worker_setup(
    mgr: Manager, disable: tuple[str, ...], only: tuple[str, ...] | None
) -> WorkerSetup | None:
    """What worker processes need to load the plugins ``mgr`` of this process has.

    None when a plugin registered in this process (:func:`docmill.testing.registered`)
    is not an importable module: the stages then run in this process.
    """
    extra = []
    for name, obj in plugins_module.EXTRA_PLUGINS:
        module = obj.__name__ if isinstance(obj, ModuleType) else None
        if module is None or module == "__main__" or sys.modules.get(module) is not obj:
            return None
        extra.append((name, module))
    return WorkerSetup(
        disable=disable,
        only=only,
        extra=tuple(extra),
        plugin_settings=raw_plugin_settings(),
        order=mgr.order,
    )


@lru_cache(maxsize=4)
def process_pool(config: PoolConfig) -> WorkerPool:
    """The pool of a process running tasks for a flow elsewhere (a Dask worker).

    Kept as long as that process lives; its workers die with it.
    """
    return WorkerPool(config)


def run_stage_in(
    workers: Workers,
    stage: Stage,
    states: Sequence[DocState],
    manager: Callable[[], Manager],
    *,
    max_bytes: int,
    batch: str | None,
    fail_fast: bool,
    limits: Limits = DEFAULT_LIMITS,
) -> tuple[list[DocState], float]:
    """Run ``stage`` over a batch where ``workers`` says; returns the states and the
    seconds spent waiting for a free worker."""
    pool = process_pool(workers) if isinstance(workers, PoolConfig) else workers
    if pool is None:
        mgr = manager()
        done = run_stage(
            stage,
            mgr,
            states,
            record_kinds(mgr),
            max_bytes=max_bytes,
            fail_fast=fail_fast,
            limits=limits,
        )
        return done, 0.0
    # the records stay packed until the run's writer needs them (mostly never)
    done = pool.run(
        stage,
        states,
        max_bytes=max_bytes,
        batch=batch,
        fail_fast=fail_fast,
        limits=limits,
        deferred=True,
    )
    return done, pool.waited()


def run_stages_in(
    workers: Workers,
    states: Sequence[DocState],
    manager: Callable[[], Manager],
    *,
    max_bytes: int,
    batch: str | None,
    fail_fast: bool,
    limits: Limits = DEFAULT_LIMITS,
) -> tuple[list[DocState], dict[str, float]]:
    """Run every stage, load to validate, over a batch where ``workers`` says.

    Returns the states and each stage's seconds, leaving out the wait for a worker
    (a worker still starting, or busy with another batch).
    """
    seconds: dict[str, float] = {}
    done = list(states)
    for stage in STAGES:
        t0 = time.perf_counter()
        done, waited = run_stage_in(
            workers,
            stage,
            done,
            manager,
            max_bytes=max_bytes,
            batch=batch,
            fail_fast=fail_fast,
            limits=limits,
        )
        seconds[stage] = time.perf_counter() - t0 - waited
    return done, seconds
