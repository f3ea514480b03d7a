"""The local Prefect servers docmill starts: supervised (serve, Dask) and in the background (runs).

Every test here starts real ``prefect server start`` processes, each with its own
``PREFECT_HOME`` in ``tmp_path`` (never the session's test API), and stops what
it started in ``finally``: a server left behind would hold a port and a core.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from docmill.orchestration import background
from docmill.orchestration.server import healthy
from tests.conftest import SEEDS
from tests.waiting import DEADLINE, wait_until

pytestmark = [pytest.mark.slow]

DOCMILL = Path(sys.executable).with_name("docmill")

CHILD = """
import sys, time
from pathlib import Path
from docmill.orchestration.server import LocalServer

server = LocalServer(Path(sys.argv[1]), port=0)
server.start()
print(server.process.pid, server.api_url, flush=True)
time.sleep(600)
"""


def test_the_server_stops_when_docmill_is_killed(tmp_path: Path) -> None:
    """kill -9 of docmill leaves no orphan server holding a port and a core."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API_")}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path / "home")],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()  # after /api/health answered
        pid_text, api_url = line.split()
        server = psutil.Process(int(pid_text))
        family = [server, *server.children(recursive=True)]
        assert healthy(api_url)
        os.kill(child.pid, signal.SIGKILL)  # no chance to stop the server itself
        child.wait(timeout=10)
        _, alive = psutil.wait_procs(family, timeout=60)
        assert [(p.pid, p.cmdline()) for p in alive] == []
        assert not healthy(api_url, timeout=1.0)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    """A PREFECT_HOME of the test's own; its background server is stopped after the test."""
    path = (tmp_path / "prefect-home").resolve()
    path.mkdir()
    try:
        yield path
    finally:
        state = background.read_state(path)
        background.stop(path)
        if state is not None:
            assert not healthy(state.api_url, timeout=1.0)


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "DOCMILL_"))}
    env.update(
        PREFECT_HOME=str(home),
        DOCMILL_SERVER_PORT="0",  # any free port: the UI must follow it
        DOCMILL_DISABLE_PLUGINS="extract_entities",  # no model: the server is under test
        **extra,
    )
    return env


def _docmill(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(DOCMILL), *args], cwd=cwd, env=env, capture_output=True, text=True,
        timeout=DEADLINE,
    )


