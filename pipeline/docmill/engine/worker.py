"""Per-document time limits: stage work runs in a persistent child process.

A Python thread cannot be stopped, and C code (regular expressions, lxml, spaCy)
never checks for interruption, so the only reliable way to stop a plugin that
hangs is to run it in another process and kill that process. A
:class:`StageWorker` is such a process: it builds its own plugin manager once (so
a model is loaded once per worker, not per document), receives a batch for one
stage, and sends each document back as soon as it is done. The parent waits at
most ``time_limit`` seconds for each document; when the limit passes (or the
worker dies, e.g. a C extension crashing), the worker is killed, that document
becomes a reject naming the stage and plugin that was running, a fresh worker
is started and the rest of the batch goes on.

Workers are kept in a per-process pool between batches and runs, keyed by the
plugin selection and everything that decides which plugins load (``sys.path``,
``DOCMILL_*`` variables, the current folder), at most ``workers`` of them per key:
with several batches in flight, that many processes run stage work side by
side, each with its own model.

A batch's states stay in the worker between stages. Each stage used to send the
whole state of every document to the worker (after extract, every record of
the document) only for the worker to unpickle what it had itself sent back a
moment before; now a batch is tagged with a token, the worker keeps the live
states of the last few tokens it ran, and the parent sends a token instead of
the states when the same worker runs the batch's next stage (it prefers that
worker). The parent still applies each stage's patch to its own copy, so a
killed worker loses nothing: the next stage resends the states.

``time_limit <= 0`` with one worker skips all of this and runs the stages in the
calling process; with more than one worker it runs them in worker processes
with no time limit.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import importlib
import json
import mmap
import operator
import os
import pickle
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from types import ModuleType
from typing import Any, NamedTuple

from docmill import plugins as plugins_module
from docmill import settings as settings_module
from docmill.engine import stages
from docmill.engine.stages import FRAMEWORK, DocState, describe
from docmill.plugins import Manager, PluginLoadWarning, build_manager
from docmill.records import Record
from docmill.sources import InputFile

#: Seconds a new worker may take to import the plugins before it is given up on.
STARTUP_TIMEOUT = 180.0
#: Extra seconds for the first document of each stage in a fresh worker: plugins
#: load their models on first use (spaCy: seconds), which is no document's fault.
STARTUP_GRACE = 60.0
_MARKER_SIZE = 512
_SEP = "\x1f"
#: Batches whose states a worker keeps between stages (the oldest is dropped first).
HELD_BATCHES = 8
#: The last stage run in a worker: after it, a batch's states go to the sinks.
LAST_STAGE = "validate"

Key = tuple[Any, ...]
#: In-process plugins (name, "module" or "object", module name or object), settings
#: overrides, and whether they isolate from files and environment.
Setup = tuple[list[tuple[str, str, Any]], dict[str, dict[str, Any]], bool]


# -- child side ---------------------------------------------------------------------


@dataclass
class _TracedManager(Manager):
    """A manager whose hook calls record which plugin is running in a shared marker."""

    marker: Any = None  # a _Marker
    stage: str = "load"

    def mark(self, plugin: str) -> None:
        self.marker.value = f"{self.stage}{_SEP}{plugin}".encode()[: _MARKER_SIZE - 1]

    def ordered(self, hook_name: str) -> list[tuple[str, Callable[..., Any]]]:
        return [(name, self._traced(name, fn)) for name, fn in super().ordered(hook_name)]

    def _traced(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def call(**kwargs: Any) -> Any:
            self.mark(name)
            try:
                result = fn(**kwargs)
                if isinstance(result, Iterator):  # a generator runs the plugin's code lazily
                    result = list(result)
            except Exception:
                self.mark(FRAMEWORK)
                raise
            # SystemExit and the like leave the mark: the worker reports who raised it
            self.mark(FRAMEWORK)
            return result

        return call


def _die_with_parent() -> None:
    """Ask Linux to kill this process when its parent dies (kill -9 included).

    Linux sends the signal when the *thread* that started the worker ends, so
    workers are started from one long-lived thread (:func:`_spawn`), never from a
    task thread that a finished run shuts down.
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class _Marker:
    """Which stage and plugin a worker is in: a few bytes of a file both processes map."""

    def __init__(self, fd: int) -> None:
        self._map = mmap.mmap(fd, _MARKER_SIZE)

    @property
    def value(self) -> bytes:
        return self._map[:_MARKER_SIZE].split(b"\0", 1)[0]

    @value.setter
    def value(self, data: bytes) -> None:
        data = data[: _MARKER_SIZE - 1] + b"\0"
        self._map[: len(data)] = data


