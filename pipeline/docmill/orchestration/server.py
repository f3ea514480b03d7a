"""A real Prefect API for the commands that need one: the user's, or a supervised local one.

Prefect's temporary no-server API cannot schedule flows, and every Dask worker
that meets it starts a temporary server of its own (~11 s each). So ``docmill
serve`` and ``docmill run --runner dask`` use the server named by
``PREFECT_API_URL`` when it is set, and otherwise start ``prefect server start
--host 127.0.0.1`` as a child process for as long as they run:

- its own ``PREFECT_HOME`` (``.docmill/prefect`` under the current folder by
  default, setting ``server_home``), so its database outlives the command and
  the Prefect UI shows the history of every run it served;
- started in a session of its own, so a Ctrl-C in the terminal reaches docmill
  only, and docmill stops the server's whole process group (SIGTERM, then
  SIGKILL after a grace period): nothing is left running;
- told by Linux to stop (SIGTERM, ``PR_SET_PDEATHSIG``) when docmill dies
  without stopping it (``kill -9``, a crash), instead of holding its port and
  a core as an orphan;
- ready only when ``/api/health`` answers (``--background`` returns before it
  does); its output goes to ``server.log`` in its ``PREFECT_HOME``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from docmill.orchestration.environment import DEFAULTS

HOST = "127.0.0.1"
#: Seconds to wait for ``/api/health`` (a new database takes ~14 s on 2 cores).
START_TIMEOUT = 180.0
#: Seconds between SIGTERM and SIGKILL when stopping the server.
STOP_GRACE = 20.0


class ServerError(RuntimeError):
    """The local Prefect server did not start (the message says why, with its log)."""


def port_is_free(port: int, host: str = HOST) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = HOST) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def healthy(api_url: str, timeout: float = 2.0) -> bool:
    """True when ``GET {api_url}/health`` answers 200."""
    try:
        with urllib.request.urlopen(f"{api_url.rstrip('/')}/health", timeout=timeout) as resp:
            return bool(resp.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def spawn_detached(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start ``cmd`` in a session of its own, with no stdin, its output appended to ``log``.

    A Ctrl-C in the terminal then reaches docmill only, and the caller stops the
    whole process group when it decides to (the local server, the background keeper).
    """
    with log.open("ab") as out:
        return subprocess.Popen(
            cmd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
        )


#: Runs in the server's process before it becomes ``prefect``: ask Linux for a
#: SIGTERM when the parent dies (kept across exec), then exec the command.
_DIE_WITH_PARENT = (
    "import ctypes, os, signal, sys\n"
    "if sys.platform.startswith('linux'):\n"
    "    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)\n"
    "    if os.getppid() != int(sys.argv[1]):\n"
    "        sys.exit(1)  # the parent died before the request\n"
    "os.execv(sys.argv[2], sys.argv[2:])\n"
)


def _prefect_command() -> list[str]:
    script = Path(sys.executable).with_name("prefect")
    if script.is_file():
        return [str(script)]
    found = shutil.which("prefect")
    return [found] if found else [sys.executable, "-m", "prefect"]


#: Prefect's server services that a server for flow runs started by ``docmill run``
#: does not need (no deployments, schedules, work pools, pauses, concurrency leases or
#: automations on it); the user's own settings win. ``docmill serve`` keeps them all.
RUNS_ONLY = {
    f"PREFECT_SERVER_SERVICES_{name}_ENABLED": "false"
    for name in (
        "SCHEDULER",
        "LATE_RUNS",
        "FOREMAN",
        "CANCELLATION_CLEANUP",
        "PAUSE_EXPIRATIONS",
        "REPOSSESSOR",
        "TRIGGERS",
    )
}


