"""The worker pool (:mod:`docmill.engine.workers`): processes, and batches kept between stages.

``--workers N`` runs stage work in N processes, each loading the plugins once; the
output does not depend on N. A batch's states stay in the worker that ran its last
stage, so its next stage does not ship them again, and a worker that dies in
between loses nothing: the parent still has every state and sends it to a new one.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from docmill.engine import STAGES, DocState, Stage, record_kinds, run_stage
from docmill.engine.workers import PoolConfig, WorkerPool, WorkerSetup
from docmill.plugins import build_manager
from docmill.sources import discover
from tests.conftest import SEEDS, RunResult, check_offsets

Run = Callable[..., RunResult]

PID_PROBE = """
import os
from pathlib import Path
from typing import Any
from docmill import hookimpl

LOG = Path(__file__).with_name("pids.txt")

@hookimpl
def extract(doc):
    with LOG.open("a") as fh:
        fh.write(f"{os.getpid()} {doc.id}\\n")
    return []
"""


def _corpus(root: Path, n: int) -> Path:
    root.mkdir()
    for seed in sorted(SEEDS.glob("*.txt"))[:n]:
        shutil.copy(seed, root / seed.name)
    return root


@pytest.mark.flow
def test_two_workers_share_the_batches_and_write_the_same_bytes(
    run_flow: Run, tmp_path: Path, install_plugin: Callable[..., str]
) -> None:
    module = install_plugin("pid_probe", PID_PROBE)
    corpus = _corpus(tmp_path / "in", 4)
    one = run_flow([corpus], tmp_path / "one", batch_size=1)
    log = Path(sys.modules[module].__file__).with_name("pids.txt")  # type: ignore[arg-type]
    log.unlink()
    two = run_flow([corpus], tmp_path / "two", batch_size=1, workers=2, in_flight=3)
    assert two.jsonl_bytes() == one.jsonl_bytes()
    assert two.summary["documents"] == 4
    check_offsets(two)
    pids = {int(line.split()[0]) for line in log.read_text().splitlines()}
    assert len(pids) == 2 and os.getpid() not in pids


def _in_process(only: tuple[str, ...], items: list[Any], last: Stage) -> list[DocState]:
    """The states ``items`` reach after ``last``, every stage run in this process."""
    mgr = build_manager(only=only)
    kinds = record_kinds(mgr)
    states = [DocState.of(item) for item in items]
    for stage in STAGES[: STAGES.index(last) + 1]:
        run_stage(stage, mgr, states, kinds, max_bytes=10**6)
    return states


def test_a_batch_stays_in_its_worker_and_survives_the_worker_dying(tmp_path: Path) -> None:
    """No Prefect: the pool directly, stage after stage, as the flow calls it."""
    only = ("clean_unicode", "load_text", "segment_text")
    items = discover([_corpus(tmp_path / "in", 3)])
    expected = _in_process(only, items, "segment")

    with WorkerPool(PoolConfig(WorkerSetup(only=only), time_limit=30)) as pool:
        states = [DocState.of(item) for item in items]
        loaded = pool.run("load", states, max_bytes=10**6, batch="run/0")
        cleaned = pool.run("clean", loaded, batch="run/0")
        (held,) = pool.workers
        assert held.held == ["run/0"]  # the worker kept the cleaned batch for its next stage
        assert held.process is not None
        killed = held.process.pid
        os.kill(killed, signal.SIGKILL)  # e.g. the OOM killer, between two stages
        held.process.wait()
        segmented = pool.run("segment", cleaned, batch="run/0")

        assert [s.reject for s in segmented] == [None, None, None]
        assert [[seg.model_dump() for seg in s.segments] for s in segmented] == [
            [seg.model_dump() for seg in s.segments] for s in expected
        ]
        (fresh,) = [w.process.pid for w in pool.workers if w.process is not None]
        assert fresh != killed


EXITS_IN_SEGMENT = """
from docmill import hookimpl

@hookimpl
def segment(doc):
    if "wildfire" in doc.text:
        raise SystemExit(3)  # escapes the stage: the worker reports an error for this document
    return []
"""


def test_a_batch_never_resumes_from_a_copy_another_worker_has_outdated(
    tmp_path: Path, install_plugin: Callable[..., str]
) -> None:
    """Worker A cleans a batch; B segments it (A is busy) and one document fails there,
    so B keeps no copy; extract must then not run on A's copy from before segment."""
    install_plugin("exits_in_segment", EXITS_IN_SEGMENT)
    only = ("clean_unicode", "exits_in_segment", "extract_entities", "load_text", "segment_text")
    corpus = _corpus(tmp_path / "in", 2)
    (corpus / "z.txt").write_text("A wildfire forced families in Valencia to leave.\n")
    items = discover([corpus])
    with WorkerPool(PoolConfig(WorkerSetup(only=only), size=2, time_limit=60)) as pool:
        states = [DocState.of(item) for item in items]
        loaded = pool.run("load", states, max_bytes=10**6, batch="run/7")
        cleaned = pool.run("clean", loaded, batch="run/7")
        (a,) = [w for w in pool.workers if "run/7" in w.held]

        busy = pool._acquire(None)  # A, taken by some other batch
        assert busy is a
        try:
            segmented = pool.run("segment", cleaned, batch="run/7")
        finally:
            pool._release(busy)
        assert [s.alive for s in segmented] == [True, True, False]
        assert len(pool.workers) == 2
        extracted = pool.run("extract", segmented, batch="run/7")

    expected = _in_process(only, items[:2], "extract")
    got = [[r.model_dump() for r in s.records] for s in extracted[:2]]
    assert got == [[r.model_dump() for r in s.records] for s in expected]
    assert any(r.kind == "entity" for s in extracted[:2] for r in s.records)


def test_a_copy_a_stage_behind_is_never_resumed(tmp_path: Path) -> None:
    """On Dask a batch's stages run in different processes, each with its own pool:
    a worker that loaded the batch must not segment its post-load copy after
    another process cleaned it."""
    only = ("clean_unicode", "load_text", "segment_text")
    items = discover([_corpus(tmp_path / "in", 2)])
    config = PoolConfig(WorkerSetup(only=only), time_limit=30)
    with WorkerPool(config) as here, WorkerPool(config) as there:
        loaded = here.run("load", [DocState.of(item) for item in items], batch="run/3")
        (worker,) = here.workers
        assert worker.held == ["run/3"]
        cleaned = there.run("clean", loaded, batch="run/3")
        segmented = here.run("segment", cleaned, batch="run/3")
    expected = _in_process(only, items, "segment")
    assert [s.reject for s in segmented] == [None, None]
    assert [[r.model_dump() for r in s.records] for s in segmented] == [
        [r.model_dump() for r in s.records] for s in expected
    ]
