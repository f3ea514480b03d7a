"""Starting a worker process, and one started before its run is planned (a spare).

A worker is a fresh interpreter that imports docmill, then waits for its
:class:`~docmill.engine.workers.protocol.WorkerSetup`. :func:`launch` starts one.
``docmill run`` calls :func:`prespawn` before it reads its settings and plans
the run, so that interpreter's start and imports overlap the command line's own
(~1 s on the critical path of a one-document run); the first
:class:`~docmill.engine.workers.process.StageWorker` started afterwards in this
process :func:`adopt`\\ s it instead of starting one, and :func:`discard` ends a
spare nobody adopted (a run with nothing to process, or one that failed first).
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import IO

from docmill.engine.workers.protocol import MARKER_SIZE

#: Starts a process: ``spawn(argv, fds_to_pass)``.
Spawn = Callable[[list[str], tuple[int, ...]], "subprocess.Popen[bytes]"]


@dataclass
class Launched:
    """A worker process just started: its process, its end of the pipe, its marker file."""

    process: subprocess.Popen[bytes]
    conn: Connection
    marker_file: IO[bytes]
    #: The ``sys.path`` it was started with (where plugins are imported from): a spare
    #: is adopted only while the caller's is the same.
    path: list[str]

    def close(self) -> None:
        """End it: close its pipe (it exits on EOF) and wait for it."""
        with contextlib.suppress(OSError):
            self.conn.close()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        self.marker_file.close()


def _popen(args: list[str], fds: tuple[int, ...]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(args, stdin=subprocess.DEVNULL, pass_fds=fds)


def launch(spawn: Spawn = _popen) -> Launched:
    """Start a worker: a fresh interpreter with this process's ``sys.path``.

    It is a plain subprocess (not ``multiprocessing``), so it never re-imports
    the caller's ``__main__`` and works from any script, REPL or console entry point.
    """
    marker_file = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the worker
    marker_file.write(bytes(MARKER_SIZE))
    marker_file.flush()
    parent, child = socket.socketpair()
    code = (
        f"import sys; sys.path[:] = {sys.path!r}; "
        "from docmill.engine.workers.child import main; main()"
    )
    args = [sys.executable, "-c", code, str(child.fileno()), str(marker_file.fileno())]
    try:
        process = spawn(args, (child.fileno(), marker_file.fileno()))
    except BaseException:
        parent.close()
        marker_file.close()
        raise
    finally:
        child.close()
    return Launched(process, Connection(parent.detach()), marker_file, list(sys.path))


_lock = threading.Lock()
_spare: list[Launched] = []


def prespawn() -> None:
    """Start a spare worker now, if there is none (see the module)."""
    with _lock:
        if not _spare:
            _spare.append(launch())


def adopt() -> Launched | None:
    """The spare worker, still running and started with this process's ``sys.path`` as it
    is now, for a :class:`StageWorker` to use; else None. (Its environment is the one
    at its start: what a worker needs from settings comes in its setup.)"""
    with _lock:
        while _spare:
            spare = _spare.pop()
            if spare.process.poll() is None and spare.path == sys.path:
                return spare
            spare.close()
    return None


def discard() -> None:
    """End the spare worker nobody adopted, at once: it holds nothing yet (it has not
    had its setup), so it is killed rather than waited for while it imports."""
    with _lock:
        while _spare:
            spare = _spare.pop()
            with contextlib.suppress(OSError):
                spare.process.kill()
            spare.close()
