"""The Prefect API of one run, and its link in the Prefect UI.

In order of precedence:

1. the API Prefect is configured with (``PREFECT_API_URL``, the active profile,
   a test harness's settings): used as is;
2. the background server of ``PREFECT_HOME``
   (:mod:`docmill.orchestration.background`), started by the first run that
   needs it and reused by the next ones: the default (setting
   ``background_server``);
3. with ``background_server = false``: Prefect's temporary API for a run with the
   local task runner (today's behaviour, no process outlives the run), or, for a
   Dask run, a server supervised for the duration of the run
   (:func:`docmill.orchestration.server.prefect_api`), as Dask workers need a real API.

:class:`RunApi` works in two steps so a run overlaps the server's start-up
with its own imports: entering it finds or starts the server without waiting;
:meth:`RunApi.ready` waits until it answers and points Prefect at it.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from types import TracebackType

from docmill.orchestration import background
from docmill.orchestration.server import _api_url_set, configured_api_url, prefect_api


class RunApi:
    """The Prefect API for the block (a context manager; call :meth:`ready` before Prefect
    runs anything)."""

    def __init__(
        self,
        *,
        runner: str = "local",
        background_server: bool = True,
        idle_timeout: float = 1800.0,
        server_home: Path = Path(".docmill/prefect"),
        server_port: int = 4200,
    ) -> None:
        self.runner = runner
        self.background_server = background_server
        self.idle_timeout = idle_timeout
        self.server_home = server_home
        self.server_port = server_port
        #: The Prefect UI's address for this run's API (None: the temporary API has no UI).
        self.ui_url: str | None = None
        #: The background server this run started (the first run pays its start), if any.
        self.started: background.ServerState | None = None
        self._starting: background.Starting | None = None
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> RunApi:
        given = _configured_without_importing_prefect()
        if given:
            self.ui_url = _ui_url(given)
        elif self.background_server:
            home = Path(os.environ.get("PREFECT_HOME") or background_home()).resolve()
            self._stack.enter_context(background.in_use(home))
            self._starting = background.begin(home, self.server_port, self.idle_timeout)
        elif self.runner != "local":
            self._stack.enter_context(prefect_api(self.server_home, self.server_port))
            self.ui_url = _ui_url(os.environ["PREFECT_API_URL"])
        return self

    def ready(self) -> None:
        """Wait for the background server to answer (if any) and point Prefect at it."""
        starting, self._starting = self._starting, None
        if starting is None:
            return
        state = starting.wait()
        given = configured_api_url()  # Prefect is imported now: its own answer, if any
        if given:
            self.ui_url = _ui_url(given)
            return
        if starting.started:
            self.started = state
        self.ui_url = state.ui_url
        self._stack.enter_context(_api_url_set(state.api_url))

    def link(self, flow_run_id: str | None) -> str | None:
        """The flow run's page in the Prefect UI (None without a UI or a flow run id)."""
        if self.ui_url is None or not flow_run_id:
            return None
        return f"{self.ui_url.rstrip('/')}/runs/flow-run/{flow_run_id}"

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._starting is not None:  # never waited for: the server starts for the next run
            self._starting.release()
        self._stack.close()


def _configured_without_importing_prefect() -> str | None:
    """The configured API URL, without importing Prefect (seconds) when nothing sets one.

    Prefect is asked (:func:`configured_api_url`) when it is imported already (a
    test harness's settings) or when a file could set it: the profiles file, or a
    ``prefect.toml``, ``.env`` or ``pyproject.toml`` in the current folder.
    """
    if os.environ.get("PREFECT_API_URL"):
        return os.environ["PREFECT_API_URL"]
    files = {"prefect.toml": "", ".env": "PREFECT_API_URL", "pyproject.toml": "tool.prefect"}
    if "prefect.settings" in sys.modules or any(
        marker in _read(Path(name)) for name, marker in files.items() if Path(name).is_file()
    ):
        return configured_api_url()
    home = Path(os.environ.get("PREFECT_HOME") or background_home())
    profiles = Path(os.environ.get("PREFECT_PROFILES_PATH") or home / "profiles.toml")
    return configured_api_url() if "PREFECT_API_URL" in _read(profiles) else None


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def background_home() -> Path:
    from docmill.orchestration.environment import default_prefect_home

    return default_prefect_home()


def _ui_url(api_url: str) -> str | None:
    """The UI of the API at ``api_url``: ``PREFECT_UI_URL`` when set, else the API's root."""
    if os.environ.get("PREFECT_UI_URL"):
        return os.environ["PREFECT_UI_URL"]
    with contextlib.suppress(Exception):
        from prefect.settings import get_current_settings

        configured = get_current_settings().ui_url
        if configured:
            return str(configured)
    return api_url.removesuffix("/").removesuffix("/api")
