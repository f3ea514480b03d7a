"""The worker pool (:mod:`docmill.engine.worker`): processes, and batches kept between stages.

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

import pytest

from docmill.engine import stages, worker
from docmill.plugins import build_manager
from docmill.sources import discover
from tests.conftest import SEEDS, RunResult, check_offsets

Run = Callable[..., RunResult]

PID_PROBE = """
import os
from pathlib import Path
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


def test_a_batch_stays_in_its_worker_and_survives_the_worker_dying(tmp_path: Path) -> None:
    """No Prefect: the worker API directly, stage after stage, as the flow calls it."""
    only = ("clean_unicode", "load_text", "segment_text")
    mgr = build_manager(only=only)
    kinds = stages.record_kinds(mgr)
    items = discover([_corpus(tmp_path / "in", 3)])
    opts = {"disable": (), "only": only, "time_limit": 30, "batch": "run/0"}
    expected = stages.load_batch(mgr, items, 10**6)
    for stage in ("clean", "segment"):
        expected = stages.run_stage(stage, mgr, expected, kinds)

    loaded = worker.run_guarded("load", mgr, items, kinds, max_bytes=10**6, **opts)
    cleaned = worker.run_guarded("clean", mgr, loaded, kinds, max_bytes=0, **opts)
    (held,) = [w for w in worker._IDLE if w.key[1] == only]
    assert held.held == ["run/0"]  # the worker kept the cleaned batch for its next stage
    killed = held.process.pid
    os.kill(killed, signal.SIGKILL)  # e.g. the OOM killer, between two stages
    held.process.wait()
    segmented = worker.run_guarded("segment", mgr, cleaned, kinds, max_bytes=0, **opts)

    assert [s.reject for s in segmented] == [None, None, None]
    assert [[seg.model_dump() for seg in s.segments] for s in segmented] == [
        [seg.model_dump() for seg in s.segments] for s in expected
    ]
    (fresh,) = [w.process.pid for w in worker._IDLE if w.key[1] == only]
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
    mgr = build_manager(only=only)
    kinds = stages.record_kinds(mgr)
    corpus = _corpus(tmp_path / "in", 2)
    (corpus / "z.txt").write_text("A wildfire forced families in Valencia to leave.\n")
    items = discover([corpus])
    opts = {"disable": (), "only": only, "time_limit": 60, "workers": 2, "batch": "run/7"}
    loaded = worker.run_guarded("load", mgr, items, kinds, max_bytes=10**6, **opts)
    cleaned = worker.run_guarded("clean", mgr, loaded, kinds, max_bytes=0, **opts)
    (a,) = [w for w in worker._IDLE if w.key[1] == only and "run/7" in w.held]

    setup = worker._setup()
    assert setup is not None
    busy = worker._acquire((), only, setup, 2)  # A, taken by some other batch
    assert busy is a
    try:
        segmented = worker.run_guarded("segment", mgr, cleaned, kinds, max_bytes=0, **opts)
    finally:
        worker._release(busy)
    assert [s.alive for s in segmented] == [True, True, False]
    extracted = worker.run_guarded("extract", mgr, segmented, kinds, max_bytes=0, **opts)

    expected = stages.load_batch(mgr, items[:2], 10**6)
    for stage in ("clean", "segment", "extract"):
        expected = stages.run_stage(stage, mgr, expected, kinds)
    got = [[r.model_dump() for r in s.records] for s in extracted[:2]]
    assert got == [[r.model_dump() for r in s.records] for s in expected]
    assert any(r.kind == "entity" for s in extracted[:2] for r in s.records)
