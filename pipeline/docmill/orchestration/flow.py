"""The Prefect flow: documents in batches, one task per batch.

Task runs cost milliseconds each on Prefect's local API, so documents never get
a task of their own: a batch goes through ``load -> clean -> segment -> extract
-> validate`` in one task run (:mod:`docmill.orchestration.tasks`), and its
records are written by the run's sinks (:mod:`docmill.orchestration.writer`)
before the next batch is read, so memory stays flat whatever the corpus size.

Importing this module imports Prefect: call
:func:`docmill.orchestration.environment.configure` first (the command line,
:func:`docmill.run` and the testing fixtures do).
"""

from __future__ import annotations

import errno
import logging
import warnings
from collections import deque
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prefect import flow
from prefect.context import SyncClientContext
from prefect.exceptions import UnfinishedRun
from prefect.futures import PrefectFuture

from docmill.engine import DocState, stages
from docmill.engine.workers import PoolConfig, WorkerPool
from docmill.limits import DEFAULT_LIMITS as LIMITS
from docmill.limits import Limits
from docmill.orchestration import runlog, warmup
from docmill.orchestration.artifacts import publish_summary
from docmill.orchestration.manager import get_manager, selection
from docmill.orchestration.stage_work import Workers, worker_setup
from docmill.orchestration.tasks import BATCH_TASK, Timed
from docmill.orchestration.writer import RunWriter
from docmill.plugins import Manager
from docmill.runs import cache
from docmill.runs.folder import RunFolder, new_run_id
from docmill.runs.manifest import CacheInfo
from docmill.runs.summary import file_hashes
from docmill.settings import DEFAULT_BATCH_SIZE, DEFAULT_TIME_LIMIT, DEFAULT_TIME_PER_MB
from docmill.sinks import RunInfo
from docmill.sources import InputFile, discover


def quiet_observers() -> None:
    """Prefect's observers of flow runs warn, with a traceback, when their websocket to
    the API drops. That is how a lost API first shows, and docmill says so in one
    sentence (``docmill run``: :mod:`~docmill.orchestration.faults`; ``docmill serve``:
    its lost-API notice); their own errors still show. Called when this module is
    imported, which is also how the process a served run executes in loads the flow."""
    for observer in ("FlowRunCancellingObserver", "FlowRunSuspendingObserver"):
        logging.getLogger(f"prefect.{observer}").setLevel(logging.ERROR)


quiet_observers()

#: Called as ``progress(done, total)`` after each batch is written (set by the CLI).
Progress = Callable[[int, int], None]
_progress: list[Progress] = []


def set_progress(callback: Progress | None) -> None:
    """Install (or remove, with None) the progress callback of this process."""
    _progress.clear()
    if callback is not None:
        _progress.append(callback)


