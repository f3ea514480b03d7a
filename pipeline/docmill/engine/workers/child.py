"""The worker process: loads the plugins once, then runs stage after stage.

Started by :class:`docmill.engine.workers.process.StageWorker` as
``python -c "... main()"`` with its socket and marker file descriptors and
nothing else; everything it needs from its parent's memory comes as the
:class:`~docmill.engine.workers.protocol.WorkerSetup` first message.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import gc
import importlib
import os
import pickle
import signal
import sys
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from docmill.engine.failures import FRAMEWORK, PluginError, describe, plugin_traceback
from docmill.engine.kinds import record_kinds
from docmill.engine.stage import LAST_STAGE, STAGES, Stage
from docmill.engine.stages import run_stage
from docmill.engine.state import DocState
from docmill.engine.workers.protocol import (
    Crashed,
    Marker,
    Patched,
    PluginFailed,
    Ready,
    Resumed,
    RunStage,
    WorkerSetup,
    patch,
    peak_memory,
    snapshot,
    split,
)
from docmill.plugins import Manager, PluginLoadWarning, build_manager
from docmill.settings import override_plugin_settings
from docmill.sinks import encode

#: Plugin modules whose ``export_sink`` returns an encoded sink
#: (:class:`docmill.sinks.EncodedSink`): when these are a run's only exporters, the
#: worker sends each document's output already encoded.
ENCODED_EXPORTERS = frozenset({"docmill_builtins.export_jsonl"})

#: Batches whose states a worker keeps between stages (the oldest is dropped first).
HELD_BATCHES = 8


@dataclass
class TracedManager(Manager):
    """A manager whose hook calls write which plugin is running to the :class:`Marker`."""

    marker: Marker | None = None
    stage: str = "load"
    #: Traced calls under way: a hook called inside one (a plugin's settings are
    #: validated through the ``settings_model`` hooks on its first call) keeps the mark.
    depth: int = 0

    def mark(self, plugin: str) -> None:
        if self.marker is not None:
            self.marker.mark(self.stage, plugin)

    def ordered(self, hook_name: str) -> list[tuple[str, Callable[..., Any]]]:
        return [(name, self._traced(name, fn)) for name, fn in super().ordered(hook_name)]

    def _traced(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def call(**kwargs: Any) -> Any:
            outer = self.depth == 0
            if outer:
                self.mark(name)
            self.depth += 1
            try:
                result = fn(**kwargs)
                if isinstance(result, Iterator):  # a generator runs the plugin's code lazily
                    result = list(result)
            except Exception:
                if outer:
                    self.mark(FRAMEWORK)
                raise
            finally:
                self.depth -= 1
            # SystemExit and the like leave the mark: the worker reports who raised it
            if outer:
                self.mark(FRAMEWORK)
            return result

        return call


def _die_with_parent() -> None:
    """Ask Linux to kill this process when its parent dies (kill -9 included).

    Linux sends the signal when the *thread* that started the worker ends, so
    workers are started from one long-lived thread of their pool, never from a
    task thread that a finished run shuts down.
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def main() -> None:
    """Entry point of a worker process: ``argv`` holds the socket and marker descriptors."""
    conn_fd, marker_fd = int(sys.argv[1]), int(sys.argv[2])
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    conn = Connection(conn_fd)
    try:
        setup: WorkerSetup = conn.recv()
    except (EOFError, OSError):  # a spare worker no run adopted (see spare.py)
        return
    with override_plugin_settings(setup.plugin_settings, isolate=True):
        serve(conn, Marker(marker_fd), setup)
    # The parent waits for this exit at the end of every run: without this, the
    # collector scans every object the model and the plugins made first (~1 s).
    gc.freeze()


def _manager(setup: WorkerSetup, marker: Marker) -> TracedManager:
    extra = [(name, importlib.import_module(module)) for name, module in setup.extra]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PluginLoadWarning)  # the parent reported them
        base = build_manager(disable=setup.disable, only=setup.only, extra=extra, order=setup.order)
    fields = {f.name: getattr(base, f.name) for f in dataclasses.fields(base) if f.init}
    return TracedManager(**fields, marker=marker)


def encodes_output(mgr: Manager) -> bool:
    """Whether every exporter of ``mgr`` takes encoded lines (and there is one)."""
    modules = {
        getattr(mgr.pm.get_plugin(name), "__name__", None) for name, _ in mgr.ordered("export_sink")
    }
    return bool(modules) and modules <= ENCODED_EXPORTERS


