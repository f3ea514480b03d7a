"""Checking a plugin against docmill's hookspecs before it is registered.

pluggy registers an implementation whose name matches no hookspec (it waits for a
spec that never comes), reports an argument its spec lacks in general terms, and
never sees a hook-named function that lacks the marker. docmill makes each of
these mistakes loud and says how to fix it:

- :func:`refusals`: an implementation of no docmill hook, an argument its hook
  does not have (both with "did you mean ...?" and the valid names), and a
  wrapper (``wrapper=True`` / ``hookwrapper=True``). docmill calls every
  implementation on its own, so that a failing plugin costs only its own
  contribution; a wrapper would be called as a plain function there, so it is
  refused instead. Any refusal makes the plugin ``failed``.
- :func:`unmarked`: functions named like docmill hooks without
  ``@docmill.hookimpl``. They are never called; the plugin stays active and the
  manager warns, naming them.
- :func:`defaulted`: hook arguments declared with a default value, which pluggy
  never passes; the manager warns.

Only public pluggy API is used: ``PluginManager.parse_hookimpl_opts``,
``HookCaller.spec`` and its ``argnames``.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pluggy


@dataclass(frozen=True)
class Declared:
    """One ``@hookimpl`` of a plugin: where it is and what it declares."""

    attr: str  # the attribute of the plugin holding it
    hook: str  # the hook it implements (``specname`` or ``attr``)
    function: Callable[..., Any]
    opts: pluggy.HookimplOpts

    def arguments(self) -> tuple[list[str], list[str]]:
        """(arguments without a default, arguments with one), as pluggy reads them."""
        required: list[str] = []
        defaulted: list[str] = []
        try:
            parameters = inspect.signature(self.function).parameters.values()
        except (TypeError, ValueError):  # a builtin without a signature: pluggy will say
            return required, defaulted
        for p in parameters:
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                continue
            (required if p.default is p.empty else defaulted).append(p.name)
        return required, defaulted


def hook_arguments(pm: pluggy.PluginManager) -> dict[str, tuple[str, ...]]:
    """Hook name -> argument names, for every hook with a spec."""
    result = {}
    for name, caller in sorted(vars(pm.hook).items()):
        if isinstance(caller, pluggy.HookCaller) and caller.spec is not None:
            result[name] = tuple(caller.spec.argnames)
    return result


def declared(pm: pluggy.PluginManager, plugin: object) -> list[Declared]:
    """Every attribute of ``plugin`` that pluggy would register as a hook implementation."""
    found = []
    for attr in dir(plugin):
        try:
            opts = pm.parse_hookimpl_opts(plugin, attr)
        except Exception:  # an attribute that raises on access is not an implementation
            continue
        if opts is None:
            continue
        function = getattr(plugin, attr)
        found.append(Declared(attr, opts.get("specname") or attr, function, opts))
    return found


def suggest(name: str, valid: tuple[str, ...] | list[str], what: str) -> str:
    """``(did you mean 'x'? <what>: a, b, c)`` for a name that is not in ``valid``."""
    close = difflib.get_close_matches(name, valid, n=1, cutoff=0.5)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"({hint}{what}: {', '.join(valid)})"


def refusals(pm: pluggy.PluginManager, plugin: object) -> list[tuple[str, str]]:
    """Why ``plugin`` cannot be registered: (attribute, reason) per mistake, empty if it can."""
    specs = hook_arguments(pm)
    reasons: list[tuple[str, str]] = []
    for impl in declared(pm, plugin):
        if impl.hook not in specs:
            hint = suggest(impl.hook, list(specs), "hooks")
            reasons.append((impl.attr, f"{impl.hook} is not a docmill hook {hint}"))
            continue
        if impl.opts.get("wrapper") or impl.opts.get("hookwrapper"):
            kind = "wrapper=True" if impl.opts.get("wrapper") else "hookwrapper=True"
            reasons.append(
                (
                    impl.attr,
                    f"{impl.attr} is a hook wrapper (@hookimpl({kind})): docmill calls each "
                    f"{impl.hook} implementation on its own, so that a failing plugin costs "
                    "only its own contribution, and runs no wrappers; use a plain "
                    "@docmill.hookimpl",
                )
            )
        valid = specs[impl.hook]
        for arg in impl.arguments()[0]:
            if arg not in valid:
                what = f"arguments of {impl.hook}"
                reasons.append(
                    (
                        impl.attr,
                        f"{impl.attr} takes {arg!r}, which is not an argument of hook "
                        f"{impl.hook!r} {suggest(arg, list(valid), what)}",
                    )
                )
    return reasons


def unmarked(pm: pluggy.PluginManager, plugin: object) -> list[str]:
    """Names of the plugin's own functions named like docmill hooks but not marked.

    Of a module, only functions defined in it count (an imported ``validate`` is
    not the plugin's); of an object, its methods.
    """
    specs = hook_arguments(pm)
    marked = {impl.attr for impl in declared(pm, plugin)}
    names = []
    for name in sorted(specs):
        value = getattr(plugin, name, None)
        if name in marked or not inspect.isroutine(value):
            continue
        if isinstance(plugin, ModuleType) and getattr(value, "__module__", None) != (
            plugin.__name__
        ):
            continue
        names.append(name)
    return names


def defaulted(pm: pluggy.PluginManager, plugin: object) -> list[str]:
    """``hook(argument)`` for every hook argument declared with a default (never passed)."""
    specs = hook_arguments(pm)
    found = []
    for impl in declared(pm, plugin):
        valid = specs.get(impl.hook, ())
        found += [f"{impl.attr}({arg}=...)" for arg in impl.arguments()[1] if arg in valid]
    return found


def first_line(plugin: object, attr: str | None = None) -> tuple[str, int]:
    """(file, line) of ``plugin`` (or of its attribute ``attr``), for a warning's location."""
    target = getattr(plugin, attr, plugin) if attr else plugin
    target = inspect.unwrap(target) if callable(target) else target
    for candidate in (target, plugin, type(plugin)):
        try:
            filename = inspect.getsourcefile(candidate)  # type: ignore[arg-type]
        except TypeError:
            continue
        if filename:
            try:
                line = inspect.getsourcelines(candidate)[1]  # type: ignore[arg-type]
            except (OSError, TypeError):
                line = 1
            return filename, max(line, 1)
    return f"<docmill plugin {type(plugin).__name__}>", 1
