"""How a plugin's failure is reported: one readable line, its own traceback, PluginError.

A plugin that raises costs only its own contribution (an error finding, or a
reject); what the user gets is :func:`describe` of the exception plus
:func:`plugin_traceback`, the frames from the plugin's own code down, without
docmill's frames above them. With ``fail_fast`` the first plugin error raises
:class:`PluginError` instead.
"""

from __future__ import annotations

import traceback as traceback_module
from pathlib import Path
from types import TracebackType

import pluggy

import docmill

#: The ``plugin`` of records and rejects the framework itself produces.
FRAMEWORK = "docmill"

#: Folders whose frames are docmill's machinery, not a plugin's code.
_MACHINERY = tuple(
    str(Path(module.__file__).resolve().parent) + "/"
    for module in (docmill, pluggy)
    if module.__file__
)


def describe(exc: BaseException) -> str:
    """An exception as one line a user can read."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _is_machinery(tb: TracebackType) -> bool:
    filename = str(Path(tb.tb_frame.f_code.co_filename).resolve())
    return filename.startswith(_MACHINERY)


def plugin_traceback(exc: BaseException) -> str | None:
    """``exc`` formatted from the first frame that is not docmill's (or pluggy's) down.

    None when no frame of the traceback is outside docmill: the plugin did not
    raise, docmill refused what it returned (the message says why). The text
    holds file paths and line numbers, and nothing else that changes between
    runs of the same code.
    """
    tb = exc.__traceback__
    while tb is not None and _is_machinery(tb):
        tb = tb.tb_next
    if tb is None:
        return None
    return "".join(traceback_module.format_exception(type(exc), exc, tb))


def full_traceback(exc: BaseException) -> str:
    """The plugin's frames, or the whole traceback when the plugin raised nothing itself."""
    return plugin_traceback(exc) or "".join(traceback_module.format_exception(exc))


class PluginError(Exception):
    """A plugin failed and the run was asked to stop at the first failure (``fail_fast``).

    Raised ``from`` the plugin's exception (in a worker process: from a copy of
    it, or a RuntimeError with its text when it cannot be copied). ``traceback``
    is the plugin's frames as formatted where it ran.
    """

    def __init__(self, plugin: str, stage: str, source: str, problem: str, traceback: str) -> None:
        super().__init__(f"{stage} plugin {plugin!r} failed on {source}: {problem}")
        self.plugin = plugin
        self.stage = stage
        self.source = source
        self.problem = problem
        self.traceback = traceback

    def __reduce__(self) -> tuple[object, ...]:
        return (
            type(self),
            (self.plugin, self.stage, self.source, self.problem, self.traceback),
        )
