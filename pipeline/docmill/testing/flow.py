"""Run the real docmill flow (Prefect) in a test and read its run folder back.

Nothing here imports Prefect at module level: it is imported when a flow runs or a
test API is opened, so a test session that never asks for one pays nothing.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from docmill.settings import override_plugin_settings
from docmill.testing.unit import PluginArg, named


@dataclass(frozen=True)
class FlowResult:
    """A finished run folder of the real flow, read back.

    ``summary`` is the run's manifest (also ``manifest.json``): ``run_id``,
    ``counts`` per kind, ``files`` (kind -> file name), ``plugins`` (name ->
    version), ``folder`` …
    """

    summary: dict[str, Any]

    @property
    def folder(self) -> Path:
        """The published run folder (``<out>/<run id>``)."""
        return Path(self.summary["folder"])

    def records(self, kind: str) -> list[dict[str, Any]]:
        """The lines of one kind's JSONL file (``"money"`` -> ``moneys.jsonl``), parsed."""
        path = self.folder / self.summary["files"][kind]
        return [orjson.loads(line) for line in path.read_bytes().splitlines() if line]

    def by_kind(self) -> dict[str, list[dict[str, Any]]]:
        """Every kind's records, parsed: kind -> lines."""
        return {kind: self.records(kind) for kind in self.summary["files"]}

    def jsonl_bytes(self) -> dict[str, bytes]:
        """File name -> bytes of every JSONL file, to compare two runs byte for byte."""
        return {p.name: p.read_bytes() for p in sorted(self.folder.glob("*.jsonl"))}


@contextmanager
def registered(*plugins: PluginArg) -> Iterator[None]:
    """Make ``plugins`` part of every manager the flow builds in this process, for a block.

    For tests of a plugin that is not installed; an installed one (with its entry
    point) needs nothing. Worker processes import them by module name, so a plugin
    must be importable (a module, or an object defined at a module's top level).
    """
    from docmill import plugins as plugins_module
    from docmill.orchestration import manager

    pairs = named(plugins)
    plugins_module.EXTRA_PLUGINS.extend(pairs)
    manager.get_manager.cache_clear()
    try:
        yield
    finally:
        for item in pairs:
            plugins_module.EXTRA_PLUGINS.remove(item)
        manager.get_manager.cache_clear()


@contextmanager
def prefect_api(startup_timeout: int = 120) -> Iterator[None]:
    """A Prefect API for flow tests: yours if ``PREFECT_API_URL`` is set, else a temporary one.

    With ``PREFECT_API_URL`` pointing at a running Prefect server the block costs
    nothing and flows take ~3 s; without it, Prefect's test harness starts a
    temporary API with its own database (10-20 s), so open it once per test
    session — the ``docmill_prefect`` fixture of docmill's pytest plugin does.
    """
    from docmill.orchestration.environment import configure

    configure()
    if os.environ.get("PREFECT_API_URL"):
        yield
        return
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=startup_timeout):
        yield


def run_flow(
    paths: str | Path | Sequence[str | Path],
    out: str | Path,
    *plugins: PluginArg,
    settings: Mapping[str, Mapping[str, Any]] | None = None,
    **options: Any,
) -> FlowResult:
    """Run the real docmill flow (Prefect) over ``paths`` into a run folder below ``out``.

    ``paths`` is a file or folder, or a list of them. ``plugins`` are added to the
    installed ones for this run (see :func:`registered`). ``settings`` are the
    plugin settings (``{"money": {"min_amount": 100}}``); as in
    :func:`~docmill.testing.run_plugins`, ``docmill.toml`` and ``DOCMILL_PLUGINS__*``
    are ignored. ``options`` are the flow's parameters (``batch_size``, ``disable``,
    ``only``, ``time_limit``, ``workers`` …). Needs a Prefect API: call it inside
    :func:`prefect_api`, or use the ``docmill_run`` fixture.
    """
    from docmill.orchestration import flow

    items = [paths] if isinstance(paths, str | Path) else list(paths)
    with registered(*plugins), override_plugin_settings(settings or {}, isolate=True):
        summary = asyncio.run(
            flow.docmill_flow(paths=[str(p) for p in items], out=str(out), **options)
        )
    return FlowResult(summary)
