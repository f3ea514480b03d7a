"""Run plugins over one text or file through the real stages, without Prefect.

:func:`run_plugins` drives one input through load, clean, segment, extract and
validate with the functions the real flow uses (:mod:`docmill.engine.stages`), on a
real plugin manager holding the plugins you pass plus the built-ins named in
``builtins``. Its :class:`Result` holds every record exactly as a run writes it
(source offsets, ids and ``plugin`` filled), the loaded document and the cleaned text.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar, overload

from docmill.engine import STAGES, PluginError, stages
from docmill.engine.languages import skip_findings
from docmill.engine.state import DocState
from docmill.hookspecs import PROJECT
from docmill.language import SKIP_CODE
from docmill.plugins import DEFAULT_PLUGINS, Manager, PluginLoadWarning, build_manager
from docmill.records import Document, Finding, Record, Reject
from docmill.settings import override_plugin_settings
from docmill.sources import Source
from docmill.text import CleanText

R = TypeVar("R", bound=Record)

#: Every built-in plugin, by name: ``run_plugins(text=..., builtins=BUILTINS)`` runs
#: docmill's own pipeline (extractors and their NLP model included).
BUILTINS: tuple[str, ...] = tuple(module.rsplit(".", 1)[-1] for module in DEFAULT_PLUGINS)

#: The built-ins :func:`run_plugins` adds by default: every built-in loader,
#: cleaner and segmenter (so text is prepared as in a real run) and the span
#: checker ``validate_spans`` — not the extractors, so no NLP model is loaded.
SUPPORT_PLUGINS: tuple[str, ...] = tuple(
    name
    for name in BUILTINS
    if name.startswith(("load_", "clean_", "segment_")) or name == "validate_spans"
)

#: What :func:`run_plugins` accepts as a plugin: a module, an object with hook
#: implementations, or a ``(name, plugin)`` pair.
PluginArg = ModuleType | object | tuple[str, object]


class PluginFailed(AssertionError):
    """A plugin could not be registered, raised, or returned invalid records under test.

    An ``AssertionError``, so pytest reports it as a failed test with the plugin's
    name, the stage and the error.
    """


@dataclass(frozen=True)
class Result:
    """One input's records after the five stages, in the order the flow writes them.

    Offsets are source offsets, ids and ``plugin`` are filled, exactly as in the
    JSONL files of a real run. ``clean`` is the cleaned text segmenters and
    extractors saw (``None`` when the input was rejected before cleaning).
    """

    document: Document | None
    output: tuple[Record, ...]
    manager: Manager = field(repr=False)
    clean: CleanText | None = field(default=None, repr=False)

    @property
    def reject(self) -> Reject | None:
        """The reject record when the input produced no document."""
        first = self.output[0] if self.output else None
        return first if isinstance(first, Reject) else None

    @overload
    def records(self, kind: str) -> list[Record]: ...

    @overload
    def records(self, kind: type[R]) -> list[R]: ...

    def records(self, kind: str | type[Record]) -> list[Any]:
        """The records of one kind, in text order: by name (``"money"``, ``"entity"``,
        ``"finding"`` …) or by class (``records(Entity)`` is typed ``list[Entity]``)."""
        if isinstance(kind, str):
            return [r for r in self.output if r.kind == kind]
        return [r for r in self.output if isinstance(r, kind)]

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


def named(plugins: Iterable[PluginArg]) -> list[tuple[str, object]]:
    """(name, plugin) pairs: a pair keeps its name; a module gets its entry-point name
    when it has one, else the last part of its module name; any other object its class
    name."""
    pairs: list[tuple[str, object]] = []
    entry_names = {ep.value: ep.name for ep in metadata.entry_points(group=PROJECT)}
    for plugin in plugins:
        if isinstance(plugin, tuple):
            pairs.append((str(plugin[0]), plugin[1]))
        elif isinstance(plugin, ModuleType):
            module = plugin.__name__
            pairs.append((entry_names.get(module, module.rsplit(".", 1)[-1]), plugin))
        else:
            pairs.append((type(plugin).__name__, plugin))
    return pairs


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
    pairs = named(plugins)
    only = {*builtins, *(name for name, _ in pairs)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PluginLoadWarning)
        mgr = build_manager(disable=(), only=only, extra=pairs, order=order or {})
    for name in sorted(only):
        info = mgr.infos.get(name)
        if info is None:
            raise PluginFailed(f"no plugin named {name!r} (built-ins: {', '.join(BUILTINS)})")
        if info.status != "active":
            raise PluginFailed(f"plugin {name!r} is {info.status}: {info.error}")
    return mgr


def _source(text: str | None, path: str | Path | None, name: str) -> Source:
    if (text is None) == (path is None):
        raise TypeError("run_plugins needs exactly one of text= or path=")
    if path is not None:
        file = Path(path)
        return Source.from_bytes(file.name, file.read_bytes(), file)
    assert text is not None
    return Source.from_bytes(name, text.encode("utf-8"))


def _as_loaded(mgr: Manager, state: DocState, published: str | None, language: str | None) -> None:
    """Give ``state``'s document the date and language a loader read from its source."""
    assert state.document is not None
    if published is not None:
        state.document = state.document.model_copy(update={"published": published})
    if language is not None:  # as declared: the skips the load stage found follow it
        meta = {k: v for k, v in state.document.meta.items() if not k.startswith("language_")}
        state.document = state.document.model_copy(
            update={"language": language, "meta": {**meta, "language_source": "declared"}}
        )
        state.records = [
            r for r in state.records if not (isinstance(r, Finding) and r.code == SKIP_CODE)
        ]
        state.records.extend(skip_findings(mgr, state.document))


