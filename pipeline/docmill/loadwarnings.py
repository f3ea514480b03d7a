"""Load warnings: what went wrong loading plugins, located in the plugin, shown once.

Building a plugin manager collects :class:`LoadWarning`\\ s (a plugin that failed
or was refused, hook-named functions without ``@hookimpl``, ``[order]`` names
that match nothing); :func:`show` issues them as :class:`PluginLoadWarning`.
Each warning points at the plugin's own file and line (not at docmill's code
that happened to build the manager), and a warning is shown at most once per
process for the same message and location: one ``docmill run`` builds several
managers (the command line's, the flow's), and a user should read each problem
once.
"""

from __future__ import annotations

import importlib.util
import os
import threading
import traceback
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

from docmill.hookcheck import first_line


class PluginLoadWarning(UserWarning):
    """A plugin could not be loaded, was skipped, or declares something docmill ignores."""


@dataclass(frozen=True)
class LoadWarning:
    """One problem found while loading plugins, and where it is."""

    message: str
    filename: str
    lineno: int = 1


_shown: set[tuple[str, str]] = set()
_lock = threading.Lock()


def show(found: Iterable[LoadWarning]) -> None:
    """Issue each warning as a :class:`PluginLoadWarning` at its location, once per process.

    A warning is shown at most once for the same message and file. The usual
    ``warnings`` filters apply when it is issued (``-W``, ``catch_warnings``); a
    warning issued while filtered out counts as shown, so code that does not want
    them builds its manager with ``build_manager(warn=False)`` instead.
    """
    for warning in found:
        key = (warning.message, warning.filename)
        with _lock:
            if key in _shown:
                continue
            _shown.add(key)
        warnings.warn_explicit(warning.message, PluginLoadWarning, warning.filename, warning.lineno)


def module_file(module: str, may_import: bool) -> str | None:
    """The source file of module ``module``, if it can be found.

    Finding a submodule imports its parent packages, so unless ``may_import`` only a
    top-level module is looked up (a refused plugin must not be imported).
    """
    if "." in module and not may_import:
        return None
    try:
        spec = importlib.util.find_spec(module)
    except Exception:  # a parent package that fails to import, a bad name
        return None
    origin = spec.origin if spec is not None else None
    return origin if origin and os.path.isfile(origin) else None


def failure_location(module: str, exc: BaseException, fallback: str) -> tuple[str, int]:
    """(file, line) in the plugin where importing or registering it raised ``exc``.

    The innermost frame in the plugin's own file when there is one, else the
    innermost frame outside the import machinery and docmill, else ``fallback``.
    """
    if isinstance(exc, SyntaxError) and exc.filename:
        return exc.filename, exc.lineno or 1
    frames = traceback.extract_tb(exc.__traceback__)
    origin = module_file(module, may_import=True)
    for frame in reversed(frames):
        if origin and frame.filename == origin:
            return origin, frame.lineno or 1
    if origin:
        return origin, 1
    here = os.path.dirname(os.path.abspath(__file__))
    machinery = os.path.dirname(os.path.abspath(importlib.util.__file__))
    for frame in reversed(frames):
        name = os.path.abspath(frame.filename)
        if not frame.filename.startswith("<") and not name.startswith((here, machinery)):
            return frame.filename, frame.lineno or 1
    return fallback, 1


def plugin_location(
    name: str,
    module: str,
    plugin: object,
    exc: BaseException | None,
    attr: str | None = None,
) -> tuple[str, int]:
    """Where a warning about plugin ``name`` points: its own file, never docmill's.

    ``module`` is the plugin's module path (``pkg.mod`` or ``pkg.mod:obj``),
    ``plugin`` the loaded plugin (None if it was not imported), ``exc`` what was
    raised loading it, ``attr`` the attribute at fault when known.
    """
    fallback = f"<docmill plugin {name} = {module}>"
    module_name = module.split(":", 1)[0]
    if plugin is not None and (exc is None or attr is not None):
        return first_line(plugin, attr)
    if exc is not None:  # raised while importing or registering
        return failure_location(module_name, exc, fallback)
    # refused before import: finding a submodule would import its package
    return module_file(module_name, may_import=False) or fallback, 1
