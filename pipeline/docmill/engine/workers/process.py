"""StageWorker: the parent's handle on one worker process, and the per-document time limit.

A Python thread cannot be stopped, and C code (regular expressions, lxml, spaCy)
never checks for interruption, so the only reliable way to stop a plugin that
hangs is to run it in another process and kill that process. The parent waits
for a document's answer while each plugin call on it keeps within the
document's :class:`TimeBudget`: ``time_limit`` seconds for any document, plus
``time_per_mb`` seconds per million characters of its text, so a hang is
stopped after ``time_limit`` while a long document gets time in proportion to
its size. When the budget passes (or the worker dies,
e.g. a C extension crashing), the worker is killed, that document becomes a
reject naming the stage and plugin that was running and the budget it had,
the worker is started again and the rest of the batch goes on.
"""

from __future__ import annotations

import contextlib
import pickle
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import IO

from docmill.engine.failures import FRAMEWORK, PluginError, describe
from docmill.engine.stage import LAST_STAGE, Stage
from docmill.engine.state import DocState
from docmill.engine.workers import spare
from docmill.engine.workers.child import HELD_BATCHES
from docmill.engine.workers.protocol import (
    Crashed,
    Marker,
    Patched,
    PluginFailed,
    Ready,
    Resumed,
    RunStage,
    WorkerSetup,
    apply,
    defer,
    set_encoded,
    settle,
)
from docmill.limits import DEFAULT_LIMITS, Limits
from docmill.sources import InputFile, Source

#: Seconds a new worker may take to import the plugins before it is given up on.
STARTUP_TIMEOUT = 180.0
#: Extra seconds for the first document of each stage in a fresh worker: plugins
#: load their models on first use (spaCy: seconds), which is no document's fault.
STARTUP_GRACE = 60.0

#: Seconds between two looks at which plugin a worker is running.
WATCH_INTERVAL = 0.5

#: Starts a process: ``spawn(argv, fds_to_pass)`` (from the pool's long-lived thread).
Spawn = spare.Spawn


class WorkerStartError(RuntimeError):
    """A worker process could not start (a plugin hangs or crashes on import)."""


@dataclass(frozen=True)
class TimeBudget:
    """Seconds one document may spend in one stage: a base plus an allowance by size.

    ``base <= 0``: no limit at all.
    """

    #: Seconds for any document (``time_limit``): how long a hang runs before it is stopped.
    base: float
    #: Seconds more per million characters of its text (``time_per_mb``).
    per_mb: float = 0.0

    @property
    def limited(self) -> bool:
        return self.base > 0

    def seconds(self, size: int) -> float:
        """The budget of a document of ``size`` characters (bytes before load)."""
        return self.base + self.per_mb * size / 1_000_000


def size_of(state: DocState) -> int:
    """A document's size for its budget: its text's length, or its file's before load."""
    if state.document is not None:
        return len(state.document.text)
    item = state.input
    if isinstance(item, Source):
        return len(item.data)
    if isinstance(item, InputFile):
        try:
            return item.path.stat().st_size
        except OSError:
            return 0
    return 0


