"""Resource guards: a per-document time limit that stops hung plugins, and the size limit.

The time limit is enforced by running stage work in a worker process
(:mod:`docmill.engine.workers`), so even a plugin stuck in C code (a catastrophic regular
expression) is stopped: its document becomes a reject naming the stage and the
plugin, and the rest of the batch goes on in a fresh worker.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from docmill.engine import DocState, run_stage
from docmill.engine.workers import PoolConfig, WorkerPool, WorkerSetup
from docmill.plugins import build_manager
from docmill.settings import DEFAULT_TIME_LIMIT, Settings
from docmill.sources import InputFile
from tests.conftest import SEEDS, RunResult, check_offsets

Run = Callable[..., RunResult]

HANGING_EXTRACTOR = """
import os, re, time
from pathlib import Path
from docmill import hookimpl

LOG = Path(__file__).with_name("pids.txt")

@hookimpl
def extract(doc):
    with LOG.open("a") as fh:
        fh.write(f"{os.getpid()} {doc.id}\\n")
    if "Harbour Bridge" in doc.text:
        # catastrophic backtracking: hours inside the C regex engine, no Python bytecode
        re.match(r"(a+)+$", "a" * 64 + "b")
    if "wildfire" in doc.text.lower():
        while True:
            time.sleep(0.05)
    return []
