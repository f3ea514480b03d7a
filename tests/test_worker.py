"""The worker pool (:mod:`docmill.engine.workers`): processes, and batches kept between stages.

``--workers N`` runs stage work in N processes, each loading the plugins once; the
output does not depend on N. A batch's states stay in the worker that ran its last
stage, so its next stage does not ship them again, and a worker that dies in
between loses nothing: the parent still has every state and sends it to a new one.
"""

from __future__ import annotations

import os
import pickle
import shutil
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from docmill.engine import STAGES, DocState, Stage, record_kinds, run_stage
from docmill.engine.workers import PoolConfig, WorkerPool, WorkerSetup, protocol
from docmill.plugins import build_manager
from docmill.sinks import encode
from docmill.sources import discover
from tests.conftest import RunResult, check_offsets, seed_folder

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


@pytest.mark.flow
def test_two_workers_share_the_batches_and_write_the_same_bytes(
    run_flow: Run, tmp_path: Path, install_plugin: Callable[..., str]
) -> None:
    module = install_plugin("pid_probe", PID_PROBE)
    corpus = seed_folder(tmp_path / "in", 4)
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
    items = discover([seed_folder(tmp_path / "in", 3)])
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
    corpus = seed_folder(tmp_path / "in", 2)
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
    items = discover([seed_folder(tmp_path / "in", 2)])
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


def test_deferred_records_stay_packed_until_read_and_the_last_stage_comes_encoded(
    tmp_path: Path,
) -> None:
    """The flow's pool keeps what a stage changed as the worker's bytes (``deferred``):
    applied in order when the states must be sent again (here: their worker was
    killed before extract) or when a sink wants records; the last stage sends each
    document's JSONL lines, the bytes the built-in sink writes from the records."""
    only = (
        "clean_unicode", "export_jsonl", "extract_entities", "load_text", "segment_text",
        "validate_spans",
    )
    items = discover([seed_folder(tmp_path / "in", 3)])
    expected = _in_process(only, items, "validate")

    with WorkerPool(PoolConfig(WorkerSetup(only=only), time_limit=60)) as pool:
        states = [DocState.of(item) for item in items]
        for stage in STAGES[:3]:
            states = pool.run(stage, states, max_bytes=10**6, batch="run/5", deferred=True)
        assert not any(protocol.settled(s) for s in states)
        assert all(s.segments == [] for s in states)  # packed, not applied
        (held,) = pool.workers
        assert held.process is not None
        os.kill(held.process.pid, signal.SIGKILL)
        held.process.wait()
        for stage in STAGES[3:]:  # the states are settled and sent to a fresh worker
            states = pool.run(stage, states, batch="run/5", deferred=True)

    outputs = [protocol.encoded(s) for s in states]
    assert [protocol.settle(s).output() for s in states] == [s.output() for s in expected]
    assert outputs == [encode(s.output()) for s in expected]
    for out, state in zip(outputs, expected, strict=True):
        assert out is not None
        for kind, lines in out.lines.items():
            assert lines == b"".join(
                r.__pydantic_serializer__.to_json(r) + b"\n"
                for r in state.output()
                if r.kind == kind
            )
    assert any(out is not None and out.counts.get("entity") for out in outputs)


def test_a_parent_copy_patched_stage_by_stage_writes_what_the_worker_has(
    tmp_path: Path,
) -> None:
    """What a worker sends per document and stage (:func:`protocol.patch`, pickled as
    :func:`protocol.split` does) rebuilds the parent's copy: the same output, records
    unpickled equal (set fields included); extract's ``found`` stays in the worker,
    and lists the parent already has go back as one ref per run, not per record."""
    only = ("clean_unicode", "extract_dates", "extract_entities", "load_text", "segment_text")
    items = discover([seed_folder(tmp_path / "in", 3)])
    mgr = build_manager(only=(*only, "validate_spans"))
    kinds = record_kinds(mgr)
    worker = [DocState.of(item) for item in items]
    parent = [DocState.of(item) for item in items]
    for stage in STAGES:
        for here, there in zip(worker, parent, strict=True):
            before = protocol.snapshot(here)
            run_stage(stage, mgr, [here], kinds, max_bytes=10**6)
            light, packed = protocol.split(protocol.patch(before, here))
            heavy = {} if packed is None else pickle.loads(packed)
            assert "found" not in heavy
            if stage == "validate":  # the edits and records the parent has: two refs
                refs = [r for r in heavy["records"] if isinstance(r, protocol.Ref)]
                had = {name: before[name][1] or [] for name in ("edits", "records")}
                assert refs == [protocol.Ref(k, 0, len(v)) for k, v in had.items() if v]
            protocol.apply(there, pickle.loads(pickle.dumps(light)))
            protocol.apply(there, heavy)
    assert any(s.found for s in worker) and not any(s.found for s in parent)
    for here, there in zip(worker, parent, strict=True):
        assert there.output() == here.output()
        assert [r.model_fields_set for r in there.output()] == [
            r.model_fields_set for r in here.output()
        ]
        assert encode(there.output()) == encode(here.output())


COLLECTING_SINK = """
from pathlib import Path
from docmill import hookimpl

class Collect:
    def __init__(self, run):
        self.path = run.folder / "collected.txt"
        self.lines = []

    def write(self, records):
        self.lines += [f"{r.kind} {getattr(r, 'id', '')}" for r in records]

    def close(self):
        self.path.write_text("\\n".join(self.lines))

@hookimpl
def export_sink(run):
    return Collect(run)
"""


@pytest.mark.flow
def test_a_third_party_sink_gets_every_record_and_the_jsonl_is_the_same(
    run_flow: Run, tmp_path: Path, install_plugin: Callable[..., str]
) -> None:
    """With only the built-in JSONL sink the flow writes the workers' encoded lines;
    with another sink installed every sink gets the records, and the JSONL files
    are the same bytes either way."""
    corpus = seed_folder(tmp_path / "in", 3)
    shutil.copy(corpus / sorted(os.listdir(corpus))[0], corpus / "zz-duplicate.txt")
    plain = run_flow([corpus], tmp_path / "plain", batch_size=2, workers=2, in_flight=3)
    install_plugin("collecting_sink", COLLECTING_SINK)
    both = run_flow([corpus], tmp_path / "both", batch_size=2, workers=2, in_flight=3)
    assert both.jsonl_bytes() == plain.jsonl_bytes()
    for key in ("counts", "languages", "documents", "rejects"):
        assert both.summary[key] == plain.summary[key]
    assert plain.summary["rejects"] == 1  # the duplicate, rejected in the flow process
    collected = (Path(both.summary["folder"]) / "collected.txt").read_text().splitlines()
    assert len(collected) == sum(both.summary["counts"].values())
    assert collected[0].startswith("document ")
