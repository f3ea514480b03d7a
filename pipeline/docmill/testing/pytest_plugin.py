"""docmill's pytest plugin: fixtures to test a plugin in the real flow.

Installed with docmill (entry point ``pytest11``), so every test session of a
project that installs docmill can use:

``docmill_prefect`` (session)
    A Prefect API for the whole session: the server in ``PREFECT_API_URL`` when one
    is set, else Prefect's test harness (``prefect_test_harness``, 10-20 s, once),
    with docmill's quiet defaults (no telemetry, WARNING logs) and, when Prefect is
    not imported yet, a private ``PREFECT_HOME`` removed at the end of the session.
``docmill_run``
    ``docmill_run(paths, *plugins, settings=None, out=None, **options)`` runs the
    real flow (:func:`docmill.testing.run_flow`) over a file, a folder or a list of
    them, with ``plugins`` added for the call and ``settings`` as the only plugin
    settings, into a folder below the test's ``tmp_path`` (or ``out``), and returns
    the run read back (:class:`docmill.testing.FlowResult`: ``records(kind)``,
    ``summary``, ``folder``).

Loading this plugin imports neither Prefect nor docmill's engine: a session that
never asks for these fixtures pays nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from docmill.testing.flow import FlowResult


@pytest.fixture(scope="session")
def docmill_prefect(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A Prefect API for the test session (``PREFECT_API_URL``, else a temporary one)."""
    import sys

    saved = os.environ.get("PREFECT_HOME")
    if "prefect" not in sys.modules:  # Prefect reads PREFECT_HOME when it is imported
        os.environ["PREFECT_HOME"] = str(tmp_path_factory.mktemp("prefect-home"))
    from docmill.testing.flow import prefect_api

    try:
        with prefect_api():
            yield
    finally:
        if saved is None:
            os.environ.pop("PREFECT_HOME", None)
        else:
            os.environ["PREFECT_HOME"] = saved


@pytest.fixture
def docmill_run(docmill_prefect: None, tmp_path: Path) -> Callable[..., FlowResult]:
    """Run the real flow and read the run back: ``docmill_run(paths, *plugins, settings=…)``."""
    from docmill.testing.flow import run_flow

    def run(
        paths: Any, *plugins: Any, out: str | Path | None = None, **options: Any
    ) -> FlowResult:
        return run_flow(paths, out if out is not None else tmp_path / "runs", *plugins, **options)

    return run