class StageWorker:
    """A child process that runs stage work for one :class:`WorkerSetup`.

    ``held`` and ``stale`` (batch tokens) are edited under ``lock``, the lock
    of the pool the worker belongs to: other threads mark its copies stale.
    """

    def __init__(self, setup: WorkerSetup, spawn: Spawn, lock: threading.Lock) -> None:
        self.setup = setup
        self._spawn = spawn
        self._lock = lock
        self.process: subprocess.Popen[bytes] | None = None
        self.conn: Connection | None = None
        self.marker: Marker | None = None
        self.ready = False
        self.warm: set[str] = set()  # stages this worker has run a document in
        #: The highest peak resident memory (bytes) a worker process of this handle reported.
        self.peak = 0
        #: Batch tokens whose current live states the worker holds.
        self.held: list[str] = []
        #: Tokens it holds stale copies of (another worker ran their next stage): the
        #: next message tells it to let them go.
        self.stale: list[str] = []
        self._marker_file: IO[bytes] | None = None

    def start(self) -> None:
        """Start the worker (:func:`~docmill.engine.workers.spare.launch`), or adopt the
        spare one ``docmill run`` started before it planned the run, and send it the setup."""
        launched = spare.adopt() or spare.launch(self._spawn)
        self.process, self.conn = launched.process, launched.conn
        self._marker_file = launched.marker_file
        self.marker = Marker(self._marker_file.fileno())
        self.conn.send(self.setup)
        self.ready = False
        self.warm = set()
        with self._lock:
            self.held = []
            self.stale = []

    def wait_ready(self) -> None:
        """Wait until the worker has loaded its plugins (:data:`STARTUP_TIMEOUT` at most)."""
        if self.ready:
            return
        assert self.conn is not None and self.process is not None
        try:
            if not self.conn.poll(STARTUP_TIMEOUT):
                raise WorkerStartError(
                    f"the plugin worker did not start within {STARTUP_TIMEOUT:g} s "
                    "(a plugin hangs on import?)"
                )
            message = self.conn.recv()
        except (EOFError, OSError) as exc:
            code = self.process.poll()
            self.stop()
            raise WorkerStartError(
                f"the plugin worker died while loading the plugins (exit code {code}): "
                f"{describe(exc)}"
            ) from None
        except WorkerStartError:
            self.stop()
            raise
        if not isinstance(message, Ready):
            self.stop()
            raise WorkerStartError(f"unexpected message from the plugin worker: {message!r}")
        self.ready = True

    def running(self) -> tuple[str, str]:
        """(stage, plugin) the worker was in when last marked."""
        return self.marker.read() if self.marker is not None else ("?", FRAMEWORK)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, kill: bool = False) -> None:
        """End the worker: close its pipe (it exits on EOF), or kill it outright."""
        if self.process is None:
            return
        if self.conn is not None:
            with contextlib.suppress(OSError):
                self.conn.close()
        if kill:
            self.process.kill()
        try:
            self.process.wait(10 if kill else 2)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        if self._marker_file is not None:
            self._marker_file.close()
        self.process = None
        self.ready = False
        with self._lock:
            self.held = []

    def _exit_code(self) -> int | None:
        if self.process is None:
            return None
        try:
            return int(self.process.wait(5))
        except subprocess.TimeoutExpired:
            return None

    def run(
        self,
        stage: Stage,
        states: Sequence[DocState],
        budget: TimeBudget,
        max_bytes: int,
        batch: str | None = None,
        fail_fast: bool = False,
        limits: Limits = DEFAULT_LIMITS,
        deferred: bool = False,
    ) -> list[DocState]:
        """Run ``stage`` over live ``states``, one by one; one state back per state, in order.

        A state over its ``budget`` (plus :data:`STARTUP_GRACE` for the first of a
        stage in a fresh worker), or one the worker dies on, becomes a reject;
        the worker is then started again and the remaining states go on.
        A plugin failure under ``fail_fast`` raises :class:`PluginError` (the
        caller then discards this worker).

        ``batch`` tags the states: when this worker ran the batch's previous stage
        (and nothing failed in it), they are not sent again, the worker uses the
        copy it kept. ``states`` must then be the live states that stage returned.

        With ``deferred`` the records and other heavy fields a stage changed stay
        packed on each state until :func:`~docmill.engine.workers.protocol.settle`
        (which this method calls itself before it sends a state to a worker).
        """
        results: list[DocState] = []
        items = list(states)
        while len(results) < len(items):
            if not self.alive():
                self.start()
            self.wait_ready()
            assert self.conn is not None
            whole = not results  # the worker gets the whole batch, so it can keep it
            rest = items[len(results) :]
            if batch is not None and whole and self.forget(batch):
                resumed = self._resume(stage, max_bytes, batch, fail_fast, limits)
                if resumed is None:  # it died in between: start another, send the states
                    continue
                if not resumed:
                    _settle_all(rest)
                    self.conn.send(
                        RunStage(stage, rest, max_bytes, batch, self.drop(), fail_fast, limits)
                    )
            else:
                if batch is not None:
                    self.forget(batch)
                _settle_all(rest)
                self.conn.send(
                    RunStage(stage, rest, max_bytes, batch, self.drop(), fail_fast, limits)
                )
            failed = False
            for item in rest:
                limit: float | None = None
                seconds = budget.seconds(size_of(item))
                if budget.limited:
                    limit = seconds if stage in self.warm else seconds + STARTUP_GRACE
                try:
                    if self._answered(limit):
                        self.warm.add(stage)
                        answer = self.conn.recv()
                        if isinstance(answer, (Patched, Crashed)):
                            self.peak = max(self.peak, answer.peak)
                        if isinstance(answer, Patched):
                            results.append(_patched(item, answer, deferred))
                        elif isinstance(answer, PluginFailed):
                            raise _plugin_error(answer)
                        else:
                            assert isinstance(answer, Crashed), answer
                            failure = _failed(
                                item, answer.stage, answer.plugin, answer.error, answer.traceback
                            )
                            results.append(failure)
                            failed = True
                        continue
                    problem = "timeout"
                except (EOFError, OSError):
                    problem = "died"
                where, plugin = self.running()
                code = self._exit_code() if problem == "died" else None
                self.stop(kill=True)
                error = _reason(problem, where, plugin, budget, size_of(item), code)
                results.append(_failed(item, where, plugin, error))
                break
            else:
                if batch is not None and stage != LAST_STAGE and whole and not failed:
                    self.hold(batch)
        return results

    def _answered(self, limit: float | None) -> bool:
        """Wait for the worker's next answer; False when one plugin ran ``limit`` seconds.

        Each plugin call gets ``limit`` of its own: the :class:`Marker` names the
        plugin running, and when it changes (the next plugin started, or the
        framework's work between two) the clock starts again. So a stage of five
        extractors is not held to one plugin's budget, and a plugin that hangs is
        stopped ``limit`` seconds after it started.
        """
        assert self.conn is not None
        if limit is None:
            return self.conn.poll(None)
        mark, started = self.running(), time.monotonic()
        while True:
            left = started + limit - time.monotonic()
            if self.conn.poll(max(0.0, min(left, WATCH_INTERVAL))):
                return True
            now = self.running()
            if now != mark:
                mark, started = now, time.monotonic()
            elif time.monotonic() >= started + limit:
                return False

    def _resume(
        self, stage: Stage, max_bytes: int, batch: str, fail_fast: bool, limits: Limits
    ) -> bool | None:
        """Ask the worker to run ``stage`` on the states it kept for ``batch``.

        True if it had them, False if not (the caller sends them), None if it died.
        """
        assert self.conn is not None
        try:
            self.conn.send(RunStage(stage, None, max_bytes, batch, self.drop(), fail_fast, limits))
            answer: Resumed = self.conn.recv()  # answered before anything else
        except (EOFError, OSError):
            self.stop(kill=True)
            return None
        return answer.held

    def hold(self, batch: str) -> None:
        """Record that this worker holds ``batch``'s current states."""
        with self._lock:
            self.held.append(batch)
            del self.held[:-HELD_BATCHES]

    def outdate(self, batch: str) -> None:
        """Another worker runs ``batch``'s next stage: this one's copy is out of date."""
        with self._lock:
            if batch in self.held:
                self.held.remove(batch)
                self.stale.append(batch)

    def drop(self) -> list[str]:
        """The stale tokens to send with the next message (and forget here)."""
        with self._lock:
            drop, self.stale = self.stale, []
        return drop

    def forget(self, batch: str) -> bool:
        """Take ``batch`` off this worker's list; True if it was on it."""
        with self._lock:
            if batch in self.held:
                self.held.remove(batch)
                return True
        return False


