"""WorkerPool: the worker processes of one run, created and closed by whoever runs it.

The flow makes one pool per run (``with WorkerPool(config) as pool``, or
``close()`` in ``finally``) and hands it to its tasks; a task runs one stage of
one batch with :meth:`WorkerPool.run`. At most ``size`` workers exist: with
several batches in flight that many processes run stage work side by side,
each with its own plugins and model, and a task waits when all are busy.

A batch's states stay in the worker between stages. A batch is tagged with a
token; the worker keeps the live states of the last few tokens it ran, and the
pool gives a batch's next stage to the worker that holds it when that one is
free, which then gets the token instead of the states. The parent still keeps
each stage's patch for its own copy (applied at once, or with ``deferred`` kept
as the worker's bytes until it is needed), so a killed worker loses nothing:
the next stage resends the states.

Workers are started from one long-lived thread of the pool, so that they die
with this process (``PR_SET_PDEATHSIG``) but not with a task thread; closing the
pool stops every worker (idle ones exit on end-of-file, busy ones are killed).
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import TracebackType

from docmill.engine.stage import Stage
from docmill.engine.stages import DEFAULT_MAX_BYTES
from docmill.engine.state import DocState
from docmill.engine.workers.process import StageWorker, TimeBudget
from docmill.engine.workers.protocol import WorkerSetup
from docmill.limits import DEFAULT_LIMITS, Limits
from docmill.settings import DEFAULT_TIME_LIMIT, DEFAULT_TIME_PER_MB


class PoolClosed(RuntimeError):
    """The pool was closed: no more stage work runs in it."""


@dataclass(frozen=True)
class PoolConfig:
    """What a :class:`WorkerPool` is made from (picklable: a Dask worker can make its own)."""

    setup: WorkerSetup
    #: Worker processes at most.
    size: int = 1
    #: Seconds any document may spend in one stage; ``<= 0``: no limit.
    time_limit: float = DEFAULT_TIME_LIMIT
    #: Seconds more per million characters of a document's text (bytes of its file in load).
    time_per_mb: float = DEFAULT_TIME_PER_MB

    @property
    def budget(self) -> TimeBudget:
        return TimeBudget(self.time_limit, self.time_per_mb)


class WorkerPool:
    """At most ``config.size`` worker processes for one :class:`WorkerSetup`.

    Thread-safe: every task thread of a run calls :meth:`run` on the same pool.
    Deliberately a plain class: Prefect walks dataclass and pydantic task
    arguments field by field, a plain object is a leaf to it.
    """

    def __init__(self, config: PoolConfig) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._freed = threading.Condition(self._lock)  # notified when a worker comes back
        self._members: list[StageWorker] = []  # every worker, idle or busy
        self._idle: list[StageWorker] = []
        self._waited = threading.local()  # seconds this thread last waited for a worker
        self._spawner: ThreadPoolExecutor | None = None
        self._closed = False
        self._peak = 0  # the highest peak memory of workers no longer in the pool

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        return self._closed

    def peak_memory(self) -> int:
        """The highest peak resident memory (bytes) any worker of this pool reported so far.

        Each worker measures its own (``VmHWM``) and reports it with every document.
        """
        with self._lock:
            return max([self._peak, *(w.peak for w in self._members)])

    @property
    def workers(self) -> tuple[StageWorker, ...]:
        """Every worker of the pool now, idle or busy (for inspection)."""
        with self._lock:
            return tuple(self._members)

    def run(
        self,
        stage: Stage,
        states: Sequence[DocState],
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        batch: str | None = None,
        fail_fast: bool = False,
        limits: Limits = DEFAULT_LIMITS,
        deferred: bool = False,
    ) -> list[DocState]:
        """Run ``stage`` over a batch's live states in a worker; rejected ones pass as they are.

        Returns the batch's states in order (each live one patched in place, or
        replaced by a reject when its document ran past its time budget or the
        worker died on it; ``limits`` bound what an input may expand to). ``batch``
        names the batch so its next stage can resume from the states the worker kept.
        Under ``fail_fast`` a plugin failure raises
        :class:`~docmill.engine.failures.PluginError`. With ``deferred`` the
        records a stage changed stay packed on each state (the flow's writer
        applies them only when a sink needs records:
        :func:`~docmill.engine.workers.protocol.settle`).
        """
        self._waited.seconds = 0.0
        live = [s.alive for s in states]
        if not any(live):
            return list(states)
        worker = self._acquire(batch)
        try:
            if batch is not None:
                self._claim(worker, batch)
            done = worker.run(
                stage,
                [s for s, ok in zip(states, live, strict=True) if ok],
                self.config.budget,
                max_bytes,
                batch,
                fail_fast,
                limits,
                deferred,
            )
        except BaseException:
            self._discard(worker)
            raise
        self._release(worker)
        results = iter(done)
        return [next(results) if ok else s for s, ok in zip(states, live, strict=True)]

    def waited(self) -> float:
        """Seconds the calling thread's last :meth:`run` waited for a free worker."""
        return float(getattr(self._waited, "seconds", 0.0))

    def prestart(self, count: int | None = None) -> None:
        """Start ``count`` workers (at most ``size``) now, so their imports overlap other work."""
        wanted = self.config.size if count is None else min(count, self.config.size)
        started = [self._acquire(None) for _ in range(max(1, wanted))]
        for worker in started:
            self._release(worker)

    def close(self) -> None:
        """Stop every worker and the thread that starts them; the pool runs nothing after."""
        with self._freed:
            if self._closed:
                return
            self._closed = True
            members, idle = list(self._members), list(self._idle)
            self._peak = max([self._peak, *(w.peak for w in members)])
            self._members.clear()
            self._idle.clear()
            self._freed.notify_all()
        for worker in members:
            worker.stop(kill=worker not in idle)
        if self._spawner is not None:
            self._spawner.shutdown(wait=True)

    # -- workers in and out ------------------------------------------------------------

    def _spawn(self, args: list[str], fds: tuple[int, ...]) -> subprocess.Popen[bytes]:
        """Start a process from the pool's spawner thread (made on first use)."""
        with self._lock:
            if self._closed:
                raise PoolClosed("the worker pool is closed")
            if self._spawner is None:
                self._spawner = ThreadPoolExecutor(1, thread_name_prefix="docmill-spawn")
            spawner = self._spawner
        return spawner.submit(
            subprocess.Popen, args, stdin=subprocess.DEVNULL, pass_fds=fds
        ).result()

    def _acquire(self, batch: str | None) -> StageWorker:
        """An idle worker (preferably the one holding ``batch``), or a new one while
        fewer than ``size`` exist; else wait for one."""
        t0 = time.perf_counter()
        with self._freed:
            while True:
                if self._closed:
                    raise PoolClosed("the worker pool is closed")
                if self._idle:  # a dead one is restarted by StageWorker.run
                    held = (w for w in self._idle if batch in w.held and w.alive())
                    worker = next(held, self._idle[0])
                    self._idle.remove(worker)
                    self._waited.seconds = time.perf_counter() - t0
                    return worker
                if len(self._members) < max(1, self.config.size):
                    worker = StageWorker(self.config.setup, self._spawn, self._lock)
                    self._members.append(worker)  # counts against ``size`` while it starts
                    break
                self._freed.wait()
        self._waited.seconds = time.perf_counter() - t0
        try:
            worker.start()
        except BaseException:
            self._forget(worker)
            raise
        return worker

    def _claim(self, worker: StageWorker, batch: str) -> None:
        """``worker`` runs ``batch``'s next stage: any other's copy is out of date from now."""
        with self._lock:
            others = [w for w in self._members if w is not worker]
        for other in others:
            other.outdate(batch)

    def _release(self, worker: StageWorker) -> None:
        with self._freed:
            keep = worker.alive() and not self._closed and worker in self._members
            if keep:
                self._idle.append(worker)
            self._freed.notify_all()
        if not keep:
            worker.stop()
            self._forget(worker)

    def _discard(self, worker: StageWorker) -> None:
        """Kill a worker whose run failed and free its place."""
        worker.stop(kill=True)
        self._forget(worker)

    def _forget(self, worker: StageWorker) -> None:
        with self._freed:
            self._peak = max(self._peak, worker.peak)
            if worker in self._members:
                self._members.remove(worker)
            self._freed.notify_all()