def run_plugins(
    *plugins: PluginArg,
    text: str | None = None,
    path: str | Path | None = None,
    name: str = "test.txt",
    builtins: Sequence[str] = SUPPORT_PLUGINS,
    settings: Mapping[str, Mapping[str, Any]] | None = None,
    order: Mapping[str, Sequence[str]] | None = None,
    published: str | None = None,
    language: str | None = None,
    strict: bool = True,
) -> Result:
    """Run ``plugins`` (with ``builtins``) over ``text`` or the file at ``path``.

    ``plugins`` are modules, objects with hook implementations, or ``(name, plugin)``
    pairs. A module is named after its entry point when it is installed, else after
    the last part of its module name; pass ``("money", module)`` to give the name your
    users will type (``[plugins.money]``, ``-p no:money``) and that ``settings`` use.

    ``text`` is treated as the UTF-8 file ``name`` (``name="note.md"`` makes it
    Markdown; its extension and content pick the media type and so the loader).
    ``builtins`` are the built-in plugins run beside yours: :data:`SUPPORT_PLUGINS`
    by default (loaders, cleaners, segmenter, span checks), :data:`BUILTINS` for all
    of them, ``()`` for none. ``published`` sets the document's publication date (ISO)
    and ``language`` its language (``"en"``) as a loader would have read them from the
    source; without ``language`` it is decided as in a run, and a text of a few words is
    ``und`` (undetermined), which language-dependent plugins such as the English
    entity model skip. Records are validated, mapped to source offsets
    and sorted exactly as in a real run.

    ``settings`` are the plugin settings for this call (``{"money": {"min_amount":
    100}}``) — ``docmill.toml`` and ``DOCMILL_PLUGINS__*`` are ignored, so the test
    does not depend on where it runs — validated as at the start of a run (a bad
    value raises ``PluginSettingsError``). ``order`` is ``[order]`` for this call.

    With ``strict`` (the default) a reject or a ``plugin-error`` finding raises
    :class:`PluginFailed` naming the stage, the plugin and its error, so a failing
    plugin fails the test instead of leaving a finding it might not look at; with
    ``strict=False`` they come back in :class:`Result` (``reject``, ``errors``) as a
    real run writes them.
    """
    source = _source(text, path, name)
    mgr = make_manager(*plugins, builtins=builtins, order=order)
    with override_plugin_settings(settings or {}, isolate=True):
        mgr.settings()  # validated once, in the block: the stages get these
        mgr.languages()  # asked once, as a run does before any work
        kinds = stages.record_kinds(mgr)
        state = DocState.of(source)
        try:
            for stage in STAGES:
                stages.run_stage(stage, mgr, [state], kinds, fail_fast=strict)
                if stage == "load" and state.document is not None:
                    _as_loaded(mgr, state, published, language)
        except PluginError as exc:  # strict: the plugin's own exception is the cause
            raise PluginFailed(f"{exc}\n{exc.traceback}") from (exc.__cause__ or exc)
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
    return Result(
        document=state.document if state.alive else None,
        output=output,
        manager=mgr,
        clean=state.clean,
    )
