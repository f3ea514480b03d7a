"""A worker process started before the run is planned (:mod:`docmill.engine.workers.spare`).

``docmill run`` starts one before it reads its settings; the run's pool adopts it
instead of starting its own, a spare nobody adopts ends quietly, and a spare
started with another ``sys.path`` (where plugins come from) is never used.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from docmill.engine import DocState
from docmill.engine.workers import PoolConfig, WorkerPool, WorkerSetup, spare
from docmill.sources import discover
from tests.conftest import seed_folder

ONLY = ("clean_unicode", "load_text", "segment_text")


@pytest.fixture(autouse=True)
def _no_spare_left() -> Iterator[None]:
    spare.discard()
    yield
    spare.discard()


def _loaded(pool: WorkerPool, tmp_path: Path) -> list[DocState]:
    states = [DocState.of(item) for item in discover([seed_folder(tmp_path / "in", 1)])]
    return pool.run("load", states, max_bytes=10**6)


def _pids(pool: WorkerPool) -> list[int]:
    return [w.process.pid for w in pool.workers if w.process is not None]


def test_the_runs_pool_adopts_the_spare_worker(tmp_path: Path) -> None:
    spare.prespawn()
    spare.prespawn()  # still one
    (started,) = [s.process.pid for s in spare._spare]
    with WorkerPool(PoolConfig(WorkerSetup(only=ONLY), time_limit=30)) as pool:
        (state,) = _loaded(pool, tmp_path)
        assert state.document is not None and state.reject is None
        assert _pids(pool) == [started]  # the spare did the work; no second process
    assert not spare._spare


def test_a_spare_started_with_another_sys_path_is_ended_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spare.prespawn()
    (old,) = spare._spare
    monkeypatch.syspath_prepend(str(tmp_path / "site"))  # e.g. a plugin installed since
    with WorkerPool(PoolConfig(WorkerSetup(only=ONLY), time_limit=30)) as pool:
        (state,) = _loaded(pool, tmp_path)
        assert state.document is not None
        assert old.process.pid not in _pids(pool)
    assert old.process.returncode is not None  # ended, not left running


def test_a_spare_nobody_adopts_ends_quietly(capfd: pytest.CaptureFixture[str]) -> None:
    spare.prespawn()
    (launched,) = spare._spare
    spare.discard()  # at once, not after its imports: it has nothing to finish
    assert launched.process.returncode is not None
    assert capfd.readouterr().err == ""


def test_a_run_refused_before_any_work_leaves_no_worker_and_says_one_line(
    tmp_path: Path,
) -> None:
    """``docmill run`` starts its spare first; a usage error ends it without a word."""
    done = subprocess.run(
        [sys.executable, "-m", "docmill.cli", "run", str(tmp_path / "missing")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"Error: no such file or folder: {tmp_path / 'missing'}"
    ]
