"""The stages as the engine runs them (:mod:`docmill.engine.stages`, :mod:`.workers.pool`).

Every stage maps DocStates to DocStates, load included: a state is made from
its input, and load is run like any other stage. A ``firstresult`` hook (load)
stops at the first implementation that returns something; other hooks call
every implementation. The worker pool is an object: closing it leaves no process.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from docmill import Document, Edit, hookimpl
from docmill.engine import STAGES, DocState, run_stage
from docmill.engine.workers import PoolClosed, PoolConfig, WorkerPool, WorkerSetup
from docmill.plugins import Manager, build_manager
from docmill.sources import InputFile, Source


class Declines:
    """A loader that leaves every input to the next one."""

    def __init__(self) -> None:
        self.asked = 0

    @hookimpl
    def load(self, source: Source) -> None:
        self.asked += 1


class Takes(Declines):
    @hookimpl
    def load(self, source: Source) -> Document:  # type: ignore[override]
        self.asked += 1
        return Document(media_type="text/plain", text=source.data.decode())


class Breaks(Declines):
    @hookimpl
    def load(self, source: Source) -> None:
        self.asked += 1
        raise OSError("the parser gave up")


def _manager(loaders: dict[str, object], *others: str) -> Manager:
    return build_manager(
        only=(*loaders, *others), extra=list(loaders.items()), order={"load": list(loaders)}
    )


def test_load_is_a_stage_over_states_made_from_inputs(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Rain in Leeds.\n")
    mgr = build_manager(only=("load_text", "clean_unicode", "segment_text"))
    state = DocState.of(InputFile("a.txt", tmp_path / "a.txt"))
    assert (state.alive, state.document, state.sha256) == (True, None, "")
    rejected = DocState.of(InputFile("gone.txt", tmp_path / "gone.txt"))
    rejected.fail("load", "someone", "already rejected")
    states = [state, rejected]
    for stage in STAGES:
        assert run_stage(stage, mgr, states, {}) == states  # the same states, in order
    assert state.document is not None and state.document.text == "Rain in Leeds.\n"
    assert state.document.plugin == "load_text" and state.input is None
    assert len(state.sha256) == 64 and state.segments
    assert rejected.reject is not None and rejected.reject.error == "already rejected"


def test_load_stops_at_the_first_loader_that_returns_a_document() -> None:
    first, second, third = Declines(), Takes(), Takes()
    mgr = _manager({"first": first, "second": second, "third": third})
    (state,) = run_stage("load", mgr, [DocState.of(Source.from_bytes("a.txt", b"Hi.\n"))], {})
    assert state.document is not None and state.document.plugin == "second"
    assert (first.asked, second.asked, third.asked) == (1, 1, 0)


def test_a_loader_that_raises_rejects_the_input_with_its_traceback() -> None:
    breaks, takes = Breaks(), Takes()
    mgr = _manager({"breaks": breaks, "takes": takes})
    (state,) = run_stage("load", mgr, [DocState.of(Source.from_bytes("a.txt", b"Hi.\n"))], {})
    assert state.reject is not None
    assert (state.reject.stage, state.reject.plugin) == ("load", "breaks")
    assert state.reject.error == "OSError: the parser gave up"
    assert state.reject.traceback is not None and "in load" in state.reject.traceback
    assert takes.asked == 0  # the input is rejected, not handed on


def test_every_cleaner_runs_whatever_the_first_returns() -> None:
    class Upper:
        @hookimpl
        def clean(self, doc: Document) -> list[Edit]:
            return [Edit(start=0, end=1, replacement="R", reason="upper")]

    class Dot:
        @hookimpl
        def clean(self, doc: Document) -> list[Edit]:
            return [Edit(start=len(doc.text) - 1, end=len(doc.text), replacement=".", reason="dot")]

    mgr = build_manager(
        only=("takes", "upper", "dot"),
        extra=[("takes", Takes()), ("upper", Upper()), ("dot", Dot())],
        order={},
    )
    states = [DocState.of(Source.from_bytes("a.txt", b"rain\n"))]
    for stage in ("load", "clean"):
        run_stage(stage, mgr, states, {})
    assert states[0].clean is not None and states[0].clean.text == "Rain."
    assert sorted(e.plugin for e in states[0].edits) == ["dot", "upper"]


def test_closing_the_pool_leaves_no_worker_process(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Rain in Leeds.\n")
    pool = WorkerPool(PoolConfig(WorkerSetup(only=("load_text",)), size=2, time_limit=30))
    pool.prestart()
    (loaded,) = pool.run("load", [DocState.of(InputFile("a.txt", tmp_path / "a.txt"))])
    assert loaded.document is not None
    pids = [w.process.pid for w in pool.workers if w.process is not None]
    assert len(pids) == 2 and os.getpid() not in pids
    pool.close()
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)  # stopped and reaped
    assert pool.workers == () and pool.closed
    assert not [t for t in threading.enumerate() if t.name.startswith("docmill-spawn")]
    with pytest.raises(PoolClosed):
        pool.run("load", [DocState.of(InputFile("a.txt", tmp_path / "a.txt"))])
