"""The Prefect flow: documents in batches, one task per stage per batch.

Task runs cost milliseconds each on Prefect's local API, so documents never get
a task of their own: a batch goes through ``load -> clean -> segment -> extract
-> validate`` as five task runs, and its records are written by the run's sinks
before the next batch is read, so memory stays flat whatever the corpus size.
"""

from __future__ import annotations

from docmill.orchestration.environment import configure

configure()

import time  # noqa: E402
from collections import deque  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from contextlib import ExitStack  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from functools import lru_cache  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from prefect import flow, task  # noqa: E402
from prefect.cache_policies import NO_CACHE  # noqa: E402
from prefect.context import SyncClientContext  # noqa: E402
from prefect.exceptions import UnfinishedRun  # noqa: E402
from prefect.futures import PrefectFuture  # noqa: E402

from docmill.engine import STAGES, Stage, stages  # noqa: E402
from docmill.engine.state import DocState  # noqa: E402
from docmill.engine.workers import PoolConfig, WorkerPool  # noqa: E402
from docmill.orchestration.stage_work import Workers, run_stage_in, worker_setup  # noqa: E402
from docmill.plugins import Manager, __version__, build_manager  # noqa: E402
from docmill.records import SCHEMA_VERSION, Record  # noqa: E402
from docmill.runs import cache  # noqa: E402
from docmill.runs.cache import Reused  # noqa: E402
from docmill.runs.folder import RunFolder, new_run_id  # noqa: E402
from docmill.runs.summary import file_hashes, publish_summary  # noqa: E402
from docmill.settings import (  # noqa: E402
    DEFAULT_BATCH_SIZE,
    DEFAULT_TIME_LIMIT,
    check_plugin_settings,
)
from docmill.sinks import RunInfo, Sink  # noqa: E402
from docmill.sources import InputFile, discover  # noqa: E402

#: Called as ``progress(done, total)`` after each batch is written (set by the CLI).
Progress = Callable[[int, int], None]
_progress: list[Progress] = []


def set_progress(callback: Progress | None) -> None:
    """Install (or remove, with None) the progress callback of this process."""
    _progress.clear()
    if callback is not None:
        _progress.append(callback)


@lru_cache(maxsize=8)
def get_manager(disable: tuple[str, ...] = (), only: tuple[str, ...] | None = None) -> Manager:
    """The plugin manager of this process (built once per plugin selection)."""
    return build_manager(disable=disable, only=only)


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


def _run_stage(
    stage: Stage,
    upstream: Timed,
    disable: tuple[str, ...],
    only: tuple[str, ...] | None,
    max_bytes: int,
    workers: Workers,
    fail_fast: bool,
) -> Timed:
    """Run ``stage`` over ``upstream``'s batch; its seconds leave out the wait for a worker."""
    t0 = time.perf_counter()
    states, waited = run_stage_in(
        workers,
        stage,
        upstream.states,
        lambda: get_manager(disable, only),
        max_bytes=max_bytes,
        batch=upstream.batch or None,
        fail_fast=fail_fast,
    )
    seconds = dict(upstream.seconds)
    seconds[stage] = time.perf_counter() - t0 - waited
    return Timed(states, seconds, upstream.batch)


_TASK_OPTIONS: dict[str, Any] = {"cache_policy": NO_CACHE, "persist_result": False}


def _stage_task(stage: Stage) -> Any:
    def run(
        upstream: Timed,
        disable: tuple[str, ...],
        only: tuple[str, ...] | None,
        max_bytes: int,
        workers: Workers = None,
        fail_fast: bool = False,
    ) -> Timed:
        return _run_stage(stage, upstream, disable, only, max_bytes, workers, fail_fast)

    run.__name__ = f"{stage}_task"
    run.__doc__ = f"Run the {stage} stage over one batch."
    return task(name=stage, **_TASK_OPTIONS)(run)


#: One Prefect task per stage, each over one batch's states.
STAGE_TASKS = {stage: _stage_task(stage) for stage in STAGES}


