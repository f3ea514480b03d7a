"""The run's first batch, started before Prefect: the model loads while the API starts.

A one-document run spends most of its fixed cost in things that need not wait
for each other: importing Prefect and reaching its API, and the plugin worker
importing spaCy, loading its model and processing the document. So
``docmill run`` (and :func:`docmill.orchestration.launch.execute`) calls
:func:`start` before it imports Prefect: when the run has documents to process
(not an empty folder, not a rerun that reuses every document) it makes the run's
:class:`~docmill.engine.workers.WorkerPool`, starts its workers at once, and
sends the run's first batch (the documents the flow's first task will get, as
the flow computes them) through the five stages in a background thread. Plugins
load their models on first use, so this is also what loads them.

The flow then :func:`take`\\ s that pool instead of making its own (and closes it
when the run ends, as it would its own), and the task of its first batch
:func:`claim`\\ s the result instead of running the stages again: the same worker
code on the same inputs, only earlier. A batch that does not match (the inputs
changed in between) runs as usual and the early result is dropped, as it is when
the run fails before its flow starts (:func:`discard`).
"""

from __future__ import annotations

import dataclasses
import threading
import warnings
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from docmill.engine import DocState, stages
from docmill.engine.workers import PoolConfig, WorkerPool
from docmill.limits import DEFAULT_LIMITS, Limits
from docmill.orchestration.manager import get_manager, selection
from docmill.orchestration.stage_work import run_stages_in, worker_setup
from docmill.runs import cache
from docmill.settings import DEFAULT_TIME_PER_MB
from docmill.sources import InputFile, discover


@dataclasses.dataclass
class _Early:
    """The pool started early for the run of this process, and its first batch."""

    parameters: dict[str, Any]
    pool: WorkerPool
    #: The inputs of the first batch, as (name, path): what the flow's first task must get.
    inputs: tuple[tuple[str, str], ...]
    done: threading.Event = dataclasses.field(default_factory=threading.Event)
    result: tuple[list[DocState], dict[str, float]] | None = None
    error: BaseException | None = None
    #: Set by :func:`take`: the flow runs with this pool, so its first batch may be claimed.
    taken: bool = False
    #: When the run's work began: its manifest's ``started`` (the flow starts later).
    began: datetime = dataclasses.field(default_factory=lambda: datetime.now(UTC))


#: The pool started early for the run of this process, until the flow takes it.
_early: list[_Early] = []


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
        with warnings.catch_warnings(record=True) as said:  # the flow says it again
            warnings.simplefilter("always", cache.ReuseWarning)
            plan = cache.plan(items, out, fp, parameters["max_bytes"])
        _plans[:] = [(_plan_key(items, out, fp, parameters["max_bytes"]), plan, said)]
        todo = [item for item in items if item.name not in plan.documents]
    time_per_mb = parameters.get("time_per_mb", DEFAULT_TIME_PER_MB)
    return PoolConfig(setup, workers, time_limit, time_per_mb), todo


#: The reuse plan :func:`pool_config` made, for the flow to take instead of hashing
#: every input and reading the earlier runs' manifests again: (key, plan, warnings).
_plans: list[tuple[tuple[Any, ...], cache.ReusePlan, list[warnings.WarningMessage]]] = []


#: The parameters :func:`start` last found no work for (a rerun that reuses all).
_idle: list[dict[str, Any]] = []


def _plan_key(items: Sequence[InputFile], out: Path, fp: str, max_bytes: int) -> tuple[Any, ...]:
    return (tuple((i.name, str(i.path)) for i in items), str(out), fp, max_bytes)


def reuse_plan(items: Sequence[InputFile], out: Path, fp: str, max_bytes: int) -> cache.ReusePlan:
    """:func:`docmill.runs.cache.plan` for these arguments: the plan made before the
    flow started when it was made for the same ones (once; its warnings are given
    again now, for the flow's log), else a new one."""
    key = _plan_key(items, out, fp, max_bytes)
    while _plans:
        made, plan, said = _plans.pop()
        if made == key:
            for w in said:
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
            return plan
    return cache.plan(items, out, fp, max_bytes)


def start(parameters: dict[str, Any]) -> bool:
    """Start the run's plugin workers now, and its first batch, when it has documents
    to process (a second call for the same parameters keeps what the first started).

    False when the run is known to need no plugin worker: its stage work runs in
    the flow's process, or it has nothing to process.
    """
    if _early and _early[0].parameters == parameters and not _early[0].pool.closed:
        return True
    if _idle == [parameters] and _plans:
        return False
    discard()
    try:
        config, todo = pool_config(parameters)
    except Exception:  # the flow reports it, with the run's own error handling
        return True
    if config is None or not todo:
        _idle.append(dict(parameters))
        return False
    pool = WorkerPool(config)
    size = max(1, parameters["batch_size"])
    pool.prestart(min(config.size, -(-len(todo) // size)))
    first = [DocState.of(item) for item in todo[:size]]  # as the flow's first task gets it
    early = _Early(dict(parameters), pool, _inputs(first))
    _early.append(early)
    threading.Thread(
        target=_run_first,
        args=(early, first, parameters),
        name="docmill-first-batch",
        daemon=True,
    ).start()
    return True


def _inputs(states: Iterable[DocState]) -> tuple[tuple[str, str], ...]:
    """What identifies a batch before load: each input's name and file."""
    return tuple((s.source, str(getattr(s.input, "path", ""))) for s in states)


def _limits(parameters: dict[str, Any]) -> Limits:
    """The run's input limits, as the flow builds them from its parameters."""
    names = {f.name for f in dataclasses.fields(Limits)}
    return dataclasses.replace(
        DEFAULT_LIMITS, **{k: v for k, v in parameters.items() if k in names}
    )


def _run_first(early: _Early, states: list[DocState], parameters: dict[str, Any]) -> None:
    """Run the first batch through every stage in the early pool (see the module)."""
    try:
        early.result = run_stages_in(
            early.pool,
            states,
            lambda: get_manager(*selection(parameters.get("disable") or (), None)),
            max_bytes=parameters["max_bytes"],
            batch="docmill-first-batch",
            fail_fast=parameters.get("fail_fast", False),
            limits=_limits(parameters),
        )
    except BaseException as exc:  # a PluginError under fail_fast, or the pool closed
        early.error = exc
    finally:
        early.done.set()


def take(config: PoolConfig) -> tuple[WorkerPool, datetime] | None:
    """The pool started early for ``config`` (the caller closes it) and when that work
    began, else None."""
    while _early:
        early = _early[-1]
        if early.pool.config == config and not early.pool.closed:
            early.taken = True
            return early.pool, early.began
        discard()
    return None


def claim(states: Sequence[DocState]) -> tuple[list[DocState], dict[str, float]] | None:
    """The early result of the batch of ``states`` (before load), once, if it is the
    first batch of a pool the flow took; else None (the caller runs the stages).

    Waits for the early run to finish; raises what it raised (a
    :class:`~docmill.engine.PluginError` under ``fail_fast``).
    """
    if not _early or not _early[-1].taken:
        return None
    early = _early[-1]
    if _inputs(states) != early.inputs:
        return None
    early.taken = False  # once
    early.done.wait()
    if early.error is not None:
        raise early.error
    return early.result


def discard() -> None:
    """Close a pool started early that no flow took (the run failed before), and
    forget the reuse plan made for it."""
    _plans.clear()
    _idle.clear()
    while _early:
        _early.pop().pool.close()
