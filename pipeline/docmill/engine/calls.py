"""Calling a hook's implementations one by one, each failure isolated to its plugin.

:func:`call_each` is the one loop every stage uses: implementations in the
manager's order (:meth:`docmill.plugins.Manager.ordered`), each call and the
stage's check of what it returned in its own ``try``, so a plugin that raises or
returns something invalid yields a :class:`Outcome` with its error and the
others still run. For a hook whose spec is ``firstresult`` (load), the loop
stops at the first implementation that returns something other than None, as
pluggy does. Given a document's ``language``, implementations of plugins that
declare other languages (the ``languages`` hook) are not called at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from docmill.language import handles
from docmill.plugins import Manager
from docmill.records import Record

T = TypeVar("T")


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """One implementation's call: what the stage made of its result, or why it failed."""

    plugin: str
    value: T | None = None
    error: Exception | None = None


def call_each(
    mgr: Manager,
    hook: str,
    arguments: Callable[[], Mapping[str, Any]],
    accept: Callable[[str, Any], T],
    language: str | None = None,
) -> Iterator[Outcome[T]]:
    """Call ``hook``'s implementations in order; yield one :class:`Outcome` per call.

    ``arguments()`` is evaluated just before each call (so an argument may hold
    what earlier implementations returned); ``accept(plugin, result)`` checks and
    converts a result, and may raise like the plugin itself. For a firstresult
    hook, a None result is skipped and the first other one ends the loop. With a
    ``language`` (a document's), plugins that declare they do not handle it are
    passed over (:mod:`docmill.engine.languages` reports them once per document).
    """
    first = mgr.firstresult(hook)
    declared = mgr.languages() if language is not None else {}
    for name, fn in mgr.ordered(hook):
        if declared and not handles(declared.get(name), language):
            continue
        try:
            result = fn(**arguments())
            if first and result is None:
                continue
            value = accept(name, result)
        except Exception as exc:
            yield Outcome(name, error=exc)
            continue
        yield Outcome(name, value=value)
        if first:
            return


def as_list(plugin: str, hook: str, result: object) -> list[Any]:
    """An implementation's iterable result as a list (None: nothing)."""
    if result is None:
        return []
    if isinstance(result, (str, bytes, Record)) or not isinstance(result, Iterable):
        raise TypeError(
            f"{hook} hook of {plugin!r} returned {type(result).__name__}, expected an iterable"
        )
    return list(result)