def _api(url: str, body: dict[str, Any] | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, headers={"content-type": "application/json"},
        method="GET" if body is None else "POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def _corpus(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "article.txt").write_text((SEEDS / "central_bank_rates.txt").read_text())
    (corpus / "empty.txt").write_bytes(b"")  # a reject
    return corpus


LINK = re.compile(r"docmill: Prefect UI: (http://127\.0\.0\.1:(\d+))/runs/flow-run/([0-9a-f-]{36})")


def test_two_first_runs_at_once_start_one_server_that_later_runs_reuse(
    tmp_path: Path, home: Path
) -> None:
    """Two first runs race to start the server: one starts it, both use it; a later run
    finds it through its state; the run's UI link, logs and artifact are in its API;
    ``docmill server status`` and ``stop`` (one server start for all of it)."""
    corpus, env = _corpus(tmp_path), _env(home)
    procs = [
        subprocess.Popen(
            [str(DOCMILL), "run", str(corpus), "--out", f"out-{i}"], cwd=tmp_path, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for i in range(2)
    ]
    outputs = [p.communicate(timeout=DEADLINE)[1] for p in procs]
    assert [p.returncode for p in procs] == [3, 3], outputs  # one reject each
    started = [o for o in outputs if "started a background Prefect server" in o]
    assert len(started) == 1, outputs
    links = {LINK.search(o).group(1) for o in outputs}  # type: ignore[union-attr]
    assert len(links) == 1
    serving = (home / background.LOG).read_text().count("docmill keeper: serving")
    assert serving == 1
    state = background.read_state(home)
    assert state is not None and healthy(state.api_url)
    assert links == {state.ui_url}

    second = _docmill(tmp_path, env, "run", str(corpus), "--out", "out-0", "--full")
    assert second.returncode == 3, second.stderr
    assert "started a background Prefect server" not in second.stderr
    assert background.read_state(home) == state  # the same server, found through its state

    link = LINK.search(second.stderr)
    assert link is not None, second.stderr
    ui_url, port, flow_run_id = link.groups()
    assert ui_url == state.ui_url and int(port) == state.port
    # the UI calls its own server's API, whatever port it got
    assert _api(f"{ui_url}/ui-settings")["api_url"] == state.api_url
    # the run is a Prefect flow run with task runs and its summary artifact
    run = _api(f"{state.api_url}/flow_runs/{flow_run_id}")
    assert run["state_type"] == "COMPLETED"
    of_run = {"flow_runs": {"id": {"any_": [flow_run_id]}}}
    assert _api(f"{state.api_url}/task_runs/count", of_run) == 1  # one task run per batch
    artifacts = _api(f"{state.api_url}/artifacts/filter",
                     {"artifacts": {"flow_run_id": {"any_": [flow_run_id]}}})
    assert artifacts, "no summary artifact"
    # its INFO messages are the flow run's logs in the API, not on the console
    logs = _api(f"{state.api_url}/logs/filter",
                {"logs": {"flow_run_id": {"any_": [flow_run_id]}}, "limit": 200})
    messages = "\n".join(entry["message"] for entry in logs)
    assert "batch 1 of 1 written" in messages
    assert "1 documents, 1 rejects" in messages and "reused 0, processed 2" in messages
    assert "reject " in messages and "empty.txt" in messages
    assert "batch 1 of 1" not in second.stderr and "INFO" not in second.stderr

    status = _docmill(tmp_path, env, "server", "status")
    assert status.returncode == 0 and f"running: UI {state.ui_url}" in status.stdout
    stopped = _docmill(tmp_path, env, "server", "stop")
    assert stopped.returncode == 0 and f"stopped the Prefect server at {state.ui_url}" \
        in stopped.stdout
    assert not healthy(state.api_url, timeout=1.0)
    assert not psutil.pid_exists(state.pid) or psutil.Process(state.pid).status() == "zombie"
    assert "not running" in _docmill(tmp_path, env, "server", "status").stdout


def test_the_background_server_stops_itself_when_idle_but_not_while_used(
    tmp_path: Path, home: Path
) -> None:
    env = _env(home, DOCMILL_SERVER_IDLE_TIMEOUT="1")
    with background.in_use(home):  # a run using it: it stays up past the timeout
        started = _docmill(tmp_path, env, "server", "start")
        assert started.returncode == 0, started.stderr
        state = background.read_state(home)
        assert state is not None and state.idle_timeout == 1
        keeper = psutil.Process(state.pid)
        family = [keeper, *keeper.children(recursive=True)]
        until = time.monotonic() + 3 * state.idle_timeout + 2
        while time.monotonic() < until:
            assert healthy(state.api_url), "stopped while a run used it"
            time.sleep(0.5)
    wait_until(lambda: not keeper.is_running() or keeper.status() == "zombie", "idle stop")
    _, alive = psutil.wait_procs(family, timeout=60)
    assert [p.cmdline() for p in alive if p.status() != "zombie"] == []
    assert background.read_state(home) is None and not healthy(state.api_url, timeout=1.0)
    assert "idle for 1s; server stopped" in (home / background.LOG).read_text()


def test_no_background_server_when_opted_out(tmp_path: Path, home: Path) -> None:
    corpus = _corpus(tmp_path)
    done = _docmill(tmp_path, _env(home, DOCMILL_BACKGROUND_SERVER="false"), "run",
                    str(corpus), "--out", "out")
    assert done.returncode == 3, done.stderr
    assert background.read_state(home) is None and not (home / background.LOG).exists()
    assert "Prefect UI" not in done.stderr and "background" not in done.stderr