def main() -> None:
    """Entry point of a worker process (started by :meth:`StageWorker.start`)."""
    conn_fd, marker_fd = int(sys.argv[1]), int(sys.argv[2])
    disable, only = json.loads(sys.argv[3]), json.loads(sys.argv[4])
    _serve(
        Connection(conn_fd),
        _Marker(marker_fd),
        tuple(disable),
        tuple(only) if only is not None else None,
    )


def _serve(
    conn: Connection, marker: _Marker, disable: tuple[str, ...], only: tuple[str, ...] | None
) -> None:
    """The worker's main loop: one stage of one batch per message, one reply per document."""
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    extra, overrides, isolated = conn.recv()
    for name, how, ref in extra:
        obj = importlib.import_module(ref) if how == "module" else ref
        plugins_module.EXTRA_PLUGINS.append((name, obj))
    settings_module._overrides.update(overrides)
    if isolated:
        getattr(settings_module, "_isolated", []).append(True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PluginLoadWarning)
        base = build_manager(disable=disable, only=only)
    mgr = _TracedManager(base.pm, base.infos, marker=marker)
    kinds = stages.record_kinds(mgr)
    held: dict[str, list[DocState]] = {}  # batch token -> live states, oldest first
    conn.send(("ready", os.getpid()))
    while True:
        try:
            stage, payload, max_bytes, batch, drop = conn.recv()
        except (EOFError, OSError):
            return
        for token in drop:  # batches whose next stage ran in another worker
            held.pop(token, None)
        if payload is None:  # the parent says we hold this batch's states
            payload = held.pop(batch, None)
            conn.send(("missing" if payload is None else "held", batch))
            if payload is None:
                continue
        held.pop(batch, None)
        mgr.stage = stage
        kept: list[DocState] = []
        for item in payload:
            mgr.mark(FRAMEWORK)
            try:
                if stage == "load":
                    state = stages.load_batch(mgr, [item], max_bytes)[0]
                    conn.send(("ok", state))
                else:
                    before = _snapshot(item)
                    state = stages.run_stage(stage, mgr, [item], kinds)[0]
                    conn.send(("patch", _patch(before, state)))
            except BaseException as exc:  # a plugin may even raise SystemExit
                conn.send(("error", describe(exc)))
                continue  # the parent replaces it with a reject: not live any more
            if state.alive:
                kept.append(state)
        if batch is not None and stage != LAST_STAGE:
            held[batch] = kept
            while len(held) > HELD_BATCHES:
                del held[next(iter(held))]


#: The fields of a DocState a stage may change (see :func:`_patch`).
_FIELDS = ("document", "clean", "edits", "segments", "found", "records", "reject")


class _Ref(NamedTuple):
    """An item the parent already has: ``getattr(state, field)[position]`` before the stage."""

    field: str
    position: int


Snapshot = dict[str, tuple[Any, list[Any] | None]]
Patch = dict[str, Any]


def _snapshot(state: DocState) -> Snapshot:
    """Each field's object and, for a list, its items before a stage runs."""
    snap: Snapshot = {}
    for name in _FIELDS:
        value = getattr(state, name)
        snap[name] = (value, list(value) if isinstance(value, list) else None)
    return snap