def _settle_all(states: Sequence[DocState]) -> None:
    """Apply every patch kept on ``states``: they are about to be sent to a worker."""
    for state in states:
        settle(state)


def _patched(item: DocState, answer: Patched, deferred: bool) -> DocState:
    """Apply a worker's answer to the parent's ``item``, its heavy part now or later."""
    apply(item, answer.patch)
    if deferred:
        if answer.packed is not None:
            defer(item, answer.packed)
    else:
        settle(item)
        if answer.packed is not None:
            apply(item, pickle.loads(answer.packed))
    set_encoded(item, answer.encoded)
    return item


def _plugin_error(answer: PluginFailed) -> PluginError:
    error = PluginError(
        answer.plugin, answer.stage, answer.source, answer.problem, answer.traceback
    )
    error.__cause__ = answer.cause or RuntimeError(answer.problem)
    return error


def _reason(
    problem: str, stage: str, plugin: str, budget: TimeBudget, size: int, exitcode: int | None
) -> str:
    who = "reading the file" if plugin == FRAMEWORK else f"{stage} plugin {plugin!r}"
    if problem == "timeout":
        seconds = round(budget.seconds(size), 1)
        unit = "bytes" if stage == "load" else "characters"
        how = f"time_limit {budget.base:g} s"
        if budget.per_mb > 0:
            how += f" + time_per_mb {budget.per_mb:g} s x {size / 1_000_000:.3g} million {unit}"
        return (
            f"stopped after the time limit of {seconds:g} seconds per plugin for this document "
            f"({how}): {who} was still running (raise time_limit or time_per_mb if it is "
            "not a hang but a long document)"
        )
    if exitcode is not None and exitcode < 0:
        how = f"signal {-exitcode}"
    else:
        how = f"exit code {exitcode}"
    return f"the worker process died ({how}) while {who} was running on this document"


def _failed(
    item: DocState, stage: str, plugin: str, error: str, traceback: str | None = None
) -> DocState:
    """A rejected copy of ``item`` (the worker's work on it is lost)."""
    state = DocState(item.source, item.sha256, document=item.document)
    state.fail(stage, plugin, error, traceback)
    return state