def _batches(items: Sequence[InputFile], size: int) -> list[list[InputFile]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


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
    time_per_mb: float = DEFAULT_TIME_PER_MB,
    max_text: int = LIMITS.max_text,
    max_line: int = LIMITS.max_line,
    max_expanded: int = LIMITS.max_expanded,
    max_ratio: float = LIMITS.max_ratio,
    max_pages: int = LIMITS.max_pages,
) -> dict[str, Any]:
    """Run every input under ``paths`` through the five stages into a new run folder.

    ``paths`` holds files, folders, glob patterns and ``@LIST`` files; ``include``
    and ``exclude`` globs filter the inputs found (see :func:`docmill.sources.discover`).

    ``in_flight`` batches are submitted before the oldest is written. With the
    default thread runner, stage work runs in at most ``workers`` worker
    processes (the run's :class:`~docmill.engine.workers.WorkerPool`), so
    ``in_flight`` above ``workers`` keeps every worker busy while this process
    writes a finished batch. With Dask, raise it to the number of Dask workers
    (or twice that).

    Unless ``full``, a document whose bytes, source name, plugins and settings are
    unchanged since an earlier run under ``out`` is not processed again: its
    records are copied from that run (:mod:`docmill.runs.cache`).

    With ``fail_fast`` the first plugin error stops the run with
    :class:`docmill.engine.PluginError` (and no run folder) instead of becoming
    an error finding or a reject.

    A document may spend ``time_limit`` seconds plus ``time_per_mb`` per million
    characters in each stage; ``max_text`` … ``max_pages`` bound what an input may
    expand to (:class:`docmill.Limits`).

    Returns the run summary (also written as ``manifest.json``).
    """
    started = datetime.now(UTC)
    out_dir = Path(out)
    dis, onl = selection(disable or (), only or None)
    mgr = get_manager(dis, onl)
    checked = mgr.settings(reload=True)
    mgr.languages()  # asked before any work: a failing languages hook stops the run
    items = discover(
        paths, exclude=[out_dir], include_globs=include or (), exclude_globs=exclude or ()
    )
    fingerprint = cache.fingerprint(
        mgr,
        {name: model.model_dump(mode="json") for name, model in checked.items()},
        stages.record_kinds(mgr),
    )
    plan = (
        cache.ReusePlan() if full else warmup.reuse_plan(items, out_dir, fingerprint, max_bytes)
    )
    reusable = plan.documents
    todo = [item for item in items if item.name not in reusable]
    setup = worker_setup(mgr, dis, onl) if time_limit > 0 or workers > 1 else None
    config = None if setup is None else PoolConfig(setup, workers, time_limit, time_per_mb)
    limits = Limits(max_text, max_line, max_expanded, max_ratio, max_pages)
    folder = RunFolder(out_dir, new_run_id(started))
    folder.create()
    # One HTTP client for every task run of this flow run: without it Prefect's
    # task engine builds a client per task run in its thread, and each loads
    # the CA bundle into a new SSL context (py-spy: the flow process's largest
    # cost after waiting, 4.8 s for the 20 task runs of a 221-document run).
    client = ExitStack()
    api = client.enter_context(SyncClientContext.get_or_create()).client
    # The run's worker processes, closed with the client (before it) when the run ends.
    pool = None
    if config is not None and _tasks_run_here():
        early = warmup.take(config)  # its workers are up, its first batch under way
        if early is not None:
            pool = client.enter_context(early[0])
            started = min(started, early[1])  # the run's work began before its flow
        else:
            pool = client.enter_context(WorkerPool(config))
            if todo:  # the workers import their plugins while the batches are submitted
                pool.prestart(min(workers, -(-len(todo) // batch_size)))
    run_workers: Workers = pool or config
    try:
        run = RunWriter(mgr, folder)
        pending: deque[list[PrefectFuture[Timed]]] = deque()  # each batch's stage tasks
        order = deque(items)  # inputs are written in name order, reused or not
        ready: dict[str, DocState] = {}
        done = 0
        sent = 0

        def submit(batch: list[InputFile]) -> None:
            nonlocal sent
            loading = Timed([DocState.of(item) for item in batch], {}, f"{folder.run_id}/{sent}")
            sent += 1
            futures = [
                BATCH_TASK.submit(loading, dis, onl, max_bytes, run_workers, fail_fast, limits)
            ]
            pending.append(futures)

        def write_ready() -> None:
            nonlocal done
            while order:
                name = order[0].name
                if name in reusable:
                    try:
                        run.write_reused(reusable.pop(name))
                    except cache.ReuseError as exc:  # changed since plan() checked it
                        warnings.warn(f"{exc}; processed again", cache.ReuseWarning, stacklevel=1)
                        plan.damaged += 1
                        submit([order[0]])
                        break
                elif name in ready:
                    run.write([ready.pop(name)])
                else:
                    break
                order.popleft()
                done += 1
            for cb in _progress:
                cb(done, len(items))

        batches, drained = -(-len(todo) // batch_size), [0]
        runlog.started(len(items), len(todo), batches, folder.tmp)

        def drain_one() -> None:
            last = _last_result(pending.popleft())
            for stage, seconds in last.seconds.items():
                run.timings[stage] += seconds
            ready.update((state.source, state) for state in last.states)
            # Prefect keeps every task run's result until the flow run ends (its
            # context's run_results, for dependency tracking), so a batch's states
            # outlived their writing: let go here, the flow process stays flat (10 MB
            # of news, run twice side by side: 127 -> 223 MB held, 120 -> 141 MB not)
            last.states = []
            write_ready()
            drained[0] += 1
            # a damaged reused document found while writing adds a batch of its own
            runlog.batch_written(drained[0], max(batches, sent), done, len(items))

        write_ready()
        for batch in _batches(todo, batch_size):
            submit(batch)
            while len(pending) >= max(1, in_flight):
                drain_one()
        while pending:
            drain_one()
        if order:  # every input is written exactly once, or the run fails
            raise RuntimeError(f"internal error: {len(order)} inputs were never written")
        run.close()
        manifest = run.manifest(started, batch_size, len(items))
        reuse = CacheInfo(
            fingerprint=fingerprint,
            full=full,
            reused=run.reused,
            reprocessed=len(items) - run.reused,
            damaged=plan.damaged,
        )
        manifest = manifest.model_copy(update={"cache": reuse})
        _run_complete(mgr, run.info, manifest.to_dict())
        # after every file is written
        manifest = manifest.model_copy(update={"hashes": file_hashes(folder.tmp)})
        problem = api.api_healthcheck()  # an API gone now could not record the run's end:
        if problem is not None:  # fail before publishing, not after
            raise problem
        final = folder.finish(manifest)
    except BaseException:
        folder.abandon()
        raise
    finally:
        client.close()
    await publish_summary(manifest, final)
    summary = {**manifest.to_dict(), "folder": str(final)}
    runlog.finished(summary, final)
    return {**summary, "flow_run_id": _flow_run_id()}


def send_pending() -> None:
    """Send the log lines and events Prefect still queues for the API now, not at exit.

    Without it the process sends them on its way out, after the summary line. Each
    worker warns that it is "still processing items" when it is stopped with items
    queued, which is the point here: that warning is not shown. Does nothing inside a
    running event loop (a notebook), where they go as usual.
    """
    import asyncio

    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    try:
        asyncio.get_running_loop()
        return
    except RuntimeError:
        pass
    workers = (APILogWorker, EventsWorker)
    logs = [logging.getLogger(w.__name__) for w in workers]  # each QueueService's logger
    levels = [log.level for log in logs]
    for log in logs:
        log.setLevel(logging.ERROR)
    try:
        for worker in workers:
            worker.drain_all(timeout=5)
    finally:
        for log, level in zip(logs, levels, strict=True):
            log.setLevel(level)


def _last_result(futures: list[PrefectFuture[Timed]]) -> Timed:
    """The last stage's result of a batch; if a stage failed, that stage's own exception
    (e.g. :class:`docmill.engine.PluginError`), not Prefect's "upstream did not complete"."""
    try:
        return futures[-1].result()
    except UnfinishedRun:
        for future in futures:
            future.result()  # raises the failed stage's exception
        raise


#: errno values that are faults of the disk or the output folder, not of a plugin.
ENVIRONMENT_ERRNOS = frozenset(
    {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EIO}
)


class RunCompleteWarning(UserWarning):
    """A ``run_complete`` implementation raised; the run went on without its output."""


def _run_complete(mgr: Manager, info: RunInfo, manifest: dict[str, Any]) -> None:
    """Call every ``run_complete`` implementation on its own (a failure is only a warning).

    A full disk or a read-only file system is no plugin's failure: it fails the run
    (nothing is published), as it would if a JSONL file had hit it.
    """
    for name, fn in mgr.ordered("run_complete"):
        try:
            fn(run=info, manifest=manifest)
        except Exception as exc:
            if isinstance(exc, OSError) and exc.errno in ENVIRONMENT_ERRNOS:
                raise
            warnings.warn(
                f"docmill plugin {name!r} failed in run_complete: {stages.describe(exc)}",
                RunCompleteWarning,
                stacklevel=2,
            )


def _flow_run_id() -> str | None:
    """This flow run's id (for its link in the Prefect UI), None outside a flow run."""
    from prefect.context import FlowRunContext

    ctx = FlowRunContext.get()
    return str(ctx.flow_run.id) if ctx is not None and ctx.flow_run is not None else None


def _tasks_run_here() -> bool:
    """True when this flow run's tasks run in this process (threads), not on Dask workers."""
    from prefect.context import FlowRunContext
    from prefect.task_runners import ThreadPoolTaskRunner

    ctx = FlowRunContext.get()
    return ctx is None or isinstance(ctx.task_runner, ThreadPoolTaskRunner)
