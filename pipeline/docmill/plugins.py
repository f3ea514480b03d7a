"""The plugin manager: built-ins and entry points, enabling, disabling, listing.

Built-in plugins are the modules in :data:`DEFAULT_PLUGINS`, registered exactly
like third-party plugins found under the ``docmill`` entry-point group. A plugin
that fails to import is reported (``docmill plugins``, a warning) and skipped;
it never takes the tool down. ``DOCMILL_PLUGINS`` (comma-separated names) loads
only the plugins listed; ``DOCMILL_DISABLE_PLUGINS`` and ``-p no:NAME`` disable
by name.

Order: within a stage, implementations run in pluggy's order (last registered
first, ``tryfirst``/``trylast`` applied) unless ``[order]`` in ``docmill.toml``
lists plugin names for that hook; see :meth:`Manager.ordered`. Compatibility: a
plugin whose distribution requires ``docmill`` (``Requires-Dist``) or whose
module sets ``docmill_requires = ">=0.1,<0.3"`` outside this docmill's version is
refused with status ``"incompatible"`` and never registered.
"""

from __future__ import annotations

import importlib
import os
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import pluggy
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from docmill import hookspecs
from docmill.hookspecs import PROJECT

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


class PluginLoadWarning(UserWarning):
    """A plugin could not be loaded and was skipped."""


@dataclass
class Manager:
    """A pluggy manager plus what was loaded, disabled and failed."""

    pm: pluggy.PluginManager
    infos: dict[str, PluginInfo] = field(default_factory=dict)
    #: Hook name -> plugin names in the order wanted (``[order]`` of docmill.toml).
    order: dict[str, list[str]] = field(default_factory=dict)

    @property
    def hook(self) -> Any:
        return self.pm.hook

    def versions(self) -> dict[str, str]:
        """Name -> version of every active plugin (for manifests and cache keys)."""
        return {n: i.version for n, i in sorted(self.infos.items()) if i.status == "active"}

    def ordered(self, hook_name: str) -> list[tuple[str, Callable[..., Any]]]:
        """(plugin name, call) of a hook's implementations, in their effective order.

        The order is pluggy's (last registered first, ``tryfirst``/``trylast``
        applied) unless :attr:`order` lists names for this hook: then the listed
        plugins run first, in the listed order, and the others after them in
        pluggy's order — or where ``"..."`` stands in the list. Every stage calls
        its plugins through this method, so the configured order holds everywhere.

        Each call takes the hook's arguments as keywords and passes an implementation
        only those it declares, as pluggy does; calling them one by one is what lets
        the stages isolate a failing plugin.
        """
        caller = getattr(self.pm.hook, hook_name)
        # pluggy calls implementations last-registered first, tryfirst/trylast applied.
        impls = list(reversed(caller.get_hookimpls()))
        names = list(dict.fromkeys(impl.plugin_name for impl in impls))
        rank = {name: i for i, name in enumerate(apply_order(names, self.order.get(hook_name, ())))}
        impls.sort(key=lambda impl: rank[impl.plugin_name])  # stable: keeps pluggy's ties
        return [(impl.plugin_name, _bind(impl)) for impl in impls]

    def effective_order(self) -> dict[str, list[str]]:
        """Hook name -> names of the plugins implementing it, in the order they run."""
        result = {}
        for hook_name in sorted(self.pm.hook.__dict__):
            caller = getattr(self.pm.hook, hook_name)
            if isinstance(caller, pluggy.HookCaller) and caller.has_spec():
                result[hook_name] = [name for name, _ in self.ordered(hook_name)]
        return result

    def listing(
        self, hook: str | None = None, include_disabled: bool = True
    ) -> list[dict[str, Any]]:
        """The ``docmill plugins`` JSON, sorted by name (failed plugins always shown)."""
        rows = []
        order = self.effective_order()
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
            rows.append(row)
        return rows


#: In an ``[order]`` list, where the plugins not listed go.
REST = "..."


def apply_order(names: Sequence[str], wanted: Sequence[str]) -> list[str]:
    """``names`` (pluggy's order) rearranged by ``wanted`` (see :meth:`Manager.ordered`).

    Names in ``wanted`` that are not in ``names`` are ignored here (build_manager
    warns about them); names not in ``wanted`` keep their relative order.
    """
    if not wanted:
        return list(names)
    present = set(names)
    listed = set(wanted)
    rest = [n for n in names if n not in listed]
    if REST in wanted:
        i = list(wanted).index(REST)
        before, after = wanted[:i], wanted[i + 1 :]
    else:
        before, after = wanted, []
    pick = [n for n in before if n in present and n != REST]
    pick_after = [n for n in after if n in present and n != REST]
    return pick + rest + pick_after


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


class IncompatiblePlugin(Exception):
    """A plugin declares docmill versions that do not include this one."""


def _dist_requirement(target: Any) -> str | None:
    """The docmill specifier in an entry point's distribution's ``Requires-Dist``."""
    dist = getattr(target, "dist", None) if _is_entry_point(target) else None
    for line in (dist.requires or []) if dist is not None else []:
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        if canonicalize_name(req.name) != PROJECT:
            continue
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        return str(req.specifier) or None
    return None