class LocalServer:
    """One ``prefect server start`` child process; a context manager that stops it."""

    def __init__(self, home: Path, port: int = 4200, *, runs_only: bool = False) -> None:
        self.home = home.resolve()
        #: A server for ``docmill run`` alone (the background server): Prefect's
        #: services for deployments, schedules, work pools and automations stay off
        #: (:data:`RUNS_ONLY`), so it idles at about half the CPU.
        self.runs_only = runs_only
        self.port = port if port and port_is_free(port) else free_port()
        self.api_url = f"http://{HOST}:{self.port}/api"
        self.ui_url = f"http://{HOST}:{self.port}"
        self.log_path = self.home / "server.log"
        #: The API URL while this server runs, for short commands to use it (``running_api``).
        self.url_file = self.home / "server.url"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = START_TIMEOUT) -> str:
        """Start the server and wait until it answers; returns its API URL."""
        self.home.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API_")}
        env.update({k: v for k, v in DEFAULTS.items() if k not in os.environ})
        if self.runs_only:
            env.update({k: v for k, v in RUNS_ONLY.items() if k not in os.environ})
        env["PREFECT_HOME"] = str(self.home)
        # the UI calls the API of its own server, whatever port it got (not 4200)
        env["PREFECT_UI_API_URL"] = self.api_url
        env["PREFECT_UI_URL"] = self.ui_url
        prefect = _prefect_command()
        cmd = [sys.executable, "-c", _DIE_WITH_PARENT, str(os.getpid()),
               shutil.which(prefect[0]) or prefect[0], *prefect[1:],
               "server", "start", "--host", HOST, "--port", str(self.port)]
        self.process = spawn_detached(cmd, env, self.log_path)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerError(
                    f"prefect server exited with code {self.process.returncode} "
                    f"before answering (see {self.log_path})"
                )
            if healthy(self.api_url):
                self.url_file.write_text(self.api_url)
                return self.api_url
            time.sleep(0.25)
        self.stop()
        raise ServerError(
            f"prefect server did not answer at {self.api_url} within {timeout:.0f}s "
            f"(see {self.log_path})"
        )

    def stop(self) -> None:
        """Stop the server's whole process group: SIGTERM, then SIGKILL after a grace period."""
        proc, self.process = self.process, None
        if proc is None:
            return
        with contextlib.suppress(OSError):
            if self.url_file.read_text() == self.api_url:  # not another server's in this home
                self.url_file.unlink()
        for sig, wait in ((signal.SIGTERM, STOP_GRACE), (signal.SIGKILL, 5.0)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
            try:
                proc.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                continue
            # the leader is gone; make sure no member of its group outlives it
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            return

    def __enter__(self) -> LocalServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class Api:
    """The API a long-running command uses, and how to get it back when it is lost."""

    def __init__(self, url: str, server: LocalServer | None = None) -> None:
        self.url = url
        #: The local server docmill supervises for this command, if it started one.
        self.server = server

    def wait_until_back(self, poll: float = 2.0) -> None:
        """Return once the API answers again; a supervised server that died is started again."""
        while not healthy(self.url):
            proc = self.server.process if self.server is not None else None
            if self.server is not None and (proc is None or proc.poll() is not None):
                print(f"docmill: starting the local Prefect server again ({self.server.home})",
                      file=sys.stderr)
                try:
                    self.server.start()
                except ServerError as exc:
                    print(f"docmill: {exc}; trying again", file=sys.stderr)
            else:
                time.sleep(poll)


def configured_api_url() -> str | None:
    """The API URL Prefect is configured with (environment, profile or settings context)."""
    if os.environ.get("PREFECT_API_URL"):
        return os.environ["PREFECT_API_URL"]
    from prefect.settings import get_current_settings

    url = get_current_settings().api.url
    return str(url) if url else None


def running_api(home: Path) -> str | None:
    """The API URL of the local server a running docmill keeps in ``home``, if it answers."""
    try:
        url = (home / "server.url").read_text().strip()
    except OSError:
        return None
    return url if url and healthy(url) else None


@contextlib.contextmanager
def prefect_api(
    home: Path, port: int = 4200, echo: bool = True, reuse_running: bool = False
) -> Iterator[str]:
    """A real Prefect API URL for the block: the configured one if any, else a local server.

    "Configured" is ``PREFECT_API_URL`` in the environment, the active Prefect
    profile, or Prefect's settings context (a test harness). ``reuse_running``
    (short commands such as ``docmill schedules``) uses the local server a running
    ``docmill serve`` keeps in ``home`` rather than a second one on its database.

    When docmill starts the server, ``PREFECT_API_URL`` is set in this process's
    environment (so child processes, flow runs and Dask workers started from here
    inherit it) and Prefect's settings for the block, and both are restored after.
    """
    with serving_api(home, port, echo, reuse_running) as api:
        yield api.url


@contextlib.contextmanager
def serving_api(
    home: Path, port: int = 4200, echo: bool = True, reuse_running: bool = False
) -> Iterator[Api]:
    """:func:`prefect_api` as an :class:`Api`, which can wait for a lost API to come back."""
    given = configured_api_url()
    if given:
        yield Api(given)
        return
    running = running_api(home.resolve()) if reuse_running else None
    if running:
        with _api_url_set(running):
            yield Api(running)
        return
    server = LocalServer(home, port)
    if echo:
        print(f"docmill: starting a local Prefect server ({server.home})", file=sys.stderr)
    with server:
        if echo:
            print(f"docmill: Prefect UI at {server.ui_url}", file=sys.stderr)
        with _api_url_set(server.api_url):
            yield Api(server.api_url, server)


@contextlib.contextmanager
def _api_url_set(api_url: str) -> Iterator[None]:
    """``PREFECT_API_URL`` in this process's environment and Prefect's settings, restored after."""
    before = os.environ.get("PREFECT_API_URL")
    os.environ["PREFECT_API_URL"] = api_url
    try:
        from prefect.settings import PREFECT_API_URL, temporary_settings

        with temporary_settings(updates={PREFECT_API_URL: api_url}):
            yield
    finally:
        if before is None:
            os.environ.pop("PREFECT_API_URL", None)
        else:
            os.environ["PREFECT_API_URL"] = before
