"""The local Prefect server docmill starts for serve and Dask (orchestration.server)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from docmill.orchestration.server import healthy

pytestmark = [pytest.mark.slow]

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