def _batches(items: Sequence[InputFile], size: int) -> list[list[InputFile]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


class _Run:
    """Book-keeping of one run in the flow process: sinks, dedup, counts, timings."""

    def __init__(self, mgr: Manager, folder: RunFolder) -> None:
        self.kinds = stages.record_kinds(mgr)
        self.info = RunInfo(run_id=folder.run_id, folder=folder.tmp, kinds=self.kinds)
        self.sinks: list[Sink] = []
        for _name, fn in mgr.ordered("export_sink"):
            sink = fn(run=self.info)
            if sink is not None:
                self.sinks.append(sink)
        self.counts: dict[str, int] = dict.fromkeys(self.kinds, 0)
        self.timings: dict[str, float] = dict.fromkeys((*STAGES, "export"), 0.0)
        self.inputs: list[dict[str, Any]] = []
        self.seen: dict[str, str] = {}
        self.reused = 0

    def write_reused(self, entry: Reused) -> None:
        """Write a document's records taken from an earlier run (see docmill.runs.cache)."""
        t0 = time.perf_counter()
        records = entry.records(self.kinds)
        self.seen[entry.sha256] = entry.source
        for sink in self.sinks:
            sink.write(records)
        for r in records:
            self.counts[r.kind] = self.counts.get(r.kind, 0) + 1
        self.inputs.append(
            {
                "source": entry.source,
                "sha256": entry.sha256,
                "status": "document",
                "id": entry.doc_id,
            }
        )
        self.reused += 1
        self.timings["export"] += time.perf_counter() - t0

    def write(self, states: list[DocState]) -> None:
        t0 = time.perf_counter()
        for state in states:
            if state.alive and state.sha256 in self.seen:
                state.fail(
                    "load",
                    stages.FRAMEWORK,
                    f"same content as {self.seen[state.sha256]} (a duplicate input)",
                )
            elif state.alive:
                self.seen[state.sha256] = state.source
            records: list[Record] = state.output()
            for sink in self.sinks:
                sink.write(records)
            for r in records:
                self.counts[r.kind] = self.counts.get(r.kind, 0) + 1
            self.inputs.append(
                {
                    "source": state.source,
                    "sha256": state.sha256 or None,
                    "status": "document" if state.alive else "reject",
                    "id": state.document.id if state.alive and state.document else None,
                }
            )
        self.timings["export"] += time.perf_counter() - t0

    def close(self) -> None:
        t0 = time.perf_counter()
        for sink in self.sinks:
            sink.close()
        self.timings["export"] += time.perf_counter() - t0


@flow(name="docmill", log_prints=False, validate_parameters=True)
async def docmill_flow(
    paths: list[str],
    out: str = "outputs",
    batch_size: int = DEFAULT_BATCH_SIZE,
    disable: list[str] | None = None,
    only: list[str] | None = None,
    max_bytes: int = 50_000_000,
    in_flight: int = 1,
    include: list[str] | None = None,
    exclude: list[str] | None = None,
    time_limit: float = DEFAULT_TIME_LIMIT,
    full: bool = False,
    workers: int = 1,
    fail_fast: bool = False,
) -> dict[str, Any]:
    """Run every input under ``paths`` through the five stages into a new run folder.

    ``paths`` holds files, folders, glob patterns and ``@LIST`` files; ``include``
    and ``exclude`` globs filter the inputs found (see :func:`docmill.sources.discover`).

    ``in_flight`` batches are submitted before the oldest is written. With the
    default thread runner, stage work runs in at most ``workers`` worker
    processes (:mod:`docmill.engine.workers`), so ``in_flight`` above ``workers`` keeps
    every worker busy while this process writes a finished batch. With Dask,
    raise it to the number of Dask workers (or twice that).

    Unless ``full``, a document whose bytes, source name, plugins and settings are
    unchanged since an earlier run under ``out`` is not processed again: its
    records are copied from that run (:mod:`docmill.runs.cache`).

    With ``fail_fast`` the first plugin error stops the run with
    :class:`docmill.engine.PluginError` (and no run folder) instead of becoming
    an error finding or a reject.

    Returns the run summary (also written as ``manifest.json``).
    """
    started = datetime.now(UTC)
    out_dir = Path(out)
    dis = tuple(sorted(disable or ()))
    onl = tuple(sorted(only)) if only else None
    mgr = get_manager(dis, onl)
    checked = check_plugin_settings(mgr.ordered("settings_model"))
    items = discover(
        paths, exclude=[out_dir], include_globs=include or (), exclude_globs=exclude or ()
    )
    fingerprint = cache.fingerprint(
        mgr,
        {name: model.model_dump(mode="json") for name, model in checked.items()},
        stages.record_kinds(mgr),
    )
    reusable = {} if full else cache.plan(items, out_dir, fingerprint, max_bytes)
    todo = [item for item in items if item.name not in reusable]
    setup = worker_setup(mgr, dis, onl) if time_limit > 0 or workers > 1 else None
    config = None if setup is None else PoolConfig(setup, workers, time_limit)
    folder = RunFolder(out_dir, new_run_id(started))
    folder.create()
    # One HTTP client for every task run of this flow run: without it Prefect's
    # task engine builds a client per task run in its thread, and each loads
    # the CA bundle into a new SSL context (py-spy: the flow process's largest
    # cost after waiting, 4.8 s for the 20 task runs of a 221-document run).
    client = ExitStack()
    client.enter_context(SyncClientContext.get_or_create())
    # The run's worker processes, closed with the client (before it) when the run ends.
    pool = None
    if config is not None and _tasks_run_here():
        pool = client.enter_context(WorkerPool(config))
        if todo:  # the workers import their plugins while the first batches are submitted
            pool.prestart(min(workers, -(-len(todo) // batch_size)))
    run_workers: Workers = pool or config
    try:
        run = _Run(mgr, folder)
        pending: deque[list[PrefectFuture[Timed]]] = deque()  # each batch's stage tasks
        order = deque(items)  # inputs are written in name order, reused or not
        ready: dict[str, DocState] = {}
        done = 0

        def write_ready() -> None:
            nonlocal done
            while order:
                name = order[0].name
                if name in reusable:
                    run.write_reused(reusable.pop(name))
                elif name in ready:
                    run.write([ready.pop(name)])
                else:
                    break
                order.popleft()
                done += 1
            for cb in _progress:
                cb(done, len(items))

        def drain_one() -> None:
            last = _last_result(pending.popleft())
            for stage, seconds in last.seconds.items():
                run.timings[stage] += seconds
            ready.update((state.source, state) for state in last.states)
            write_ready()

        write_ready()
        for number, batch in enumerate(_batches(todo, batch_size)):
            loading = Timed([DocState.of(item) for item in batch], {}, f"{folder.run_id}/{number}")
            futures: list[PrefectFuture[Timed]] = []
            for stage in STAGES:
                upstream = futures[-1] if futures else loading
                futures.append(
                    STAGE_TASKS[stage].submit(upstream, dis, onl, max_bytes, run_workers, fail_fast)
                )
            pending.append(futures)
            while len(pending) >= max(1, in_flight):
                drain_one()
        while pending:
            drain_one()
        if order:  # every input is written exactly once, or the run fails
            raise RuntimeError(f"internal error: {len(order)} inputs were never written")
        run.close()
        manifest = _manifest(run, folder, mgr, started, batch_size, len(items))
        manifest["cache"] = {
            "fingerprint": fingerprint,
            "full": full,
            "reused": run.reused,
            "reprocessed": len(items) - run.reused,
        }
        _run_complete(mgr, run.info, manifest)
        manifest["hashes"] = file_hashes(folder.tmp)  # after every file is written
        final = folder.finish(manifest)
    except BaseException:
        folder.abandon()
        raise
    finally:
        client.close()
    manifest["folder"] = str(final)
    await publish_summary(manifest)
    return manifest


def _last_result(futures: list[PrefectFuture[Timed]]) -> Timed:
    """The last stage's result of a batch; if a stage failed, that stage's own exception
    (e.g. :class:`docmill.engine.PluginError`), not Prefect's "upstream did not complete"."""
    try:
        return futures[-1].result()
    except UnfinishedRun:
        for future in futures:
            future.result()  # raises the failed stage's exception
        raise


class RunCompleteWarning(UserWarning):
    """A ``run_complete`` implementation raised; the run went on without its output."""


def _run_complete(mgr: Manager, info: RunInfo, manifest: dict[str, Any]) -> None:
    """Call every ``run_complete`` implementation on its own (a failure is only a warning)."""
    import warnings

    for name, fn in mgr.ordered("run_complete"):
        try:
            fn(run=info, manifest=manifest)
        except Exception as exc:
            warnings.warn(
                f"docmill plugin {name!r} failed in run_complete: {stages.describe(exc)}",
                RunCompleteWarning,
                stacklevel=2,
            )


def _tasks_run_here() -> bool:
    """True when this flow run's tasks run in this process (threads), not on Dask workers."""
    from prefect.context import FlowRunContext
    from prefect.task_runners import ThreadPoolTaskRunner

    ctx = FlowRunContext.get()
    return ctx is None or isinstance(ctx.task_runner, ThreadPoolTaskRunner)


def _manifest(
    run: _Run,
    folder: RunFolder,
    mgr: Manager,
    started: datetime,
    batch_size: int,
    n_inputs: int,
) -> dict[str, Any]:
    finished = datetime.now(UTC)
    documents = run.counts.get("document", 0)
    rejects = run.counts.get("reject", 0)
    return {
        "run_id": folder.run_id,
        "schema_version": SCHEMA_VERSION,
        "docmill_version": __version__,
        "started": started.isoformat(),
        "finished": finished.isoformat(),
        "seconds": round((finished - started).total_seconds(), 3),
        "batch_size": batch_size,
        "inputs": run.inputs,
        "n_inputs": n_inputs,
        "documents": documents,
        "rejects": rejects,
        "plugins": mgr.versions(),
        "counts": dict(sorted(run.counts.items())),
        "files": {kind: t.file_name() for kind, t in sorted(run.kinds.items())},
        "timings": {k: round(v, 4) for k, v in run.timings.items()},
    }
