"""The plugin manager of this process: built once per run, shared by every task.

A run starts with :func:`fresh_manager`, which builds the manager for its plugin
selection (so a run sees plugins installed and ``[order]`` changed since the
previous run in the same process) and leaves it in the cache of
:func:`get_manager`, where the flow and its tasks find it: one ``docmill run``
builds one manager. A process that only runs tasks (a Dask worker) builds its
own on first use and keeps it (and so the plugins' models) for its lifetime.

No Prefect here: the command line uses this module before Prefect is imported.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

from docmill.plugins import Manager, PluginLoadWarning, build_manager
from docmill.settings import raw_plugin_settings

#: Receives each warning of a run's set-up as one line (see :func:`fresh_manager`).
Warn = Callable[[str], None]


def selection(
    disable: Iterable[str] = (), only: Iterable[str] | None = None
) -> tuple[tuple[str, ...], tuple[str, ...] | None]:
    """The cache key of a plugin selection: sorted, duplicate-free tuples."""
    return tuple(sorted(set(disable))), tuple(sorted(set(only))) if only is not None else None


@lru_cache(maxsize=8)
def get_manager(disable: tuple[str, ...] = (), only: tuple[str, ...] | None = None) -> Manager:
    """The plugin manager of this process for a selection (see :func:`selection`)."""
    return build_manager(disable=disable, only=only)


def fresh_manager(
    disable: Iterable[str] = (), only: Iterable[str] | None = None, warn: Warn | None = None
) -> Manager:
    """Build the manager of a new run and make it the one :func:`get_manager` returns.

    With ``warn``, the warnings of loading the plugins (a plugin skipped, refused,
    an ``[order]`` naming a missing plugin) are passed to it, each once, instead of
    being issued as Python warnings.
    """
    key = selection(disable, only)
    get_manager.cache_clear()
    if warn is None:
        return get_manager(*key)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always", PluginLoadWarning)
        mgr = get_manager(*key)
    for w in mgr.warnings:  # all of them: Python warnings are shown once per process
        warn(w.message)
    return mgr


def checked_settings(mgr: Manager, warn: Warn | None = None) -> dict[str, Any]:
    """Every plugin's validated settings, as JSON values: plugin name -> settings.

    Raises :class:`~docmill.settings.PluginSettingsError` for the first plugin
    whose settings do not validate, so a bad value fails before any work. Settings
    given for a plugin that is not loaded are passed to ``warn`` (or warned about).
    """
    checked = mgr.settings(reload=True)
    mgr.languages()  # a languages hook that fails stops the run here too
    for name in sorted(set(raw_plugin_settings()) - set(mgr.infos)):
        message = f"settings given for unknown plugin {name!r}"
        if warn is None:
            warnings.warn(message, UserWarning, stacklevel=2)
        else:
            warn(message)
    return {name: model.model_dump(mode="json") for name, model in checked.items()}
