"""Plugin workers started before Prefect: the model loads while the API starts.

A one-document run spends most of its fixed cost in three things that need not
wait for each other: importing Prefect (and reaching its API), and the plugin
worker importing spaCy and loading its model. So :func:`docmill.orchestration.
launch.execute` calls :func:`start` before it imports the flow: when the run has
documents to process (not an empty folder, not a rerun that reuses every
document) it makes the run's :class:`~docmill.engine.workers.WorkerPool`, starts
its workers at once, and sends the smallest of those documents through the five
stages in a background thread: plugins load their models on first use (spaCy's
``load_model``), so this is what loads them, while Prefect is imported; the
results are dropped (the flow processes that document like any other). The flow
then :func:`take`\\ s that pool instead of making its own, and closes it when the
run ends as it would its own.
"""

from __future__ import annotations

import dataclasses
import threading
import warnings
from pathlib import Path
from typing import Any

from docmill.engine import STAGES, DocState, stages
from docmill.engine.workers import PoolConfig, WorkerPool
from docmill.limits import DEFAULT_LIMITS, Limits
from docmill.orchestration.manager import get_manager, selection
from docmill.orchestration.stage_work import worker_setup
from docmill.runs import cache
from docmill.settings import DEFAULT_TIME_PER_MB
from docmill.sources import InputFile, discover

#: The pool started early for the run of this process, until the flow takes it.
_early: list[WorkerPool] = []


def pool_config(parameters: dict[str, Any]) -> tuple[PoolConfig | None, list[InputFile]]:
    """The worker pool config the flow will make for ``parameters``, and the inputs
    it will process (those not reused from earlier runs), as the flow computes them."""
    dis, onl = selection(parameters.get("disable") or (), None)
    mgr = get_manager(dis, onl)
    time_limit, workers = parameters["time_limit"], parameters["workers"]
    setup = worker_setup(mgr, dis, onl) if time_limit > 0 or workers > 1 else None
    if setup is None:
        return None, []
    out = Path(parameters["out"])
    items = discover(
        parameters["paths"],
        exclude=[out],
        include_globs=parameters.get("include") or (),
        exclude_globs=parameters.get("exclude") or (),
    )
    todo = list(items)
    if items and not parameters.get("full"):
        checked = mgr.settings(reload=True)
        fp = cache.fingerprint(
            mgr,
            {name: model.model_dump(mode="json") for name, model in checked.items()},
            stages.record_kinds(mgr),
        )
        with warnings.catch_warnings():  # the flow's own plan says what it did not reuse
            warnings.simplefilter("ignore", cache.ReuseWarning)
            reused = cache.plan(items, out, fp, parameters["max_bytes"]).documents
        todo = [item for item in items if item.name not in reused]
    time_per_mb = parameters.get("time_per_mb", DEFAULT_TIME_PER_MB)
    return PoolConfig(setup, workers, time_limit, time_per_mb), todo


def start(parameters: dict[str, Any]) -> None:
    """Start the run's plugin workers now, and warm them up, when it has documents to process."""
    discard()
    try:
        config, todo = pool_config(parameters)
    except Exception:  # the flow reports it, with the run's own error handling
        return
    if config is None or not todo:
        return
    pool = WorkerPool(config)
    batches = -(-len(todo) // max(1, parameters["batch_size"]))
    pool.prestart(min(config.size, batches))
    _early.append(pool)
    sized = [(_size(item), item) for item in todo]
    size, smallest = min(sized, key=lambda pair: pair[0])
    if size <= WARM_UP_BYTES:
        threading.Thread(
            target=_warm_up,
            args=(pool, smallest, parameters["max_bytes"], _limits(parameters)),
            name="docmill-warm-up",
            daemon=True,
        ).start()


#: Largest document sent through the stages to warm a worker up.
WARM_UP_BYTES = 200_000


def _size(item: InputFile) -> int:
    try:
        return item.path.stat().st_size
    except OSError:
        return WARM_UP_BYTES + 1


def _limits(parameters: dict[str, Any]) -> Limits:
    """The run's input limits, as the flow builds them from its parameters."""
    names = {f.name for f in dataclasses.fields(Limits)}
    return dataclasses.replace(
        DEFAULT_LIMITS, **{k: v for k, v in parameters.items() if k in names}
    )


def _warm_up(pool: WorkerPool, item: InputFile, max_bytes: int, limits: Limits) -> None:
    """Run ``item`` through every stage in ``pool`` and drop the result (see the module)."""
    states = [DocState.of(item)]
    try:
        for stage in STAGES:
            states = pool.run(
                stage, states, max_bytes=max_bytes, batch="docmill-warm-up", limits=limits
            )
    except Exception:  # the pool was closed, or a plugin failed: the run will say so
        return


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
