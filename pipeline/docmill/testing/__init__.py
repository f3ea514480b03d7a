"""Test helpers for plugin authors: run plugins over a text or a file, read records back.

:func:`run_plugins` drives one input through load, clean, segment, extract and
validate with the functions the real flow uses (:mod:`docmill.engine.stages`), on a
real plugin manager holding the plugins you pass plus the built-in loaders,
cleaners, segmenter and span validator — no Prefect, no NLP model::

    from docmill.testing import run_plugins
    import my_plugin

    result = run_plugins(my_plugin, text="It cost $5.")
    assert [m.amount for m in result.records("money")] == ["$5"]

A plugin that raises or returns a bad record fails the test with its error
(``strict=True``, the default) instead of leaving a ``plugin-error`` finding the
test might not look at. Settings are validated as at the start of a real run and
can be set for one call with ``settings={"NAME": {...}}``.

:func:`run_flow` runs the real Prefect flow over files (your plugin must be
installed, e.g. ``pip install -e .``, or passed in ``plugins``) and reads the run
folder back. It needs a Prefect API: open :func:`prefect_api` once per test
session, in a session-scoped fixture (see docs/plugins.md).
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any

import orjson

from docmill.engine import stages
from docmill.hookspecs import PROJECT
from docmill.plugins import DEFAULT_PLUGINS, Manager, PluginLoadWarning, build_manager
from docmill.records import Document, Finding, Record, Reject
from docmill.settings import check_plugin_settings, override_plugin_settings
from docmill.sources import Source

#: The built-ins :func:`run_plugins` adds by default: every built-in loader,
#: cleaner and segmenter (so text is prepared as in a real run) and the span
#: checker ``validate_spans`` — not the extractors, so no NLP model is loaded.
SUPPORT_PLUGINS: tuple[str, ...] = tuple(
    name
    for name in (module.rsplit(".", 1)[-1] for module in DEFAULT_PLUGINS)
    if name.startswith(("load_", "clean_", "segment_")) or name == "validate_spans"
)

#: What :func:`run_plugins` accepts as a plugin: a module, an object with hook
#: implementations, or a (name, plugin) pair.
PluginArg = ModuleType | object | tuple[str, object]


class PluginFailed(AssertionError):
    """A plugin raised or returned invalid records while running under test."""


@dataclass(frozen=True)
class Result:
    """One input's records after the five stages, in the order the flow writes them.

    Offsets are source offsets, ids and ``plugin`` are filled, exactly as in the
    JSONL files of a real run.
    """

    document: Document | None
    output: tuple[Record, ...]
    manager: Manager = field(repr=False)

    @property
    def reject(self) -> Reject | None:
        """The reject record when the input produced no document."""
        first = self.output[0] if self.output else None
        return first if isinstance(first, Reject) else None

    def records(self, kind: str) -> list[Record]:
        """The records of one kind (``"money"``, ``"entity"``, ``"finding"`` ...)."""
        return [r for r in self.output if r.kind == kind]

    def by_kind(self) -> dict[str, list[Record]]:
        """Every record, grouped by kind."""
        grouped: dict[str, list[Record]] = {}
        for r in self.output:
            grouped.setdefault(r.kind, []).append(r)
        return grouped

    @property
    def errors(self) -> list[Finding]:
        """Error findings: plugin failures and failed span checks."""
        return [r for r in self.output if isinstance(r, Finding) and r.severity == "error"]

    def source_text(self, record: Record) -> str:
        """The source text a span points at: ``document.text[start:end]``."""
        assert self.document is not None
        start, end = getattr(record, "start", None), getattr(record, "end", None)
        if start is None or end is None:
            raise ValueError(f"a {record.kind} record has no span")
        return self.document.text[start:end]


def _named(plugins: Iterable[PluginArg]) -> list[tuple[str, object]]:
    """(name, plugin) pairs; a module gets its entry-point name when it has one."""
    named: list[tuple[str, object]] = []
    entry_names = {ep.value: ep.name for ep in metadata.entry_points(group=PROJECT)}
    for plugin in plugins:
        if isinstance(plugin, tuple):
            named.append((str(plugin[0]), plugin[1]))
        elif isinstance(plugin, ModuleType):
            module = plugin.__name__
            named.append((entry_names.get(module, module.rsplit(".", 1)[-1]), plugin))
        else:
            named.append((type(plugin).__name__, plugin))
    return named


def make_manager(
    *plugins: PluginArg,
    builtins: Sequence[str] = SUPPORT_PLUGINS,
    order: Mapping[str, Sequence[str]] | None = None,
) -> Manager:
    """A real manager with only ``plugins`` and the ``builtins`` named.

    Installed third-party plugins are left out, so a test sees only what it asks
    for. A plugin that cannot be registered (misspelled hook, unknown argument,
    unsupported docmill version) raises :class:`PluginFailed` with the reason.
    """
    named = _named(plugins)
    only = {*builtins, *(name for name, _ in named)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PluginLoadWarning)
        mgr = build_manager(disable=(), only=only, extra=named, order=order or {})
    for name in only:
        info = mgr.infos.get(name)
        if info is None:
            raise PluginFailed(
                f"no plugin named {name!r} (built-ins: {', '.join(SUPPORT_PLUGINS)})"
            )
        if info.status != "active":
            raise PluginFailed(f"plugin {name!r} is {info.status}: {info.error}")
    return mgr


def run_plugins(
    *plugins: PluginArg,
    text: str | None = None,
    path: str | Path | None = None,
    name: str = "test.txt",
    builtins: Sequence[str] = SUPPORT_PLUGINS,
    settings: Mapping[str, Mapping[str, Any]] | None = None,
    order: Mapping[str, Sequence[str]] | None = None,
    strict: bool = True,
) -> Result:
    """Run ``plugins`` (with ``builtins``) over ``text`` or the file at ``path``.

    ``text`` is treated as the UTF-8 file ``name`` (its extension picks the media
    type). Records are validated, mapped to source offsets and sorted exactly as in
    a real run (the same :mod:`docmill.engine.stages` functions do it). ``settings`` are
    the plugin settings for this call — ``docmill.toml`` and ``DOCMILL_PLUGINS__*``
    are ignored, so the test does not depend on where it runs — validated as at the
    start of a run (a bad value raises ``PluginSettingsError``). With ``strict``, a
    reject or a ``plugin-error`` finding raises
    :class:`PluginFailed` naming the plugin and its error.
    """
    if (text is None) == (path is None):
        raise TypeError("run_plugins needs exactly one of text= or path=")
    if path is not None:
        file = Path(path)
        source = Source.from_bytes(file.name, file.read_bytes(), file)
    else:
        assert text is not None
        source = Source.from_bytes(name, text.encode("utf-8"))
    mgr = make_manager(*plugins, builtins=builtins, order=order)
    with override_plugin_settings(settings or {}, isolate=True):
        check_plugin_settings(mgr.ordered("settings_model"))
        kinds = stages.record_kinds(mgr)
        state = stages.load_one(mgr, source)
        for stage in ("clean", "segment", "extract", "validate"):
            stages.run_stage(stage, mgr, [state], kinds)
    output = tuple(state.output())
    if strict:
        if state.reject is not None:
            r = state.reject
            raise PluginFailed(f"no document: {r.stage} plugin {r.plugin!r}: {r.error}")
        failures = [
            f.message for f in output if isinstance(f, Finding) and f.code == "plugin-error"
        ]
        if failures:
            raise PluginFailed("; ".join(failures))
    return Result(document=state.document if state.alive else None, output=output, manager=mgr)


@dataclass(frozen=True)
class FlowResult:
    """A finished run folder of the real flow, read back."""

    summary: dict[str, Any]

    @property
    def folder(self) -> Path:
        return Path(self.summary["folder"])

    def records(self, kind: str) -> list[dict[str, Any]]:
        """The lines of one kind's JSONL file, parsed."""
        path = self.folder / self.summary["files"][kind]
        return [orjson.loads(line) for line in path.read_bytes().splitlines() if line]


