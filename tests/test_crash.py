"""Crash safety and concurrent runs.

``kill -9`` in the middle of a real ``docmill run`` leaves no folder that looks
complete, and the next run writes JSONL byte-identical to a run that was never
interrupted. Two runs at once on one output folder both complete, each in its
own folder, and LATEST names a complete one.
"""

from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from docmill.runs.folder import LATEST, MANIFEST, PARTIAL_PREFIX, latest_run
from tests.conftest import SEEDS, RunResult
from tests.plugin_venv import harness_api_url
from tests.waiting import wait_until

pytestmark = pytest.mark.flow

Run = Callable[..., RunResult]

#: Only when the test asks (in the killed subprocess): a trace of how far the run got,
#: and a halt at the 4th document (2 batches in extract) until the test kills the run,
#: so it is killed in the middle however fast or slow the machine is.
SLOWPOKE = """
import os, time
from pathlib import Path
from docmill import hookimpl

@hookimpl
def extract(doc):
    progress = os.environ.get("DOCMILL_TEST_PROGRESS")
    if progress:
        with open(progress, "a") as fh:
            fh.write(doc.id + "\\n")
        if len(Path(progress).read_text().split()) >= 4:
            time.sleep(90)  # halted here: the test kills the run (within the time limit)
    return []
"""


def _corpus(root: Path, copies: int = 3) -> Path:
    root.mkdir()
    for seed in sorted([*SEEDS.glob("*.txt"), *SEEDS.glob("*.md")])[:4]:
        for i in range(copies):
            text = seed.read_text(encoding="utf-8") + f"\n\nEdition {i + 1}.\n"
            (root / f"{seed.stem}-{i}{seed.suffix}").write_text(text, encoding="utf-8")
    return root


def test_kill_9_mid_run_then_rerun_is_byte_identical(
    run_flow: Run, tmp_path: Path, install_plugin: Callable[..., str]
) -> None:
    module = install_plugin("slowpoke", SLOWPOKE)
    site = Path(str(importlib.import_module(module).__file__)).parent
    corpus = _corpus(tmp_path / "in", copies=2)
    n = len(list(corpus.iterdir()))
    out = tmp_path / "out"
    progress = tmp_path / "progress.txt"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "DOCMILL_"))}
    env.update(
        PREFECT_HOME=str(tmp_path / "prefect"),
        # the session's API, as an operator's server: no temporary server to start
        PREFECT_API_URL=harness_api_url(),
        DOCMILL_BACKGROUND_SERVER="false",  # no server outliving the test
        PYTHONPATH=str(site),
        DOCMILL_TEST_PROGRESS=str(progress),
    )
    docmill = Path(sys.executable).with_name("docmill")
    log_path = tmp_path / "docmill.log"
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [str(docmill), "run", str(corpus), "--out", str(out), "--batch-size", "2"],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its Prefect server and plugin worker die with it
    )
    try:
        # Killed once 2 batches reached extract: some written, most not.
        wait_until(lambda: progress.is_file() and len(progress.read_text().split()) >= 4,
                   "2 batches in extract", 240, proc=proc, output=log_path.read_text)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(30)
        log.close()
    assert proc.returncode == -signal.SIGKILL
    done = len(progress.read_text().split())
    assert 4 <= done < n, "killed in the middle"
    # nothing that looks like a complete run
    left = sorted(p.name for p in out.iterdir())
    assert len(left) == 1 and left[0].startswith(PARTIAL_PREFIX), left
    assert LATEST not in left
    assert not list(out.rglob(MANIFEST))
    assert latest_run(out) is None
    hour_ago = time.time() - 3600
    os.utime(out / left[0], (hour_ago, hour_ago))

    rerun = run_flow([corpus], out, batch_size=4)
    assert not (out / left[0]).exists()  # the killed run's folder is cleared away
    reference = run_flow([corpus], tmp_path / "reference", batch_size=5)
    assert rerun.summary["documents"] == n
    assert rerun.jsonl_bytes() == reference.jsonl_bytes()
    assert latest_run(out) == rerun.folder
    assert (out / LATEST).read_text().strip() == rerun.folder.name


def test_two_runs_at_once_on_one_output_folder(run_flow: Run, tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "in", copies=2)
    out = tmp_path / "out"
    results: dict[int, RunResult] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def one(i: int) -> None:
        try:
            start.wait()
            results[i] = run_flow([corpus], out, batch_size=3, full=True)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert not errors, errors
    a, b = results[0], results[1]
    assert a.folder != b.folder
    assert a.jsonl_bytes() == b.jsonl_bytes()
    assert a.summary["documents"] == b.summary["documents"] == len(list(corpus.iterdir()))
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted([LATEST, a.folder.name, b.folder.name]), "no temporary files left"
    newest = max(a.folder.name, b.folder.name)
    assert (out / LATEST).read_text().strip() == newest
    assert latest_run(out) == out / newest