def check_compatible(name: str, requires: str | None, where: str) -> None:
    """Raise :class:`IncompatiblePlugin` when ``requires`` excludes this docmill."""
    if not requires or __version__ == "0+unknown":
        return
    try:
        spec = SpecifierSet(requires)
    except InvalidSpecifier as exc:
        raise IncompatiblePlugin(
            f"invalid docmill version specifier {requires!r} ({where})"
        ) from exc
    if not spec.contains(__version__, prereleases=True):
        raise IncompatiblePlugin(
            f"plugin {name!r} supports docmill {requires} ({where}), but this is docmill "
            f"{__version__}: install a version of the plugin made for it, or disable it "
            f"with -p no:{name}"
        )


def _warn(message: str) -> None:
    warnings.warn(message, PluginLoadWarning, stacklevel=3)


def _check_order(mgr: Manager) -> None:
    """Warn about ``[order]`` entries that name no hook or no plugin implementing it."""
    for hook_name, wanted in sorted(mgr.order.items()):
        caller = getattr(mgr.pm.hook, hook_name, None)
        if not isinstance(caller, pluggy.HookCaller) or not caller.has_spec():
            _warn(f"[order] names {hook_name!r}, which is not a docmill hook")
            continue
        have = {impl.plugin_name for impl in caller.get_hookimpls()}
        for name in wanted:
            if name != REST and name not in have:
                status = mgr.infos[name].status if name in mgr.infos else "not installed"
                _warn(
                    f"[order] of {hook_name!r} names {name!r}, which does not take part "
                    f"in it ({status})"
                )


def build_manager(
    disable: Iterable[str] = (),
    only: Iterable[str] | None = None,
    extra: Iterable[tuple[str, object]] = (),
    order: Mapping[str, Sequence[str]] | None = None,
) -> Manager:
    """Load the built-in and installed plugins into a fresh manager.

    ``disable`` names plugins to skip (``-p no:NAME``), added to
    ``DOCMILL_DISABLE_PLUGINS``; ``only`` (or ``DOCMILL_PLUGINS``) loads just those
    names. ``extra`` registers (name, plugin object) pairs, for tests and embedding.
    ``order`` maps hook names to plugin names (see :meth:`Manager.ordered`); None
    reads it from the settings (``[order]`` in docmill.toml, ``DOCMILL_ORDER``).
    A plugin that fails to import or whose hook implementations do not match a
    hookspec is reported with status "failed" and left out; one that declares
    docmill versions excluding this one, with status "incompatible".
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
        requires = _dist_requirement(target)
        try:
            check_compatible(name, requires, "its distribution's Requires-Dist")
            plugin = _import(target)
            declared = getattr(plugin, "docmill_requires", None)
            if isinstance(declared, str):
                requires = declared
                check_compatible(name, declared, f"{type(plugin).__name__} docmill_requires")
            pm.register(plugin, name=name)
            unknown = sorted(c.name for c in pm.get_hookcallers(plugin) or () if not c.has_spec())
            if unknown:
                pm.unregister(plugin)
                raise pluggy.PluginValidationError(
                    plugin, f"unknown hook(s) {', '.join(unknown)} (no such docmill hook)"
                )
        except IncompatiblePlugin as exc:
            mgr.infos[name] = PluginInfo(
                name, version, "incompatible", module=module, error=str(exc), requires=requires
            )
            warnings.warn(
                f"docmill plugin {name!r} refused: {exc}", PluginLoadWarning, stacklevel=2
            )
            continue
        except Exception as exc:  # a broken plugin must not take docmill down
            message = f"{type(exc).__name__}: {' '.join(str(exc).split())}"  # one line
            mgr.infos[name] = PluginInfo(
                name, version, "failed", module=module, error=message, requires=requires
            )
            warnings.warn(
                f"docmill plugin {name!r} skipped: {message}", PluginLoadWarning, stacklevel=2
            )
            continue
        mgr.infos[name] = PluginInfo(
            name, version, "active", _hooks_of(pm, plugin), module, requires=requires
        )
    pm.check_pending()
    _check_order(mgr)
    return mgr


def _module_name(obj: object) -> str:
    name = getattr(obj, "__name__", None) if isinstance(obj, type(os)) else None
    return name if isinstance(name, str) else type(obj).__module__


def _is_entry_point(target: Any) -> bool:
    """An entry point from ``importlib.metadata`` or from the ``importlib_metadata`` backport.

    Once anything imports the backport (dask and distributed do), its finder sits on
    ``sys.meta_path`` and ``importlib.metadata.entry_points()`` may hand back the
    backport's EntryPoint class, which is not a subclass of the standard one.
    """
    return isinstance(target, metadata.EntryPoint) or all(
        hasattr(target, attr) for attr in ("name", "value", "group", "load")
    )


def _import(target: Any) -> object:
    if isinstance(target, str):
        return importlib.import_module(target)
    if _is_entry_point(target):
        return target.load()
    return target