@contextmanager
def registered(*plugins: PluginArg) -> Iterator[None]:
    """Make ``plugins`` part of every manager the flow builds in this process, for a block.

    For tests of a plugin that is not installed; an installed one (with its entry
    point) needs nothing.
    """
    from docmill import plugins as plugins_module
    from docmill.orchestration import manager

    named = _named(plugins)
    plugins_module.EXTRA_PLUGINS.extend(named)
    manager.get_manager.cache_clear()
    try:
        yield
    finally:
        for item in named:
            plugins_module.EXTRA_PLUGINS.remove(item)
        manager.get_manager.cache_clear()


@contextmanager
def prefect_api(startup_timeout: int = 120) -> Iterator[None]:
    """A Prefect API for flow tests: yours if ``PREFECT_API_URL`` is set, else a temporary one.

    With ``PREFECT_API_URL`` pointing at a running Prefect server the block costs
    nothing and flows take ~3 s; without it, Prefect's test harness starts a
    temporary API with its own database (10-20 s once), so open it once per test
    session (a session-scoped fixture).
    """
    import os

    if os.environ.get("PREFECT_API_URL"):
        yield
        return
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=startup_timeout):
        yield


def run_flow(
    paths: Sequence[str | Path],
    out: str | Path,
    *plugins: PluginArg,
    **options: Any,
) -> FlowResult:
    """Run the real docmill flow (Prefect) over ``paths`` into a run folder below ``out``.

    ``plugins`` are added to the installed ones for this run (see :func:`registered`);
    ``options`` are the flow's parameters (``batch_size``, ``disable``, ``only`` ...).
    Needs a Prefect API: call it inside :func:`prefect_api`.
    """
    from docmill.orchestration import flow

    with registered(*plugins):
        summary = asyncio.run(
            flow.docmill_flow(paths=[str(p) for p in paths], out=str(out), **options)
        )
    return FlowResult(summary)
