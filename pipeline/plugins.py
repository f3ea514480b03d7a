"""The plugin manager: built-ins and entry points, enabling, disabling, listing.

Built-in plugins are the modules in :data:`DEFAULT_PLUGINS`, registered exactly
like third-party plugins found under the ``docmill`` entry-point group. A plugin
that fails to import is reported (``docmill plugins``, a warning) and skipped;
it never takes the tool down. ``DOCMILL_PLUGINS`` (comma-separated names) loads
only the plugins listed; ``DOCMILL_DISABLE_PLUGINS`` and ``-p no:NAME`` disable
by name.
"""

from __future__ import annotations

import importlib
import os
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import pluggy

from pipeline import hookspecs
from pipeline.hookspecs import PROJECT

DEFAULT_PLUGINS: tuple[str, ...] = (
    "plugins.load_text",
    "plugins.clean_unicode",
    "plugins.clean_boilerplate",
    "plugins.segment_text",
    "plugins.extract_entities",
    "plugins.extract_dates",
    "plugins.validate_spans",
    "plugins.export_jsonl",
)


def _version() -> str:
    try:
        return metadata.version(PROJECT)
    except metadata.PackageNotFoundError:  # running from a source tree
        return "0+unknown"


__version__ = _version()


@dataclass(frozen=True)
class PluginInfo:
    """What ``docmill plugins`` shows of one plugin."""

    name: str
    version: str
    status: str  # "active", "disabled" or "failed"
    hooks: tuple[str, ...] = ()
    module: str = ""
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "version": self.version,
            "status": self.status,
            "hooks": list(self.hooks),
            "module": self.module,
        }
        if self.error:
            data["error"] = self.error
        return data


class PluginLoadWarning(UserWarning):
    """A plugin could not be loaded and was skipped."""


@dataclass
class Manager:
    """A pluggy manager plus what was loaded, disabled and failed."""

    pm: pluggy.PluginManager
    infos: dict[str, PluginInfo] = field(default_factory=dict)

    @property
    def hook(self) -> Any:
        return self.pm.hook

    def versions(self) -> dict[str, str]:
        """Name -> version of every active plugin (for manifests and cache keys)."""
        return {n: i.version for n, i in sorted(self.infos.items()) if i.status == "active"}

    def ordered(self, hook_name: str) -> list[tuple[str, Callable[..., Any]]]:
        """(plugin name, call) of a hook's implementations, in pluggy's call order.

        Each call takes the hook's arguments as keywords and passes an implementation
        only those it declares, as pluggy does; calling them one by one is what lets
        the stages isolate a failing plugin.
        """
        caller = getattr(self.pm.hook, hook_name)
        # pluggy calls implementations last-registered first, tryfirst/trylast applied.
        return [(impl.plugin_name, _bind(impl)) for impl in reversed(caller.get_hookimpls())]

    def listing(
        self, hook: str | None = None, include_disabled: bool = True
    ) -> list[dict[str, Any]]:
        """The ``docmill plugins`` JSON, sorted by name (failed plugins always shown)."""
        rows = []
        for info in sorted(self.infos.values(), key=lambda i: i.name):
            if not include_disabled and info.status == "disabled":
                continue
            if hook and hook not in info.hooks:
                continue
            rows.append(info.as_dict())
        return rows


def _bind(impl: pluggy.HookImpl) -> Callable[..., Any]:
    names = impl.argnames
    function = impl.function

    def call(**kwargs: Any) -> Any:
        return function(*[kwargs[name] for name in names])

    return call


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


def build_manager(
    disable: Iterable[str] = (),
    only: Iterable[str] | None = None,
    extra: Iterable[tuple[str, object]] = (),
) -> Manager:
    """Load the built-in and installed plugins into a fresh manager.

    ``disable`` names plugins to skip (``-p no:NAME``), added to
    ``DOCMILL_DISABLE_PLUGINS``; ``only`` (or ``DOCMILL_PLUGINS``) loads just those
    names. ``extra`` registers (name, plugin object) pairs, for tests and embedding.
    A plugin that fails to import or whose hook implementations do not match a
    hookspec is reported with status "failed" and left out.
    """
    disabled = set(disable) | set(_split(os.environ.get("DOCMILL_DISABLE_PLUGINS")))
    only_set = set(only) if only is not None else set(_split(os.environ.get("DOCMILL_PLUGINS")))
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    mgr = Manager(pm)
    items: list[tuple[str, str, str, Any]] = _candidates()
    items += [(name, "0", type(obj).__module__, obj) for name, obj in extra]
    for name, version, module, target in items:
        if name in mgr.infos:
            continue
        if name in disabled or (only_set and name not in only_set):
            mgr.infos[name] = PluginInfo(name, version, "disabled", module=module)
            continue
        try:
            plugin = _import(target)
            pm.register(plugin, name=name)
            unknown = sorted(c.name for c in pm.get_hookcallers(plugin) or () if not c.has_spec())
            if unknown:
                pm.unregister(plugin)
                raise pluggy.PluginValidationError(
                    plugin, f"unknown hook(s) {', '.join(unknown)} (no such docmill hook)"
                )
        except Exception as exc:  # a broken plugin must not take docmill down
            message = f"{type(exc).__name__}: {exc}"
            mgr.infos[name] = PluginInfo(name, version, "failed", module=module, error=message)
            warnings.warn(
                f"docmill plugin {name!r} skipped: {message}", PluginLoadWarning, stacklevel=2
            )
            continue
        mgr.infos[name] = PluginInfo(name, version, "active", _hooks_of(pm, plugin), module)
    pm.check_pending()
    return mgr


def _import(target: Any) -> object:
    if isinstance(target, str):
        return importlib.import_module(target)
    if isinstance(target, metadata.EntryPoint):
        return target.load()
    return target