"""


def _small_corpus(root: Path) -> Path:
    """Five short documents; b and d trip the hanging plugin, each followed by a normal one."""
    root.mkdir()
    texts = {
        "a.txt": "Alice Moreau met the mayor of Lyon on Monday.",
        "b.txt": "The Harbour Bridge reopened on 3 March 2024 after repairs.",
        "c.txt": "Rain is expected in Leeds on Friday, forecasters said.",
        "d.txt": "A wildfire forced families in Valencia to leave their homes.",
        "e.txt": "The robotics team from Cork won the national final.",
    }
    for name, text in texts.items():
        (root / name).write_text(text + "\n", encoding="utf-8")
    return root


@pytest.mark.flow
def test_hung_plugins_are_stopped_and_the_batch_goes_on(
    run_flow: Run, tmp_path: Path, install_plugin: Callable[..., str]
) -> None:
    module = install_plugin("hangs", HANGING_EXTRACTOR)
    corpus = _small_corpus(tmp_path / "in")
    result = run_flow([corpus], tmp_path / "out", batch_size=5, time_limit=4)
    assert result.summary["documents"] + result.summary["rejects"] == 5
    rejects = {r["source"]: r for r in result.records("reject")}
    assert set(rejects) == {"in/b.txt", "in/d.txt"}
    for reject in rejects.values():
        assert (reject["stage"], reject["plugin"]) == ("extract", "hangs")
        assert "time limit of 4 seconds" in reject["error"]
        assert "extract plugin 'hangs' was still running" in reject["error"]
    docs = result.records("document")
    assert sorted(d["source"] for d in docs) == ["in/a.txt", "in/c.txt", "in/e.txt"]
    # the other documents kept every plugin's records
    assert {e["doc_id"] for e in result.records("entity")} == {d["id"] for d in docs}
    check_offsets(result)
    # plugins ran in worker processes, never in this one; the worker was replaced after
    # each stop and the next document went on in the new one
    import sys

    log = Path(sys.modules[module].__file__).with_name("pids.txt")  # type: ignore[arg-type]
    pids = [int(line.split()[0]) for line in log.read_text().splitlines()]
    assert os.getpid() not in pids
    assert len(pids) == 5 and pids[0] == pids[1] != pids[2] == pids[3] != pids[4]


@pytest.mark.flow
def test_a_worker_crash_costs_one_document(
    run_flow: Run, tmp_path: Path, install_plugin: Callable[..., str]
) -> None:
    install_plugin(
        "segfaults",
        """
        import os, signal
        from docmill import hookimpl

        @hookimpl
        def clean(doc):
            if "robotics" in doc.text.lower():
                os.kill(os.getpid(), signal.SIGSEGV)  # what a crashing C extension does
            if "wildfire" in doc.text.lower():
                raise SystemExit(3)
            return []
        """,
    )
    result = run_flow([_small_corpus(tmp_path / "in")], tmp_path / "out", batch_size=5)
    rejects = {r["source"]: r for r in result.records("reject")}
    robotics = rejects["in/e.txt"]
    assert (robotics["stage"], robotics["plugin"]) == ("clean", "segfaults")
    assert "worker process died (signal 11)" in robotics["error"]
    wildfire = rejects["in/d.txt"]
    assert (wildfire["stage"], wildfire["plugin"]) == ("clean", "segfaults")
    assert "SystemExit" in wildfire["error"]
    assert result.summary["documents"] == 3


@pytest.mark.flow
def test_in_process_and_worker_runs_write_identical_jsonl(run_flow: Run, tmp_path: Path) -> None:
    corpus = tmp_path / "in"
    corpus.mkdir()
    for seed in ("harbour_bridge_reopens.txt", "river_cleanup_volunteers.md"):
        shutil.copy(SEEDS / seed, corpus / seed)
    guarded = run_flow([corpus], tmp_path / "a", batch_size=1)
    direct = run_flow([corpus], tmp_path / "b", batch_size=1, time_limit=0)
    assert guarded.jsonl_bytes() == direct.jsonl_bytes()
    assert guarded.summary["documents"] == 2
    assert guarded.records("entity") and guarded.records("segment")


def test_worker_is_reused_across_batches_and_stops_a_blocking_read(tmp_path: Path) -> None:
    """No Prefect: the pool directly, over plain files and a file that never ends."""
    (tmp_path / "a.txt").write_text("One.\n")
    (tmp_path / "b.txt").write_text("Two.\n")
    os.mkfifo(tmp_path / "pipe.txt")  # opening it for reading blocks until a writer comes
    items = [InputFile(n, tmp_path / n) for n in ("a.txt", "b.txt", "pipe.txt")]
    setup = WorkerSetup(only=("clean_unicode", "load_text"))
    with WorkerPool(PoolConfig(setup, time_limit=30)) as pool:
        first = pool.run("load", [DocState.of(items[0])], max_bytes=1000)
        (pid,) = [w.process.pid for w in pool.workers if w.process is not None]
        second = pool.run("load", [DocState.of(items[1])], max_bytes=1000)
        assert [s.document.text for s in first + second if s.document] == ["One.\n", "Two.\n"]
        assert [w.process.pid for w in pool.workers if w.process is not None] == [pid]
        cleaned = pool.run("clean", first + second)
        assert all(s.alive and s.clean is not None for s in cleaned)
        (piped,) = pool.run("load", [DocState.of(items[2])], max_bytes=1000)
    assert piped.reject is not None and piped.reject.plugin == "docmill"
    assert "is not a regular file" in piped.reject.error


def test_each_exit_in_a_batch_names_its_own_plugin(
    tmp_path: Path, install_plugin: Callable[..., str]
) -> None:
    """A worker goes on to the next document as soon as it has told of an exit.

    Who exited is part of that message: the marker the parent could read instead
    names whatever the worker is doing by the time the message is read.
    """
    install_plugin(
        "exits",
        """
        from docmill import hookimpl

        @hookimpl
        def clean(doc):
            if "exit" in doc.text:
                raise SystemExit(3)
            return []
        """,
    )
    names = [f"{i:02}.txt" for i in range(40)]
    for i, name in enumerate(names):
        (tmp_path / name).write_text("Please exit.\n" if i % 2 else "Stay.\n")
    states = [DocState.of(InputFile(n, tmp_path / n)) for n in names]
    setup = WorkerSetup(only=("load_text", "clean_unicode", "exits"))
    with WorkerPool(PoolConfig(setup, time_limit=30)) as pool:
        loaded = pool.run("load", states, max_bytes=1000)
        cleaned = pool.run("clean", loaded)
    rejects = [s.reject for s in cleaned if s.reject is not None]
    assert len(rejects) == 20
    assert {(r.stage, r.plugin, r.error) for r in rejects} == {("clean", "exits", "SystemExit: 3")}


def test_size_limit_rejects_a_huge_file_unread(tmp_path: Path) -> None:
    big = tmp_path / "huge.txt"
    with big.open("wb") as fh:  # 200 MB, sparse: costs no disk and no time
        fh.truncate(200 * 1024 * 1024)
    mgr = build_manager(only=("load_text",))
    (state,) = run_stage("load", mgr, [DocState.of(InputFile("huge.txt", big))], {})
    assert state.reject is not None
    assert state.reject.stage == "load"
    assert "209,715,200 bytes, over the size limit of 50,000,000 bytes" in state.reject.error
    assert not state.reject.sha256  # never read, so never hashed


def test_time_limit_setting_default_env_and_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().time_limit == DEFAULT_TIME_LIMIT > 0
    monkeypatch.setenv("DOCMILL_TIME_LIMIT", "2.5")
    assert Settings().time_limit == 2.5
    monkeypatch.setenv("DOCMILL_TIME_LIMIT", "-1")
    with pytest.raises(ValueError, match="time_limit"):
        Settings()
