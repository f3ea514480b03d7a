"""The background Prefect server: started by the first run, reused by the next ones.

Prefect's temporary API costs every run ~12 s before it reads a document (its
own server process, database and migrations). So when ``PREFECT_API_URL`` is
unset (and the ``background_server`` setting is on), a run uses a local
``prefect server start`` that docmill keeps in the background, one per
``PREFECT_HOME``:

- found through a state file, ``docmill-server.json`` in ``PREFECT_HOME`` (its
  keeper's pid, its port and URLs), and used only when ``/api/health`` answers;
- started under a file lock (``docmill-server.lock``), so two runs that start at
  once start one server: the second waits for the first's and uses it;
- supervised by a small keeper process (:mod:`docmill.orchestration.keeper`) in
  a session of its own, so the run that started it can end, or be killed,
  without stopping it; the keeper stops the server after ``idle_timeout``
  seconds in which no run used it;
- every run holds a shared lock on ``docmill-server.users`` while it uses the
  server, and touches it; the keeper stops only when it can take that lock
  exclusively (no run is using the server) and the file is older than the
  timeout.

``docmill server status`` and ``docmill server stop`` read and stop it
(:func:`status`, :func:`stop`).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO

from docmill.orchestration.server import (
    START_TIMEOUT,
    STOP_GRACE,
    ServerError,
    healthy,
    spawn_detached,
)

STATE = "docmill-server.json"
LOCK = "docmill-server.lock"
USERS = "docmill-server.users"
LOG = "server.log"
#: Seconds a running server may take to answer a run before it is replaced.
SLOW_ANSWER = 30.0
#: The keeper's module, run as ``python -m``; also how :func:`stop` recognises its process.
KEEPER = "docmill.orchestration.keeper"


@dataclass(frozen=True)
class ServerState:
    """What ``docmill-server.json`` holds about a running background server."""

    pid: int  # the keeper's
    port: int
    api_url: str
    ui_url: str
    home: str
    started: float  # time.time()
    idle_timeout: float

    def write(self, home: Path) -> None:
        tmp = home / f".{STATE}.{os.getpid()}"
        tmp.write_text(json.dumps(asdict(self), indent=2))
        tmp.replace(home / STATE)


def read_state(home: Path) -> ServerState | None:
    """The state file of ``home``, or None when there is none (or it is unreadable)."""
    try:
        data = json.loads((home / STATE).read_text())
        return ServerState(**data)
    except (OSError, ValueError, TypeError):
        return None


def remove_state(home: Path, pid: int) -> None:
    """Remove the state file if it is the keeper ``pid``'s (not a newer server's)."""
    state = read_state(home)
    if state is not None and state.pid == pid:
        with contextlib.suppress(OSError):
            (home / STATE).unlink()


def _keeper_alive(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True  # no /proc (not Linux): the pid exists
    return KEEPER.encode() in cmdline


def running(home: Path) -> ServerState | None:
    """The background server of ``home`` when its keeper lives and its API answers."""
    state = read_state(home)
    if state is None or not _keeper_alive(state.pid) or not healthy(state.api_url):
        return None
    return state


@contextlib.contextmanager
def _locked(path: Path, mode: int) -> Iterator[IO[bytes]]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("ab") as fh:
        fcntl.flock(fh, mode)
        try:
            yield fh
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def touch_users(home: Path) -> None:
    """Mark the server as used now (the keeper's idle clock starts again)."""
    with contextlib.suppress(OSError):
        os.utime(home / USERS)


class Starting:
    """A background server being found or started: :meth:`wait` returns its state.

    Made by :func:`begin`, which returns at once (after spawning a keeper when no
    server answers), so a run can import Prefect and start its plugin workers
    while the server starts. The start lock is held until :meth:`wait` returns.
    """

    def __init__(self, home: Path, port: int, idle_timeout: float) -> None:
        self.home = home
        self.state: ServerState | None = None
        self.keeper: subprocess.Popen[bytes] | None = None
        self._lock: contextlib.ExitStack | None = contextlib.ExitStack()
        self._lock.enter_context(_locked(home / LOCK, fcntl.LOCK_EX))
        self._args = (port, idle_timeout)
        #: A server whose keeper lives but whose API did not answer at once (a busy machine).
        self._slow: ServerState | None = None
        try:
            found = read_state(home)
            if found is not None and _keeper_alive(found.pid):
                if healthy(found.api_url):
                    self.state = found
                else:
                    self._slow = found
            else:
                self.keeper = _spawn_keeper(home, port, idle_timeout)
        except BaseException:
            self.release()
            raise

    @property
    def started(self) -> bool:
        """True when this run started the server (the first run pays its start)."""
        return self.keeper is not None

    def wait(self, timeout: float = START_TIMEOUT) -> ServerState:
        """The running server's state; raises :class:`ServerError` if it did not start."""
        try:
            if self._slow is not None:
                self.state = self._wait_for_slow(self._slow)
            if self.state is None:
                self.state = self._wait_for_keeper(timeout)
            return self.state
        finally:
            self.release()

    def _wait_for_slow(self, found: ServerState) -> ServerState | None:
        """``found`` once it answers, within :data:`SLOW_ANSWER` seconds; else it is stopped
        (a server that does not answer is of no use) and a new one started."""
        self._slow = None
        deadline = time.monotonic() + SLOW_ANSWER
        while time.monotonic() < deadline and _keeper_alive(found.pid):
            if healthy(found.api_url, timeout=5.0):
                return found
            time.sleep(0.5)
        stop(self.home)
        self.keeper = _spawn_keeper(self.home, *self._args)
        return None

    def _wait_for_keeper(self, timeout: float) -> ServerState:
        keeper = self.keeper
        assert keeper is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = read_state(self.home)
            if state is not None and state.pid == keeper.pid and healthy(state.api_url):
                return state
            if keeper.poll() is not None:
                raise ServerError(
                    f"the background Prefect server exited with code {keeper.returncode} "
                    f"before answering (see {self.home / LOG})"
                )
            time.sleep(0.1)
        _signal(keeper.pid, signal.SIGTERM)
        raise ServerError(
            f"the background Prefect server did not answer within {timeout:.0f}s "
            f"(see {self.home / LOG})"
        )

    def release(self) -> None:
        """Release the start lock (:meth:`wait` does)."""
        lock, self._lock = self._lock, None
        if lock is not None:
            lock.close()


def begin(home: Path, port: int, idle_timeout: float) -> Starting:
    """Find the background server of ``home``, or start one (see :class:`Starting`)."""
    return Starting(home.resolve(), port, idle_timeout)


def _spawn_keeper(home: Path, port: int, idle_timeout: float) -> subprocess.Popen[bytes]:
    """Start the keeper in a session of its own (it outlives this process), output to the log."""
    home.mkdir(parents=True, exist_ok=True)
    (home / USERS).touch()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API_")}
    env["PREFECT_HOME"] = str(home)
    cmd = [sys.executable, "-m", KEEPER, str(home), str(port), f"{idle_timeout:g}"]
    return spawn_detached(cmd, env, home / LOG)


@contextlib.contextmanager
def in_use(home: Path) -> Iterator[None]:
    """Hold the server of ``home`` in use for the block (its keeper does not idle-stop it).

    Take it before :func:`begin`: a keeper that is stopping holds the lock
    exclusively, so a run waits for it to finish and then starts a new server.
    """
    home = home.resolve()
    home.mkdir(parents=True, exist_ok=True)
    with _locked(home / USERS, fcntl.LOCK_SH):
        touch_users(home)
        try:
            yield
        finally:
            touch_users(home)


def idle_and_unused(home: Path, idle_timeout: float) -> contextlib.AbstractContextManager[bool]:
    """For the keeper: a block holding the start and users locks, entered with True when
    no run uses the server and none did for ``idle_timeout`` seconds (else False, at once)."""
    return _IdleCheck(home, idle_timeout)


class _IdleCheck:
    def __init__(self, home: Path, idle_timeout: float) -> None:
        self.home = home
        self.idle_timeout = idle_timeout
        self.stack = contextlib.ExitStack()

    def __enter__(self) -> bool:
        self.stack.enter_context(_locked(self.home / LOCK, fcntl.LOCK_EX))
        users = self.stack.enter_context((self.home / USERS).open("ab"))
        try:
            fcntl.flock(users, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False  # a run holds it
        self.stack.callback(fcntl.flock, users, fcntl.LOCK_UN)
        try:
            last = (self.home / USERS).stat().st_mtime
        except OSError:
            last = 0.0
        return time.time() - last >= self.idle_timeout

    def __exit__(self, *exc: object) -> None:
        self.stack.close()


def status(home: Path) -> tuple[ServerState | None, float | None]:
    """The running server of ``home`` (or None) and the seconds since a run last used it."""
    home = home.resolve()
    state = running(home)
    try:
        idle = time.time() - (home / USERS).stat().st_mtime
    except OSError:
        idle = None
    return state, idle


def stop(home: Path, timeout: float = STOP_GRACE + 15) -> ServerState | None:
    """Stop the background server of ``home`` (SIGTERM to its keeper, which stops the
    server's process group); returns its state, or None when none was running."""
    home = home.resolve()
    state = read_state(home)
    if state is None or not _keeper_alive(state.pid):
        if state is not None:
            remove_state(home, state.pid)
        return None
    _signal(state.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _keeper_alive(state.pid):
        time.sleep(0.1)
    if _keeper_alive(state.pid):
        _signal(state.pid, signal.SIGKILL)  # its server dies with it (PR_SET_PDEATHSIG)
    remove_state(home, state.pid)
    return state


def _signal(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)
