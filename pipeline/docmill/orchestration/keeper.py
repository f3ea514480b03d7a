"""The keeper of the background Prefect server (``python -m docmill.orchestration.keeper``).

Arguments: HOME PORT IDLE. Started by :mod:`docmill.orchestration.background` in a
session of its own, it starts ``prefect server start`` as its child (:class:`~docmill.orchestration.
server.LocalServer`: the server dies with the keeper, even on ``kill -9``),
writes the state file once ``/api/health`` answers, then checks every few
seconds whether the server has been unused for ``IDLE`` seconds (0: never) and
stops it then; SIGTERM (``docmill server stop``) or SIGINT stop it at once, and
so does the server's own exit. The state file is removed before the server
stops, under the start lock, so no run picks a server that is going away.

It imports no Prefect and none of docmill's heavy modules: a few MB of memory.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType

from docmill.orchestration import background
from docmill.orchestration.server import LocalServer, ServerError

#: Longest pause between two idle checks.
CHECK_EVERY = 5.0


def keep(home: Path, port: int, idle_timeout: float) -> int:
    """Run the server until it is idle, stopped, or exits; returns the exit code."""
    stopping = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    server = LocalServer(home, port, runs_only=True)
    try:
        server.start()
    except ServerError as exc:
        print(f"docmill keeper: {exc}", file=sys.stderr, flush=True)
        return 1
    background.touch_users(server.home)  # idle from now, not from before its start
    background.ServerState(
        pid=os.getpid(),
        port=server.port,
        api_url=server.api_url,
        ui_url=server.ui_url,
        home=str(server.home),
        started=time.time(),
        idle_timeout=idle_timeout,
    ).write(server.home)
    print(f"docmill keeper: serving {server.api_url} (pid {os.getpid()})", flush=True)
    reason = "stopped"
    every = min(CHECK_EVERY, idle_timeout / 4) if idle_timeout > 0 else CHECK_EVERY
    try:
        while not stopping.wait(max(0.2, every)):
            assert server.process is not None
            if server.process.poll() is not None:
                reason = f"the server exited with code {server.process.returncode}"
                break
            if idle_timeout > 0:
                with background.idle_and_unused(server.home, idle_timeout) as idle:
                    if idle:  # under the locks: a run that starts now waits, then starts anew
                        background.remove_state(server.home, os.getpid())
                        server.stop()
                        reason = f"idle for {idle_timeout:g}s"
                        break
    finally:
        background.remove_state(server.home, os.getpid())
        server.stop()
    print(f"docmill keeper: {reason}; server stopped", flush=True)
    return 0


def main(argv: list[str]) -> int:
    home, port, idle = Path(argv[0]), int(argv[1]), float(argv[2])
    return keep(home, port, idle)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
