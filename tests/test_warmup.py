"""The run's first batch starts before Prefect (:mod:`docmill.orchestration.warmup`).

``docmill run`` starts its plugin workers and sends the first batch through the
stages while it imports Prefect; the flow's first task takes that result. A
plugin still sees each document once, the output is the one a run without the
early start writes, and a first batch that changed in between is run again.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from docmill.engine import PluginError
from docmill.engine.workers import spare
from docmill.orchestration.launch import begin, end_early, execute, plan_run
from docmill.runs import cache
from docmill.settings import Settings
from tests.conftest import RunResult, check_offsets, seed_folder

Run = Callable[..., RunResult]

CALL_LOG = """
import os
from pathlib import Path
from docmill import hookimpl

LOG = Path(__file__).with_name("calls.txt")

@hookimpl
def extract(doc):
    with LOG.open("a") as fh:
        fh.write(f"{os.getpid()} {doc.document.source}\\n")
    if "RAISE" in doc.text:
        raise RuntimeError("the probe refuses this document")
    return []
"""


def _calls(module: str) -> list[tuple[int, str]]:
    log = Path(sys.modules[module].__file__).with_name("calls.txt")  # type: ignore[arg-type]
    if not log.exists():
        return []
    lines = log.read_text().splitlines()
    log.unlink()
    return [(int(pid), source) for pid, source in (line.split(" ", 1) for line in lines)]


@pytest.mark.flow
def test_the_first_batch_runs_once_early_and_writes_what_a_plain_run_writes(
    run_flow: Run, tmp_path: Path, install_plugin: Callable[..., str]
) -> None:
    module = install_plugin("call_log", CALL_LOG)
    corpus = seed_folder(tmp_path / "in", 3)
    plain = run_flow([corpus], tmp_path / "plain", batch_size=2)  # no early start
    _calls(module)

    plan = plan_run([str(corpus)], Settings(batch_size=2), out=tmp_path / "early")
    summary = execute(plan)

    early = RunResult(summary)
    assert early.jsonl_bytes() == plain.jsonl_bytes()
    check_offsets(early)
    calls = _calls(module)
    # each document once, in a worker process: the first batch's result was taken, not redone
    assert sorted(source for _, source in calls) == sorted(f"in/{p.name}" for p in corpus.iterdir())
    assert os.getpid() not in {pid for pid, _ in calls}
    assert all(summary["timings"][stage] > 0 for stage in ("load", "extract"))
    # the run's wall time covers the work done before its flow started
    assert summary["seconds"] >= sum(summary["timings"].values())


@pytest.mark.flow
def test_a_first_batch_that_changed_after_the_early_start_is_run_again(
    run_flow: Run, tmp_path: Path, install_plugin: Callable[..., str]
) -> None:
    module = install_plugin("call_log", CALL_LOG)
    corpus = seed_folder(tmp_path / "in", 2)
    plan = plan_run([str(corpus)], Settings(batch_size=2), out=tmp_path / "early")
    begin(plan)  # what `docmill run` does before it imports Prefect
    (corpus / "0-added-later.txt").write_text(
        "A note added while the run was starting.\n", encoding="utf-8"
    )
    summary = execute(plan)

    assert summary["documents"] == 3
    plain = run_flow([corpus], tmp_path / "plain", batch_size=2, full=True)
    assert RunResult(summary).jsonl_bytes() == plain.jsonl_bytes()
    _calls(module)


@pytest.mark.flow
def test_fail_fast_raises_the_first_batchs_plugin_error_and_publishes_nothing(
    tmp_path: Path, install_plugin: Callable[..., str], docmill_prefect: None
) -> None:
    install_plugin("call_log", CALL_LOG)
    corpus = seed_folder(tmp_path / "in", 1)
    (corpus / "refused.txt").write_text("RAISE: the probe refuses this.\n", encoding="utf-8")
    plan = plan_run([str(corpus)], Settings(), out=tmp_path / "out", fail_fast=True)
    try:
        with pytest.raises(PluginError, match="the probe refuses this document"):
            execute(plan)
    finally:
        end_early()
    assert not any((tmp_path / "out").glob("2*")), "a failed run left a run folder"


@pytest.mark.flow
def test_a_rerun_plans_its_reuse_once_at_its_start_and_ends_the_unused_worker(
    run_flow: Run, tmp_path: Path, docmill_prefect: None
) -> None:
    """A rerun that reuses every document hashes its inputs once, when it starts (the
    early start's plan is the flow's), starts no plugin worker for it, and still
    reports what the plan found (a damaged earlier run) once."""
    corpus = seed_folder(tmp_path / "in", 2)
    out = tmp_path / "out"
    first = run_flow([corpus], out)
    damaged = out / "2000-01-01T000000Z-damaged"  # an older run whose manifest is cut off
    shutil.copytree(first.folder, damaged)
    manifest = damaged / "manifest.json"
    manifest.write_bytes(manifest.read_bytes()[:100])

    plan = plan_run([str(corpus)], Settings(), out=out)
    spare.prespawn()  # as `docmill run` does before it plans
    begin(plan)
    assert spare.adopt() is None, "a run with nothing to process kept its spare worker"
    # edited after the run started: the run's view of its inputs is the one it started with
    edited = sorted(corpus.iterdir())[0]
    edited.write_text(edited.read_text(encoding="utf-8") + "\nA late line.\n", encoding="utf-8")
    with pytest.warns(cache.ReuseWarning) as caught:
        summary = execute(plan)
    said = [str(w.message) for w in caught if w.category is cache.ReuseWarning]
    assert len(said) == 1 and damaged.name in said[0]
    assert summary["cache"]["reused"] == 2
    assert RunResult(summary).jsonl_bytes() == first.jsonl_bytes()