def _patch(before: Snapshot, state: DocState) -> Patch:
    """What a stage changed in ``state``, with items the parent already holds as refs.

    The parent still holds the state it sent, so sending the whole state back
    would pickle every record of the document again (most of a worker's cost in
    extract and validate); a changed list goes back as its new items plus a
    :class:`_Ref` for each item that was already in one of the state's lists.
    """
    known = {
        id(item): _Ref(name, i)
        for name, (_, items) in before.items()
        if items is not None
        for i, item in enumerate(items)
    }
    patch: Patch = {}
    for name in _FIELDS:
        old, items = before[name]
        new = getattr(state, name)
        if items is not None and isinstance(new, list):
            if new is old and len(new) == len(items) and all(map(operator.is_, new, items)):
                continue
            patch[name] = [known.get(id(item), item) for item in new]
        elif new is not old:
            patch[name] = new
    return patch


def _apply(state: DocState, patch: Patch) -> DocState:
    """Apply a worker's patch to the parent's copy of ``state`` (in place, as in-process)."""
    lists = {name: getattr(state, name) for name in _FIELDS}
    decoded = {
        name: (
            [lists[v.field][v.position] if isinstance(v, _Ref) else v for v in value]
            if isinstance(value, list)
            else value
        )
        for name, value in patch.items()
    }
    for name, value in decoded.items():
        setattr(state, name, value)
    return state


# -- parent side --------------------------------------------------------------------


class WorkerStartError(RuntimeError):
    """A worker process could not start (a plugin hangs or crashes on import)."""