def _picklable(exc: BaseException) -> BaseException | None:
    try:
        return pickle.loads(pickle.dumps(exc))  # type: ignore[no-any-return]
    except Exception:
        return None


def _resume(
    held: dict[str, tuple[Stage, list[DocState]]], batch: str | None, stage: Stage
) -> list[DocState] | None:
    """The states kept for ``batch`` if the stage before ``stage`` left them, else None.

    A copy a stage behind is out of date: the batch's previous stage ran in a
    process this worker's pool does not know of (tasks on Dask run a batch's
    stages in different processes, each with its own pool).
    """
    entry = held.pop(batch, None) if batch is not None else None
    if entry is None or STAGES.index(stage) != STAGES.index(entry[0]) + 1:
        return None
    return entry[1]


def settle() -> None:
    """Once the first batch is through every stage (models loaded, plugins' lazy
    imports done) and another message comes, move what is alive now out of the
    cyclic collector's reach (a one-batch run ends without paying the collection).

    The model, the plugins' modules and their tables live as long as the worker;
    without this every full collection scans them again (~0.5 s per 200 documents,
    about 2% of NER). Garbage is collected first, so nothing is kept that would
    have been freed; objects freed by reference counting still are.

    Then the youngest generation is collected every :data:`YOUNG_THRESHOLD`
    allocations instead of 700: a document's records are thousands of short-lived
    objects freed by reference counting, and at 700 they were promoted into full
    collections (collector CPU 0.33-0.41 -> 0.19 s per 221 documents, no full
    collection left; cyclic garbage waits for at most that many allocations).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *gc.get_threshold()[1:])


#: Allocations between two collections of the youngest generation, once settled.
YOUNG_THRESHOLD = 10_000


def serve(conn: Connection, marker: Marker, setup: WorkerSetup) -> None:
    """The worker's loop: one stage of one batch per message, one answer per document."""
    mgr = _manager(setup, marker)
    kinds = record_kinds(mgr)
    encoding = encodes_output(mgr)
    #: batch token -> (the stage that left them, live states), oldest first
    held: dict[str, tuple[Stage, list[DocState]]] = {}
    conn.send(Ready(os.getpid()))
    settled: bool | None = False  # None: the first batch is through, not settled yet
    while True:
        try:
            message: RunStage = conn.recv()
        except (EOFError, OSError):
            return
        if settled is None:
            settled = True
            settle()
        for token in message.drop:  # batches whose next stage ran in another worker
            held.pop(token, None)
        batch, states = message.batch, message.states
        if states is None:  # the parent says we hold this batch's states
            states = _resume(held, batch, message.stage)
            conn.send(Resumed(batch, states is not None))
            if states is None:
                continue
        if batch is not None:
            held.pop(batch, None)
        mgr.stage = message.stage
        kept: list[DocState] = []
        for state in states:
            mgr.mark(FRAMEWORK)
            before = snapshot(state)
            try:
                run_stage(
                    message.stage,
                    mgr,
                    [state],
                    kinds,
                    max_bytes=message.max_bytes,
                    fail_fast=message.fail_fast,
                    limits=message.limits,
                )
            except PluginError as exc:
                cause = exc.__cause__
                conn.send(
                    PluginFailed(
                        exc.plugin,
                        exc.stage,
                        exc.source,
                        exc.problem,
                        exc.traceback,
                        None if cause is None else _picklable(cause),
                    )
                )
                break  # the parent stops the run: the rest of the batch is not wanted
            except BaseException as exc:  # a plugin may even raise SystemExit
                where, plugin = marker.read()
                conn.send(
                    Crashed(describe(exc), plugin_traceback(exc), where, plugin, peak_memory())
                )
                continue  # the parent replaces it with a reject: not live any more
            light, packed = split(patch(before, state))
            output = None
            if encoding and message.stage == LAST_STAGE and state.alive:
                output = encode(state.output())
            conn.send(Patched(light, peak_memory(), packed, output))
            if state.alive:
                kept.append(state)
        else:
            if batch is not None and message.stage != LAST_STAGE:
                held[batch] = (message.stage, kept)
                while len(held) > HELD_BATCHES:
                    del held[next(iter(held))]
        if settled is False and message.stage == LAST_STAGE:
            settled = None  # settle when a second batch comes (a one-batch run never waits)
