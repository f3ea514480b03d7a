"""Plugin workers started before Prefect: the model loads while the API starts.

A one-document run spends most of its fixed cost in three things that need not
wait for each other: importing Prefect (and reaching its API), and the plugin
worker importing spaCy and loading its model. So :func:`docmill.orchestration.
launch.execute` calls :func:`start` before it imports the flow: when the run has
documents to process (not an empty folder, not a rerun that reuses every
document) it makes the run's :class:`~docmill.engine.workers.WorkerPool` and
starts its workers at once; the flow then :func:`take`\\ s that pool instead of
making its own, and closes it when the run ends as it would its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docmill.engine import stages
from docmill.engine.workers import PoolConfig, WorkerPool
from docmill.orchestration.manager import get_manager, selection
from docmill.orchestration.stage_work import worker_setup
from docmill.runs import cache
from docmill.sources import discover

#: The pool started early for the run of this process, until the flow takes it.
_early: list[WorkerPool] = []


def pool_config(parameters: dict[str, Any]) -> tuple[PoolConfig | None, int]:
    """The worker pool config the flow will make for ``parameters``, and the documents
    it will process (those not reused from earlier runs), as the flow computes them."""
    dis, onl = selection(parameters.get("disable") or (), None)
    mgr = get_manager(dis, onl)
    time_limit, workers = parameters["time_limit"], parameters["workers"]
    setup = worker_setup(mgr, dis, onl) if time_limit > 0 or workers > 1 else None
    if setup is None:
        return None, 0
    out = Path(parameters["out"])
    items = discover(
        parameters["paths"],
        exclude=[out],
        include_globs=parameters.get("include") or (),
        exclude_globs=parameters.get("exclude") or (),
    )
    todo = len(items)
    if items and not parameters.get("full"):
        checked = mgr.settings(reload=True)
        fp = cache.fingerprint(
            mgr,
            {name: model.model_dump(mode="json") for name, model in checked.items()},
            stages.record_kinds(mgr),
        )
        todo -= len(cache.plan(items, out, fp, parameters["max_bytes"]))
    return PoolConfig(setup, workers, time_limit), todo


def start(parameters: dict[str, Any]) -> None:
    """Start the run's plugin workers now when it will have documents to process."""
    discard()
    try:
        config, todo = pool_config(parameters)
    except Exception:  # the flow reports it, with the run's own error handling
        return
    if config is None or todo <= 0:
        return
    pool = WorkerPool(config)
    batches = -(-todo // max(1, parameters["batch_size"]))
    pool.prestart(min(config.size, batches))
    _early.append(pool)


def take(config: PoolConfig) -> WorkerPool | None:
    """The pool started early for ``config`` (the caller closes it), else None."""
    while _early:
        pool = _early.pop()
        if pool.config == config and not pool.closed:
            return pool
        pool.close()
    return None


def discard() -> None:
    """Close a pool started early that no flow took (the run failed before)."""
    while _early:
        _early.pop().close()
