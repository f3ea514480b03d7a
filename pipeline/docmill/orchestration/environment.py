"""Quiet, local Prefect defaults, applied before Prefect is imported.

Every value is a default: anything the user set in the environment wins.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULTS = {
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    # INFO reaches the API (the flow run's logs in the UI, docmill.orchestration.runlog);
    # the console shows warnings only, and task runs log only their warnings
    "PREFECT_LOGGING_LEVEL": "INFO",
    "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "WARNING",
    "PREFECT_LOGGING_LOGGERS_PREFECT_TASK_RUNS_LEVEL": "WARNING",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "false",
}


def default_prefect_home() -> Path:
    """Where docmill keeps Prefect's local database unless PREFECT_HOME is set."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "docmill" / "prefect"


def configure() -> None:
    """Set docmill's Prefect defaults in ``os.environ`` (never overriding the user)."""
    for key, value in DEFAULTS.items():
        os.environ.setdefault(key, value)
    home = Path(os.environ.setdefault("PREFECT_HOME", str(default_prefect_home())))
    home.mkdir(parents=True, exist_ok=True)  # Prefect does not create missing parents