@dataclass
class StageWorker:
    """A child process that runs stage work for one plugin selection."""

    key: Key
    disable: tuple[str, ...]
    only: tuple[str, ...] | None
    setup: Setup
    process: Any = None
    conn: Connection | None = None
    marker: _Marker | None = None
    ready: bool = False
    warm: set[str] = field(default_factory=set)  # stages this worker has run a document in
    #: Batch tokens whose current live states the worker holds (see :func:`_serve`).
    held: list[str] = field(default_factory=list)
    #: Tokens it holds stale copies of (another worker ran their next stage): the
    #: next message tells it to let them go.
    stale: list[str] = field(default_factory=list)
    _marker_file: Any = field(default=None, repr=False)

    def start(self) -> None:
        """Start the worker: a fresh interpreter with this process's ``sys.path``.

        It is a plain subprocess (not ``multiprocessing``), so it never re-imports
        the caller's ``__main__`` and works from any script, REPL or console entry point.
        """
        self._marker_file = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the worker
        self._marker_file.write(bytes(_MARKER_SIZE))
        self._marker_file.flush()
        self.marker = _Marker(self._marker_file.fileno())
        parent, child = socket.socketpair()
        code = (
            f"import sys; sys.path[:] = {sys.path!r}; "
            "from docmill.engine.worker import main; main()"
        )
        args = [
            sys.executable,
            "-c",
            code,
            str(child.fileno()),
            str(self._marker_file.fileno()),
            json.dumps(list(self.disable)),
            json.dumps(None if self.only is None else list(self.only)),
        ]
        self.process = _spawn(args, (child.fileno(), self._marker_file.fileno()))
        child.close()
        self.conn = Connection(parent.detach())
        self.conn.send(self.setup)
        self.ready = False
        self.warm = set()
        self.held = []
        self.stale = []
        with _POOL_LOCK:
            _ALL.add(self)

    def wait_ready(self) -> None:
        if self.ready:
            return
        assert self.conn is not None
        try:
            if not self.conn.poll(STARTUP_TIMEOUT):
                raise WorkerStartError(
                    f"the plugin worker did not start within {STARTUP_TIMEOUT:g} s "
                    "(a plugin hangs on import?)"
                )
            message = self.conn.recv()
        except (EOFError, OSError) as exc:
            raise WorkerStartError(
                f"the plugin worker died while loading the plugins (exit code "
                f"{self.process.poll()}): {describe(exc)}"
            ) from None
        except WorkerStartError:
            self.stop()
            raise
        if message[0] != "ready":
            self.stop()
            raise WorkerStartError(f"unexpected message from the plugin worker: {message!r}")
        self.ready = True

    def running(self) -> tuple[str, str]:
        """(stage, plugin) the worker was in when last marked."""
        raw = self.marker.value.decode("utf-8", "replace") if self.marker else ""
        stage, _, plugin = raw.partition(_SEP)
        return stage or "?", plugin or FRAMEWORK

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
        self.held = []
        with _POOL_FREED:
            _ALL.discard(self)
            _POOL_FREED.notify_all()

    def _exit_code(self) -> int | None:
        if self.process is None:
            return None
        try:
            return int(self.process.wait(5))
        except subprocess.TimeoutExpired:
            return None

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other

    def run(
        self,
        stage: str,
        payload: Sequence[Any],
        time_limit: float,
        max_bytes: int,
        batch: str | None = None,
    ) -> list[DocState]:
        """Run ``stage`` over ``payload`` (input files for load, else states), one by one.

        Returns one state per item, in order. An item over ``time_limit`` seconds
        (plus :data:`STARTUP_GRACE` for the first of a stage in a fresh worker), or
        one the worker dies on, becomes a reject; the worker is then replaced
        (``self`` is restarted in place) and the remaining items go on.
        ``time_limit <= 0``: no limit.

        ``batch`` tags the payload: when this worker ran the batch's previous stage
        (and nothing failed in it), the states are not sent again, the worker uses
        the copy it kept. ``payload`` must then be the states that stage returned
        that are still live, in order.
        """
        results: list[DocState] = []
        items = list(payload)
        if batch is not None:
            self._claim(batch)
        while len(results) < len(items):
            if not self.alive():
                self.start()
            self.wait_ready()
            assert self.conn is not None
            whole = not results  # the worker gets the whole batch, so it can keep it
            if batch is not None and whole and self._forget(batch):
                resumed = self._resume(stage, max_bytes, batch)
                if resumed is None:  # it died in between: start another, send the states
                    continue
                if not resumed:
                    self.conn.send((stage, items, max_bytes, batch, self._drop()))
            else:
                if batch is not None:
                    self._forget(batch)
                self.conn.send((stage, items[len(results) :], max_bytes, batch, self._drop()))
            failed = False
            for item in items[len(results) :]:
                limit: float | None = None
                if time_limit > 0:
                    limit = time_limit if stage in self.warm else time_limit + STARTUP_GRACE
                try:
                    if self.conn.poll(limit):
                        self.warm.add(stage)
                        kind, value = self.conn.recv()
                        if kind == "ok":
                            results.append(value)
                        elif kind == "patch":
                            results.append(_apply(item, value))
                        else:
                            where, plugin = self.running()
                            results.append(_failed(item, where, plugin, value))
                            failed = True
                        continue
                    problem = "timeout"
                except (EOFError, OSError):
                    problem = "died"
                where, plugin = self.running()
                code = self._exit_code() if problem == "died" else None
                self.stop(kill=True)
                error = _reason(problem, where, plugin, time_limit, code)
                results.append(_failed(item, where, plugin, error))
                break
            else:
                if batch is not None and stage != LAST_STAGE and whole and not failed:
                    self._hold(batch)
        return results

    def _resume(self, stage: str, max_bytes: int, batch: str) -> bool | None:
        """Ask the worker to run ``stage`` on the states it kept for ``batch``.

        True if it had them, False if not (the caller sends them), None if it died.
        """
        assert self.conn is not None
        try:
            self.conn.send((stage, None, max_bytes, batch, self._drop()))
            kind, _ = self.conn.recv()  # the worker answers a token before anything else
        except (EOFError, OSError):
            self.stop(kill=True)
            return None
        return bool(kind == "held")

    def _claim(self, batch: str) -> None:
        """This worker runs ``batch``'s next stage: any other's copy is out of date from now."""
        with _POOL_LOCK:
            for other in _ALL:
                if other is not self and batch in other.held:
                    other.held.remove(batch)
                    other.stale.append(batch)

    def _hold(self, batch: str) -> None:
        """Record that this worker holds ``batch``'s current states."""
        with _POOL_LOCK:  # other threads' _claim edit this list too
            self.held.append(batch)
            del self.held[:-HELD_BATCHES]

    def _drop(self) -> list[str]:
        """The stale tokens to send with the next message (and forget here)."""
        with _POOL_LOCK:
            drop, self.stale = self.stale, []
        return drop

    def _forget(self, batch: str) -> bool:
        """Take ``batch`` off this worker's list; True if it was on it."""
        with _POOL_LOCK:
            if batch in self.held:
                self.held.remove(batch)
                return True
        return False


