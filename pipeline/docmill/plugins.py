"""The plugin manager: built-ins and entry points, enabling, disabling, listing, calling.

Built-in plugins are the modules in :data:`DEFAULT_PLUGINS`, registered exactly
like third-party plugins found under the ``docmill`` entry-point group. A plugin
that fails to import is reported (``docmill plugins``, a warning) and skipped;
it never takes the tool down. ``DOCMILL_PLUGINS`` (comma-separated names) loads
only the plugins listed; ``DOCMILL_DISABLE_PLUGINS`` and ``-p no:NAME`` disable
by name.

Checks at registration (:mod:`docmill.hookcheck`): an implementation of no
docmill hook, an argument its hook does not have, or a wrapper implementation
makes the plugin ``failed``, with "did you mean" and the valid names;
hook-named functions without ``@hookimpl`` are a warning. Every load warning
points at the plugin and is shown once per process (:mod:`docmill.loadwarnings`).

Calling: docmill calls each implementation on its own (:meth:`Manager.ordered`),
so a plugin that raises costs only its own contribution. An implementation that
declares a ``settings`` argument gets its plugin's validated settings
(:meth:`Manager.settings`), found by the name the plugin is registered under.

Order: within a stage, implementations run in pluggy's order (last registered
first, ``tryfirst``/``trylast`` applied) unless ``[order]`` in ``docmill.toml``
lists plugin names for that hook; see :meth:`Manager.ordered`. Compatibility
(:mod:`docmill.compat`): a plugin whose distribution requires ``docmill``
(``Requires-Dist``) or whose module sets ``docmill_requires = ">=0.1,<0.3"``
outside this docmill's version is refused with status ``"incompatible"`` and
never registered.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

from docmill import hookcheck, hookspecs
from docmill.compat import IncompatiblePlugin, check_compatible, dist_requirement, is_entry_point
from docmill.compat import __version__ as __version__
from docmill.hookspecs import PROJECT
from docmill.loadwarnings import LoadWarning, plugin_location, show
from docmill.loadwarnings import PluginLoadWarning as PluginLoadWarning
from docmill.ordering import REST as REST
from docmill.ordering import apply_order as apply_order
from docmill.ordering import problems

if TYPE_CHECKING:
    from pydantic import BaseModel

DEFAULT_PLUGINS: tuple[str, ...] = (
    "docmill_builtins.load_text",
    "docmill_builtins.load_html",
    "docmill_builtins.load_pdf",
    "docmill_builtins.load_docx",
    "docmill_builtins.clean_unicode",
    "docmill_builtins.clean_boilerplate",
    "docmill_builtins.clean_markdown",
    "docmill_builtins.clean_glued",
    "docmill_builtins.clean_mojibake",
    "docmill_builtins.segment_text",
    "docmill_builtins.extract_entities",
    "docmill_builtins.extract_quotes",
    "docmill_builtins.extract_dates",
    "docmill_builtins.validate_consistency",
    "docmill_builtins.validate_spans",
    "docmill_builtins.export_jsonl",
    "docmill_builtins.export_report",
)

#: (name, plugin) pairs every manager of this process registers after the installed
#: plugins; :func:`docmill.testing.registered` fills it for tests of the real flow.
EXTRA_PLUGINS: list[tuple[str, object]] = []


@dataclass(frozen=True)
class PluginInfo:
    """What ``docmill plugins`` shows of one plugin."""

    name: str
    version: str
    status: str  # "active", "disabled", "failed" or "incompatible"
    hooks: tuple[str, ...] = ()
    module: str = ""
    error: str | None = None
    #: The docmill versions the plugin declares it supports (a specifier), if any.
    requires: str | None = None

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "version": self.version,
            "status": self.status,
            "hooks": list(self.hooks),
            "module": self.module,
        }
        if self.requires:
            data["requires"] = self.requires
        if self.error:
            data["error"] = self.error
        return data


@dataclass
class Manager:
    """A pluggy manager plus what was loaded, disabled and failed."""

    pm: pluggy.PluginManager
    infos: dict[str, PluginInfo] = field(default_factory=dict)
    #: Hook name -> plugin names in the order wanted (``[order]`` of docmill.toml).
    order: dict[str, list[str]] = field(default_factory=dict)
    #: What went wrong while loading (shown by :func:`build_manager` unless ``warn=False``).
    warnings: list[LoadWarning] = field(default_factory=list)
    #: (settings generation, name -> validated settings), filled on first use.
    _settings: tuple[int, dict[str, BaseModel]] | None = field(
        default=None, init=False, repr=False, compare=False
    )
    #: (the settings they were asked with, name -> declared languages), on first use.
    _languages: tuple[dict[str, BaseModel], dict[str, frozenset[str]]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def versions(self) -> dict[str, str]:
        """Name -> version of every active plugin (for manifests and cache keys)."""
        return {n: i.version for n, i in sorted(self.infos.items()) if i.status == "active"}

    def hook_names(self) -> list[str]:
        """The names of every docmill hook, sorted."""
        return list(hookcheck.hook_arguments(self.pm))

    def _caller(self, hook_name: str) -> pluggy.HookCaller:
        caller = getattr(self.pm.hook, hook_name, None)
        if not isinstance(caller, pluggy.HookCaller) or caller.spec is None:
            raise KeyError(f"no such docmill hook: {hook_name!r}")
        return caller

    def firstresult(self, hook_name: str) -> bool:
        """Whether the hook stops at the first implementation that returns a value.

        Read from the hookspec's options (``@hookspec(firstresult=True)``, e.g.
        ``load``); raises KeyError for a name that is not a docmill hook.
        """
        spec = self._caller(hook_name).spec
        return bool(spec is not None and spec.opts.get("firstresult"))

    def ordered(self, hook_name: str) -> list[tuple[str, Callable[..., Any]]]:
        """(plugin name, call) of a hook's implementations, in their effective order.

        The order is pluggy's (last registered first, ``tryfirst``/``trylast``
        applied) unless :attr:`order` lists names for this hook: then the listed
        plugins run first, in the listed order, and the others after them in
        pluggy's order — or where ``"..."`` stands in the list. Every stage calls
        its plugins through this method, so the configured order holds everywhere.

        Each call takes the hook's arguments as keywords and passes an implementation
        only those it declares, as pluggy does; calling them one by one is what lets
        the stages isolate a failing plugin (wrapper implementations, which could not
        be called this way, are refused at registration). An implementation that
        declares ``settings`` gets its plugin's validated settings
        (:meth:`settings_of`); the caller never passes them.
        """
        caller = self._caller(hook_name)
        # pluggy calls implementations last-registered first, tryfirst/trylast applied.
        impls = list(reversed(caller.get_hookimpls()))
        names = list(dict.fromkeys(impl.plugin_name for impl in impls))
        rank = {name: i for i, name in enumerate(apply_order(names, self.order.get(hook_name, ())))}
        impls.sort(key=lambda impl: rank[impl.plugin_name])  # stable: keeps pluggy's ties
        return [(impl.plugin_name, self._bind(impl)) for impl in impls]

    def _bind(self, impl: pluggy.HookImpl) -> Callable[..., Any]:
        names = impl.argnames
        function = impl.function
        plugin = impl.plugin_name
        wants_settings = "settings" in names

        def call(**kwargs: Any) -> Any:
            if wants_settings:  # resolved here, so a failure is this plugin's alone
                kwargs["settings"] = self.settings_of(plugin)
            return function(*[kwargs[name] for name in names])

        return call

    def settings(self, reload: bool = False) -> dict[str, BaseModel]:
        """Name -> validated settings of every active plugin that declares a model.

        Read (``[plugins.NAME]`` of docmill.toml, ``DOCMILL_PLUGINS__NAME__KEY``,
        :func:`docmill.settings.override_plugin_settings`) and validated on first
        use, then kept: every call of a plugin gets the same instance. They are read
        again with ``reload`` (a run start on a long-lived manager does this, so a
        changed docmill.toml counts) and inside or after an
        ``override_plugin_settings`` block. Raises
        :class:`docmill.settings.PluginSettingsError` naming the first plugin whose
        settings do not validate or hold a key its model does not have.
        """
        from docmill.settings import check_plugin_settings, settings_generation

        generation = settings_generation()
        cached = self._settings
        if reload or cached is None or cached[0] != generation:
            cached = (generation, check_plugin_settings(self.ordered("settings_model")))
            self._settings = cached
        return cached[1]

    def settings_of(self, name: str) -> BaseModel | None:
        """The validated settings of plugin ``name``, or None when it declares no model."""
        return self.settings().get(name)

    def languages(self) -> dict[str, frozenset[str]]:
        """Name -> the languages each plugin that implements ``languages`` handles.

        Asked again only when the settings were read again (the answer may follow
        them); codes are lowercased. A plugin that returns None is left out (any
        language). A hook that raises or returns no iterable raises
        :class:`docmill.settings.PluginSettingsError` naming the plugin (a run
        asks before any work, so it does not start).
        """
        from docmill.settings import PluginSettingsError

        settings = self.settings()
        cached = self._languages
        if cached is None or cached[0] is not settings:
            declared: dict[str, frozenset[str]] = {}
            for name, fn in self.ordered("languages"):
                try:
                    codes = fn()
                    if codes is not None:
                        declared[name] = frozenset(str(c).strip().lower() for c in codes)
                except Exception as exc:
                    problem = f"its languages hook failed: {type(exc).__name__}: {exc}"
                    raise PluginSettingsError(name, problem) from exc
            cached = self._languages = (settings, declared)
        return cached[1]

    def effective_order(self) -> dict[str, list[str]]:
        """Hook name -> names of the plugins implementing it, in the order they run."""
        result = {}
        for hook_name in self.hook_names():
            result[hook_name] = [name for name, _ in self.ordered(hook_name)]
        return result

    def listing(
        self, hook: str | None = None, include_disabled: bool = True
    ) -> list[dict[str, Any]]:
        """The ``docmill plugins`` JSON, sorted by name (failed plugins always shown)."""
        rows = []
        order = self.effective_order()
        languages = self._languages_or_none()
        for info in sorted(self.infos.values(), key=lambda i: i.name):
            if not include_disabled and info.status == "disabled":
                continue
            if hook and hook not in info.hooks:
                continue
            row = info.as_dict()
            if info.status == "active":
                # 1-based position of the plugin among each hook's implementations.
                row["order"] = {
                    h: names.index(info.name) + 1
                    for h, names in order.items()
                    if info.name in names
                }
                if info.name in languages:
                    row["languages"] = sorted(languages[info.name])
            rows.append(row)
        return rows

    def _languages_or_none(self) -> dict[str, frozenset[str]]:
        """:meth:`languages`, or none when the settings they follow do not validate."""
        from docmill.settings import PluginSettingsError

        try:
            return self.languages()
        except PluginSettingsError:
            return {}


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def _hooks_of(pm: pluggy.PluginManager, plugin: object) -> tuple[str, ...]:
    return tuple(sorted(c.name for c in pm.get_hookcallers(plugin) or ()))


def _candidates() -> list[tuple[str, str, str, Any]]:
    """(name, version, module path, loader) for built-ins then entry points."""
    found: list[tuple[str, str, str, Any]] = []
    for module in DEFAULT_PLUGINS:
        found.append((module.rsplit(".", 1)[1], __version__, module, module))
    eps = sorted(metadata.entry_points(group=PROJECT), key=lambda e: e.name)
    for ep in eps:
        version = ep.dist.version if ep.dist is not None else "unknown"
        found.append((ep.name, version, ep.value, ep))
    return found


def _check_order(mgr: Manager) -> None:
    """Add a warning for every ``[order]`` entry that names no hook or no plugin of it."""
    path = Path.cwd() / "docmill.toml"
    where = str(path) if path.is_file() else "[order]"
    hooks = {hook: [name for name, _ in mgr.ordered(hook)] for hook in mgr.hook_names()}

    def status(name: str) -> str:
        return mgr.infos[name].status if name in mgr.infos else "not installed"

    for message in problems(mgr.order, hooks, status):
        mgr.warnings.append(LoadWarning(message, where))


class PluginRefused(Exception):
    """A plugin's hook implementations do not fit docmill's hookspecs (see hookcheck)."""

    def __init__(self, message: str, attr: str) -> None:
        super().__init__(message)
        self.attr = attr  # the first offending attribute, where the warning points


def _register(mgr: Manager, name: str, plugin: object) -> None:
    """Register ``plugin`` after :mod:`docmill.hookcheck` found nothing to refuse."""
    reasons = hookcheck.refusals(mgr.pm, plugin)
    if reasons:
        raise PluginRefused("; ".join(reason for _, reason in reasons), reasons[0][0])
    mgr.pm.register(plugin, name=name)
    unmarked = hookcheck.unmarked(mgr.pm, plugin)
    if unmarked:
        they = "they are" if len(unmarked) > 1 else "it is"
        mgr.warnings.append(
            LoadWarning(
                f"docmill plugin {name!r} defines {', '.join(unmarked)} without "
                f"@docmill.hookimpl: {they} not called",
                *hookcheck.first_line(plugin, unmarked[0]),
            )
        )
    for where in hookcheck.defaulted(mgr.pm, plugin):
        mgr.warnings.append(
            LoadWarning(
                f"docmill plugin {name!r} declares {where} with a default value: hook "
                "arguments with a default are never passed; drop the default",
                *hookcheck.first_line(plugin, where.split("(", 1)[0]),
            )
        )


def build_manager(
    disable: Iterable[str] = (),
    only: Iterable[str] | None = None,
    extra: Iterable[tuple[str, object]] = (),
    order: Mapping[str, Sequence[str]] | None = None,
    warn: bool = True,
) -> Manager:
    """Load the built-in and installed plugins into a fresh manager.

    ``disable`` names plugins to skip (``-p no:NAME``), added to
    ``DOCMILL_DISABLE_PLUGINS``; ``only`` (or ``DOCMILL_PLUGINS``) loads just those
    names. ``extra`` registers (name, plugin object) pairs, for tests and embedding.
    ``order`` maps hook names to plugin names (see :meth:`Manager.ordered`); None
    reads it from the settings (``[order]`` in docmill.toml, ``DOCMILL_ORDER``).
    A plugin that fails to import or whose hook implementations do not fit the
    hookspecs is reported with status "failed" and left out; one that declares
    docmill versions excluding this one, with status "incompatible".

    What went wrong is in :attr:`Manager.warnings`; with ``warn`` (the default)
    each is also issued as a :class:`PluginLoadWarning` located in the plugin,
    once per process (:func:`docmill.loadwarnings.show`). Code that must stay
    quiet passes ``warn=False`` rather than filtering the warnings out.
    """
    disabled = set(disable) | set(_split(os.environ.get("DOCMILL_DISABLE_PLUGINS")))
    only_set = set(only) if only is not None else set(_split(os.environ.get("DOCMILL_PLUGINS")))
    if order is None:
        from docmill.settings import configured_order

        order = configured_order()
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    mgr = Manager(pm, order={hook: list(names) for hook, names in order.items()})
    items: list[tuple[str, str, str, Any]] = _candidates()
    items += [(name, "0", _module_name(obj), obj) for name, obj in [*extra, *EXTRA_PLUGINS]]
    for name, version, module, target in items:
        if name in mgr.infos:
            continue
        if name in disabled or (only_set and name not in only_set):
            mgr.infos[name] = PluginInfo(name, version, "disabled", module=module)
            continue
        requires = dist_requirement(target)
        plugin: object = None
        try:
            check_compatible(name, requires, "its distribution's Requires-Dist")
            plugin = _import(target)
            declared = getattr(plugin, "docmill_requires", None)
            if isinstance(declared, str):
                requires = declared
                check_compatible(name, declared, f"{type(plugin).__name__} docmill_requires")
            _register(mgr, name, plugin)
        except IncompatiblePlugin as exc:
            mgr.infos[name] = PluginInfo(
                name, version, "incompatible", module=module, error=str(exc), requires=requires
            )
            where = plugin_location(name, module, plugin, None)
            mgr.warnings.append(LoadWarning(f"docmill plugin {name!r} refused: {exc}", *where))
            continue
        except Exception as exc:  # a broken plugin must not take docmill down
            if isinstance(exc, PluginRefused):
                message = str(exc)
            else:
                message = f"{type(exc).__name__}: {' '.join(str(exc).split())}"  # one line
            mgr.infos[name] = PluginInfo(
                name, version, "failed", module=module, error=message, requires=requires
            )
            attr = exc.attr if isinstance(exc, PluginRefused) else None
            where = plugin_location(name, module, plugin, exc, attr)
            mgr.warnings.append(LoadWarning(f"docmill plugin {name!r} skipped: {message}", *where))
            continue
        mgr.infos[name] = PluginInfo(
            name, version, "active", _hooks_of(pm, plugin), module, requires=requires
        )
    _check_order(mgr)
    if warn:
        show(mgr.warnings)
    return mgr


def _module_name(obj: object) -> str:
    name = getattr(obj, "__name__", None) if isinstance(obj, type(os)) else None
    return name if isinstance(name, str) else type(obj).__module__


def _import(target: Any) -> object:
    if isinstance(target, str):
        return importlib.import_module(target)
    if is_entry_point(target):
        return target.load()
    return target
