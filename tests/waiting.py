"""Waiting for what a real process does: poll until it is true, fail with what did not happen.

The tests that start real servers, ``docmill serve`` and ``docmill run`` processes
wait for an outcome (a run folder, a row in the server's database, a line in a
log), never for a fixed time: :func:`wait_until` returns as soon as the condition
holds, and fails after ``deadline`` seconds, or as soon as the process being
watched exits, with that process's output in the message.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from typing import Any

#: Upper bound for one wait on a loaded 2-core machine (a server start plus runs).
DEADLINE = 300.0
#: Seconds between two checks: short next to what is awaited (a run takes seconds),
#: long enough that polling a file or a database costs nothing noticeable.
POLL = 0.2


def wait_until(
    condition: Callable[[], object],
    what: str,
    deadline: float = DEADLINE,
    *,
    proc: subprocess.Popen[Any] | None = None,
    output: Callable[[], str] | None = None,
    poll: float = POLL,
) -> None:
    """Return once ``condition()`` is true; fail if ``proc`` exits first or time runs out.

    ``what`` names the awaited outcome in the failure message; ``output`` (a log
    read back) is appended to it, so a failure says what the process printed.
    """
    until = time.monotonic() + deadline
    while not condition():
        if proc is not None and proc.poll() is not None:
            failure = f"exited with {proc.returncode} before {what}"
        elif time.monotonic() >= until:
            failure = f"no {what} in {deadline:.0f}s"
        else:
            time.sleep(poll)
            continue
        raise AssertionError(failure + (f":\n{output()}" if output is not None else ""))