def _reason(problem: str, stage: str, plugin: str, limit: float, exitcode: int | None) -> str:
    who = "reading the file" if plugin == FRAMEWORK else f"{stage} plugin {plugin!r}"
    if problem == "timeout":
        return (
            f"stopped after the time limit of {limit:g} seconds per document "
            f"(time_limit): {who} was still running"
        )
    if exitcode is not None and exitcode < 0:
        how = f"signal {-exitcode}"
    else:
        how = f"exit code {exitcode}"
    return f"the worker process died ({how}) while {who} was running on this document"


def _failed(item: Any, stage: str, plugin: str, error: str) -> DocState:
    if isinstance(item, InputFile):
        state = DocState(item.name, "")
    else:
        state = DocState(item.source, item.sha256, document=item.document)
    state.fail(stage, plugin, error)
    return state


# -- the pool -----------------------------------------------------------------------

_SPAWNER: tuple[int, ThreadPoolExecutor] | None = None


def _spawn(args: list[str], fds: tuple[int, ...]) -> subprocess.Popen[bytes]:
    """Start a worker from this process's spawner thread (one per process, made lazily)."""
    global _SPAWNER
    with _POOL_LOCK:
        if _SPAWNER is None or _SPAWNER[0] != os.getpid():  # none yet, or we were forked
            _SPAWNER = (os.getpid(), ThreadPoolExecutor(1, thread_name_prefix="docmill-spawn"))
        executor = _SPAWNER[1]
    return executor.submit(
        subprocess.Popen, args, stdin=subprocess.DEVNULL, pass_fds=fds
    ).result()


_ALL: set[StageWorker] = set()
_IDLE: list[StageWorker] = []
_POOL_LOCK = threading.Lock()
_POOL_FREED = threading.Condition(_POOL_LOCK)  # notified when a worker goes back to the pool
_WAITED = threading.local()  # seconds this thread last waited for a free worker


def waited() -> float:
    """Seconds the calling thread's last :func:`run_guarded` waited for a free worker."""
    return float(getattr(_WAITED, "seconds", 0.0))


def _setup() -> Setup | None:
    """What a worker needs from this process's memory: in-process plugins, settings overrides.

    Plugins registered in-process (:data:`docmill.plugins.EXTRA_PLUGINS`, e.g. by
    :func:`docmill.testing.registered`) go to the worker as an importable module
    name or a picklable object; returns None when one cannot be sent.
    """
    extra: list[tuple[str, str, Any]] = []
    for name, obj in plugins_module.EXTRA_PLUGINS:
        if isinstance(obj, ModuleType):
            module = obj.__name__
            if module == "__main__" or sys.modules.get(module) is not obj or not obj.__spec__:
                return None
            extra.append((name, "module", module))
        else:
            try:
                pickle.dumps(obj)
            except Exception:
                return None
            extra.append((name, "object", obj))
    overrides = {name: dict(table) for name, table in settings_module._overrides.items()}
    try:
        pickle.dumps(overrides)
    except Exception:
        return None
    isolated = getattr(settings_module, "_isolated", [])
    return extra, overrides, bool(isolated and isolated[-1])


def _key(disable: tuple[str, ...], only: tuple[str, ...] | None, setup: Setup) -> Key:
    env = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("DOCMILL_")))
    extra = tuple((name, how, ref if how == "module" else id(ref)) for name, how, ref in setup[0])
    return (disable, only, tuple(sys.path), env, os.getcwd(), extra, repr(setup[1:]))


