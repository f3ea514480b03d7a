"""``docmill serve`` for real: its own local Prefect server, a schedule that fires, Ctrl-C.

One served schedule per test module (a server start costs 5-15 s): the command
is started as a user would start it, with no PREFECT_API_URL, in a session of its
own so that Ctrl-C can be sent to its whole process group as a terminal does.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from docmill.engine.stages import record_kinds
from docmill.orchestration.artifacts import ARTIFACT_KEY
from docmill.plugins import build_manager
from docmill.runs.manifest import MANIFEST, read_manifest
from docmill.runs.validate import validate_run
from tests.conftest import SEEDS
from tests.waiting import wait_until

pytestmark = [pytest.mark.flow, pytest.mark.slow]

#: Upper bound for the server start plus two scheduled runs on a loaded 2-core machine.
DEADLINE = 300.0


def _complete_runs(out: Path) -> list[Path]:
    return sorted(p.parent for p in out.glob(f"*/{MANIFEST}") if not p.parent.name.startswith("."))


def test_serve_fires_on_schedule_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEEDS / "central_bank_rates.txt", corpus)
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API_")}
    env.update(
        PREFECT_HOME=str(tmp_path / "client-home"),  # the server gets .docmill/prefect
        PREFECT_RUNNER_POLL_FREQUENCY="1",
        DOCMILL_SERVER_PORT="0",  # any free port: never a user's 4200
        DOCMILL_DISABLE_PLUGINS="extract_entities",  # no model load: the schedule is under test
        DOCMILL_TIME_LIMIT="0",  # plugins in the flow-run process: one process less per run
    )
    docmill = Path(sys.executable).with_name("docmill")
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(
        [str(docmill), "serve", str(corpus), "--interval", "2", "--out", str(out)],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    family: dict[int, psutil.Process] = {}

    def note_family() -> None:
        for child in psutil.Process(proc.pid).children(recursive=True):
            family.setdefault(child.pid, child)  # Process remembers its start time: no pid reuse

    def two_runs_done() -> bool:
        note_family()
        # two run folders, and the server told of both runs' end (a run's folder is
        # complete a moment before its flow run reports COMPLETED)
        return len(_complete_runs(out)) >= 2 and _completed_runs(tmp_path) >= 2

    try:
        wait_until(two_runs_done, "two scheduled runs", DEADLINE, proc=proc, poll=0.5,
                   output=(tmp_path / "serve.log").read_text)
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C in the terminal
        code = proc.wait(timeout=90)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
    output = (tmp_path / "serve.log").read_text()
    assert code == 0, output
    assert "docmill: stopped" in output

    # nothing docmill started outlives it: not the server, not a flow run
    _, alive = psutil.wait_procs(list(family.values()), timeout=15)
    assert [(p.pid, p.cmdline()) for p in alive] == [], output

    # each scheduled run wrote its own complete, valid run folder
    runs = _complete_runs(out)
    assert len(runs) >= 2
    assert not list(out.glob(".partial-*"))
    kinds = record_kinds(build_manager(disable=["extract_entities"]))
    for run in runs:
        assert validate_run(run, kinds)["document"] == 1
    later = read_manifest(runs[1]).cache  # a scheduled rerun reuses the unchanged document
    assert later is not None and later.reused == 1

    # the server's own database: runs of the deployment, their summaries, not paused
    completed = _completed_runs(tmp_path)
    db = sqlite3.connect(tmp_path / ".docmill" / "prefect" / "prefect.db")
    try:
        ((paused,),) = db.execute("select paused from deployment").fetchall()
        artifacts = db.execute(
            "select count(*) from artifact where key = ?", (ARTIFACT_KEY,)
        ).fetchone()[0]
    finally:
        db.close()
    assert not paused
    assert completed >= 2
    assert artifacts >= 2


def _completed_runs(home: Path) -> int:
    """Flow runs of the deployment the server's database records as COMPLETED (0 if none yet)."""
    path = home / ".docmill" / "prefect" / "prefect.db"
    if not path.is_file():
        return 0
    db = sqlite3.connect(path, timeout=5)
    try:
        row = db.execute(
            "select count(*) from flow_run where deployment_id is not null"
            " and state_type = 'COMPLETED'"
        ).fetchone()
    except sqlite3.OperationalError:  # tables not created yet, or busy
        return 0
    finally:
        db.close()
    return int(row[0])


def test_serve_with_an_output_folder_that_cannot_be_created_says_so_and_exits_6(
    tmp_path: Path,
) -> None:
    """Checked before any server starts: one sentence, exit 6, no traceback, no folder."""
    blocker = tmp_path / "a-file"
    blocker.write_text("in the way\n")
    out = blocker / "outputs"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API_")}
    env["PREFECT_HOME"] = str(tmp_path / "home")
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("docmill")), "serve", str(SEEDS), "--interval", "60",
         "--out", str(out)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 6, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot be created" in lines[0] and str(out) in lines[0], lines
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / ".docmill").exists()  # no server was started