def _acquire(
    disable: tuple[str, ...],
    only: tuple[str, ...] | None,
    setup: Setup,
    workers: int = 1,
    batch: str | None = None,
) -> StageWorker:
    """An idle worker for this plugin selection, or a new one while fewer than ``workers`` exist.

    Prefers the worker holding ``batch``'s states; waits when all ``workers`` are busy.
    """
    key = _key(disable, only, setup)
    t0 = time.perf_counter()
    with _POOL_FREED:
        while True:
            idle = [w for w in _IDLE if w.key == key]  # a dead one is restarted by run()
            if idle:
                worker = next((w for w in idle if batch in w.held and w.alive()), idle[0])
                _IDLE.remove(worker)
                _WAITED.seconds = time.perf_counter() - t0
                return worker
            if sum(1 for w in _ALL if w.key == key) < max(1, workers):
                worker = StageWorker(key, disable, only, setup)
                _ALL.add(worker)  # counts against ``workers`` while it starts
                break
            _POOL_FREED.wait()
            _WAITED.seconds = time.perf_counter() - t0
    try:
        worker.start()
    except BaseException:
        with _POOL_FREED:
            _ALL.discard(worker)
            _POOL_FREED.notify_all()
        raise
    return worker


def _release(worker: StageWorker) -> None:
    with _POOL_FREED:
        stale = [w for w in _IDLE if w.key != worker.key]
        for w in stale:
            _IDLE.remove(w)
        alive = worker.alive()
        if alive:
            _IDLE.append(worker)
        _POOL_FREED.notify_all()
    if not alive:
        stale.append(worker)  # stop() reaps it and frees its place
    for w in stale:
        w.stop()


def _discard(worker: StageWorker) -> None:
    """Kill a worker that is out of the pool (its run failed) and free its place."""
    worker.stop(kill=True)
    with _POOL_FREED:  # stop() does nothing for a worker that never started
        _ALL.discard(worker)
        _POOL_FREED.notify_all()


def prestart(disable: tuple[str, ...], only: tuple[str, ...] | None, workers: int = 1) -> None:
    """Start ``workers`` workers for this plugin selection now, so their imports overlap
    other work (Prefect's start-up)."""
    setup = _setup()
    if setup is not None:
        started = [_acquire(disable, only, setup, workers) for _ in range(max(1, workers))]
        for worker in started:
            _release(worker)


@atexit.register
def shutdown() -> None:
    """Stop every worker of this process (idle ones exit on EOF, busy ones are killed)."""
    with _POOL_LOCK:
        _IDLE.clear()
    for worker in list(_ALL):
        worker.stop()


# -- the stage entry points ---------------------------------------------------------


def run_guarded(
    stage: str,
    mgr: Manager,
    payload: Sequence[Any],
    kinds: dict[str, type[Record]],
    *,
    disable: tuple[str, ...],
    only: tuple[str, ...] | None,
    time_limit: float,
    max_bytes: int,
    workers: int = 1,
    batch: str | None = None,
) -> list[DocState]:
    """One stage over one batch under the per-document time limit.

    ``payload`` is a list of :class:`InputFile` for ``load``, else the batch's states
    (rejected ones pass through untouched). The stage runs in one of at most
    ``workers`` worker processes; ``batch`` names the batch so that its next stage
    can reuse the states the worker kept (see :meth:`StageWorker.run`).

    With ``time_limit <= 0`` and one worker the stage runs here, in-process, with
    no limit; so it does when a plugin registered in-process cannot be sent to a
    worker (see :func:`_setup`).
    """
    _WAITED.seconds = 0.0
    setup = _setup() if time_limit > 0 or workers > 1 else None
    if setup is None:
        if stage == "load":
            return stages.load_batch(mgr, payload, max_bytes)
        return stages.run_stage(stage, mgr, list(payload), kinds)
    live = list(payload) if stage == "load" else [s for s in payload if s.alive]
    if not live:
        return list(payload)
    worker = _acquire(disable, only, setup, workers, batch)
    try:
        done = worker.run(stage, live, time_limit, max_bytes, batch)
    except BaseException:
        _discard(worker)
        raise
    _release(worker)
    if stage == "load":
        return done
    it = iter(done)
    return [next(it) if s.alive else s for s in payload]

