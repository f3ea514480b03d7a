"""What a worker process and its parent say to each other, and the state deltas they ship.

The parent sends :class:`WorkerSetup` once, then one :class:`RunStage` per stage
of a batch; the worker answers :class:`Ready` once, then per document one
:class:`Patched` (or :class:`Crashed`, or :class:`PluginFailed` under
``fail_fast``), and :class:`Resumed` first when asked to run on states it kept.
Every message is a NamedTuple of this module, pickled over a socket pair.

:class:`Marker` is the other channel: a few bytes of a file both processes
map, where the worker writes which stage and plugin it is in, so the parent can
name them after killing it.
"""

from __future__ import annotations

import io
import mmap
import operator
import os
import pickle
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from pydantic import BaseModel

from docmill.engine.failures import FRAMEWORK
from docmill.engine.stage import Stage
from docmill.engine.state import DocState
from docmill.limits import DEFAULT_LIMITS, Limits
from docmill.sinks import Encoded

# -- the set-up -----------------------------------------------------------------------


@dataclass(frozen=True)
class WorkerSetup:
    """Everything that decides which plugins a worker loads and how they are set up.

    Built by whoever runs the stages (the flow) from its own process: a worker
    inherits the environment and current folder, and gets ``sys.path`` from its
    parent, but nothing of the parent's memory besides this.
    """

    #: Plugin names not to load (``-p no:NAME``).
    disable: tuple[str, ...] = ()
    #: Load only these plugin names (None: every installed plugin).
    only: tuple[str, ...] | None = None
    #: Plugins registered in the parent's process, as (plugin name, importable module name).
    extra: tuple[tuple[str, str], ...] = ()
    #: ``{"NAME": {...}}``: every plugin's settings as the parent sees them; the worker
    #: uses these and nothing else (not its files, not its environment).
    plugin_settings: dict[str, dict[str, Any]] = field(default_factory=dict, hash=False)
    #: Hook name -> plugin names (``[order]``); None: the worker reads the settings.
    order: dict[str, list[str]] | None = field(default=None, hash=False)


# -- messages -------------------------------------------------------------------------


class Ready(NamedTuple):
    """Child: the plugins are loaded, send work."""

    pid: int


class RunStage(NamedTuple):
    """Parent: run ``stage`` over ``states``, one answer per state, in order.

    ``states`` None: run it over the live states the worker kept for ``batch``
    (it answers :class:`Resumed` first). ``drop`` lists batches whose kept states
    are out of date (their next stage ran in another worker).
    """

    stage: Stage
    states: list[DocState] | None
    max_bytes: int
    batch: str | None
    drop: list[str]
    fail_fast: bool = False
    limits: Limits = DEFAULT_LIMITS


class Resumed(NamedTuple):
    """Child: whether it held ``batch``'s states as the previous stage left them
    (if not, the parent sends them)."""

    batch: str | None
    held: bool


class Patched(NamedTuple):
    """Child: a document is done; what the stage changed (:func:`patch`), in two parts.

    ``patch`` holds the fields the parent reads between stages (:data:`LIGHT`);
    ``packed`` the pickle of the rest (:data:`HEAVY`: the text's cleaned form and
    every record list), which the parent may keep as bytes until it needs them
    (:func:`defer`, :func:`settle`). After the last stage ``encoded`` is the
    document's output as the JSONL sink writes it, when the worker's plugins
    write through that sink alone (:func:`docmill.sinks.encode`).
    ``peak`` is the worker's peak resident memory so far, in bytes (:func:`peak_memory`).
    """

    patch: Patch
    peak: int = 0
    packed: bytes | None = None
    encoded: Encoded | None = None


class Crashed(NamedTuple):
    """Child: something escaped the stage (SystemExit in a plugin): the document is a reject.

    ``stage`` and ``plugin`` are what the :class:`Marker` said when it escaped, read by
    the child before it sends this: by the time the parent reads the message, the
    child has gone on to the next document and marked that one.
    """

    error: str
    traceback: str | None
    stage: str
    plugin: str
    peak: int = 0


class PluginFailed(NamedTuple):
    """Child, under ``fail_fast``: a plugin failed; the parent raises ``PluginError``.

    ``cause`` is the plugin's exception if it could be pickled, else None.
    """

    plugin: str
    stage: str
    source: str
    problem: str
    traceback: str
    cause: BaseException | None


Answer = Patched | Crashed | PluginFailed


def peak_memory() -> int:
    """This process's peak resident memory in bytes (``VmHWM``; ``ru_maxrss`` elsewhere).

    A worker sends it with every answer, so ``/proc/self/status`` stays open and is
    read again in one call (0.05 ms instead of 0.17 ms with opening it and reading
    it line by line). Not ``ru_maxrss`` on Linux: it also counts the memory the
    process had before its ``exec`` (its parent's, when started by vfork).
    """
    global _STATUS
    if _STATUS is None:
        try:
            _STATUS = os.open("/proc/self/status", os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            _STATUS = -1
    if _STATUS >= 0:
        try:
            data = os.pread(_STATUS, 8192, 0)
            at = data.index(b"VmHWM:") + 6
            return int(data[at : data.index(b"kB", at)]) * 1024
        except (OSError, ValueError):
            pass
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak) if sys.platform == "darwin" else int(peak) * 1024


#: ``/proc/self/status``, opened by the first :func:`peak_memory` (-1: not there).
_STATUS: int | None = None


# -- the marker -----------------------------------------------------------------------

MARKER_SIZE = 512
_SEP = "\x1f"


class Marker:
    """Which stage and plugin a worker is in: a few bytes of a file both processes map."""

    def __init__(self, fd: int) -> None:
        self._map = mmap.mmap(fd, MARKER_SIZE)

    def mark(self, stage: str, plugin: str) -> None:
        data = f"{stage}{_SEP}{plugin}".encode()[: MARKER_SIZE - 1] + b"\0"
        self._map[: len(data)] = data

    def read(self) -> tuple[str, str]:
        """(stage, plugin) last marked; the plugin is ``docmill`` between plugin calls."""
        raw = self._map[:MARKER_SIZE].split(b"\0", 1)[0].decode("utf-8", "replace")
        stage, _, plugin = raw.partition(_SEP)
        return stage or "?", plugin or FRAMEWORK


# -- state deltas ---------------------------------------------------------------------

#: The fields of a DocState a stage may change (see :func:`patch`).
FIELDS = ("sha256", "document", "clean", "edits", "segments", "found", "records", "reject", "input")
#: The fields the parent reads between stages (whether a state is alive, its
#: document's size and id): applied as soon as a patch arrives. None is a list.
LIGHT = frozenset({"sha256", "document", "reject", "input"})
#: The fields no patch carries: only the stage that fills them reads them, in the
#: worker. ``found`` is what each extractor returned (cleaned offsets) for the
#: extractors after it; validate and the sinks read ``records``, and a state sent
#: again for extract (its worker died before it) starts from an empty ``found``, as
#: the parent's copy has it. Extract's patch without it is less than half the pickling.
LOCAL = frozenset({"found"})
#: The fields only the stages and the sinks read: the bulk of a patch, and every
#: record in it. Their :class:`Ref` items point into these lists only.
HEAVY = tuple(name for name in FIELDS if name not in LIGHT and name not in LOCAL)


class Ref(NamedTuple):
    """Items the parent already has: ``getattr(state, field)[start:stop]`` before the stage."""

    field: str
    start: int
    stop: int


Snapshot = dict[str, tuple[Any, list[Any] | None]]
Patch = dict[str, Any]
#: id of the first item of a list field before the stage -> (field, its items).
_Starts = dict[int, tuple[str, list[Any]]]


def snapshot(state: DocState) -> Snapshot:
    """Each field's object and, for a list, its items before a stage runs."""
    snap: Snapshot = {}
    for name in FIELDS:
        value = getattr(state, name)
        snap[name] = (value, list(value) if isinstance(value, list) else None)
    return snap


def patch(before: Snapshot, state: DocState) -> Patch:
    """What a stage changed in ``state``, with items the parent already holds as refs.

    The parent still holds the state it sent, so sending the whole state back
    would pickle every record of the document again (most of a worker's cost in
    extract and validate); a changed list goes back as its new items plus one
    :class:`Ref` per run of items that were already, in that order, at the start
    of one of the state's lists: a stage only appends to lists and joins them
    (extract's records are the segments' then its own, validate's the edits, the
    records, then its findings). Any other item goes as itself, a copy of what the
    parent may have. :data:`LOCAL` fields stay out.
    """
    starts: _Starts | None = None
    delta: Patch = {}
    for name in FIELDS:
        if name in LOCAL:
            continue
        old, items = before[name]
        new = getattr(state, name)
        if items is not None and isinstance(new, list):
            if new is old and len(new) == len(items) and all(map(operator.is_, new, items)):
                continue
            if starts is None:
                starts = {
                    id(items[0]): (field, items)
                    for field, (_, items) in before.items()
                    if items and field not in LOCAL
                }
            delta[name] = _runs(new, starts)
        elif new is not old:
            delta[name] = new
    return delta


def _runs(new: list[Any], starts: _Starts) -> list[Any]:
    """``new`` with each run of items that starts a list of ``starts`` as a :class:`Ref`."""
    out: list[Any] = []
    i, n = 0, len(new)
    while i < n:
        item = new[i]
        hit = starts.get(id(item))
        i += 1
        if hit is None:
            out.append(item)
            continue
        name, items = hit
        stop = 1
        k = min(n - i, len(items) - stop)
        if k > 0 and all(map(operator.is_, new[i : i + k], items[stop : stop + k])):
            i, stop = i + k, stop + k  # the usual case: the whole list, in order
        else:
            while i < n and stop < len(items) and new[i] is items[stop]:
                i, stop = i + 1, stop + 1
        out.append(Ref(name, 0, stop))
    return out


def apply(state: DocState, delta: Patch) -> DocState:
    """Apply a worker's patch to the parent's copy of ``state`` (in place, as in-process)."""
    lists = {name: getattr(state, name) for name in FIELDS}
    decoded: Patch = {}
    for name, value in delta.items():
        if isinstance(value, list):
            items: list[Any] = []
            for v in value:
                if isinstance(v, Ref):
                    items += lists[v.field][v.start : v.stop]
                else:
                    items.append(v)
            value = items
        decoded[name] = value
    for name, value in decoded.items():
        setattr(state, name, value)
    return state


def split(delta: Patch) -> tuple[Patch, bytes | None]:
    """A patch as :class:`Patched` carries it: the light fields, and the rest pickled
    (records by :class:`_RecordPickler`)."""
    light = {name: value for name, value in delta.items() if name in LIGHT}
    heavy = {name: value for name, value in delta.items() if name not in LIGHT}
    if not heavy:
        return light, None
    buffer = io.BytesIO()
    _RecordPickler(buffer, pickle.HIGHEST_PROTOCOL).dump(heavy)
    return light, buffer.getvalue()


def _model(cls: type[BaseModel], values: dict[str, Any], fields_set: set[str]) -> BaseModel:
    """A pydantic model as :class:`_RecordPickler` pickled it (what its ``__setstate__`` does)."""
    model = cls.__new__(cls)
    object.__setattr__(model, "__dict__", values)
    object.__setattr__(model, "__pydantic_fields_set__", fields_set)
    object.__setattr__(model, "__pydantic_extra__", None)
    object.__setattr__(model, "__pydantic_private__", None)
    return model


_GETSTATE = BaseModel.__getstate__
_REDUCE_EX = BaseModel.__reduce_ex__


class _RecordPickler(pickle.Pickler):
    """Pickles a pydantic model with no extra or private values as its class, field
    values and set fields: a third less of the worker's time on segment's and
    extract's records than pydantic's ``__getstate__`` (a dict of four per record),
    and half the parent's when it unpickles them."""

    def reducer_override(self, obj: Any) -> Any:
        if (
            isinstance(obj, BaseModel)
            and type(obj).__getstate__ is _GETSTATE  # not a model that pickles itself
            and type(obj).__reduce_ex__ is _REDUCE_EX
            and obj.__pydantic_extra__ is None
            and obj.__pydantic_private__ is None
        ):
            return _model, (type(obj), obj.__dict__, obj.__pydantic_fields_set__)
        return NotImplemented


# -- deferred patches in the parent -------------------------------------------------
#
# A batch's states stay in the worker between stages, so the parent's copy is only
# read again when a stage must resend them (the worker died, or another worker runs
# the next stage) or when the sinks need the records. Unpickling every stage's
# records as they arrive was the flow process's largest cost per record (py-spy,
# 2 workers on 600 documents), so the heavy part of each patch is kept as its bytes,
# in arrival order, on the state itself, and applied by :func:`settle`.

_PACKED = "_docmill_packed"
_ENCODED = "_docmill_encoded"


def defer(state: DocState, packed: bytes) -> None:
    """Keep a patch's heavy part on ``state`` unapplied (after those kept before it)."""
    state.__dict__.setdefault(_PACKED, []).append(packed)


def settle(state: DocState) -> DocState:
    """Apply the heavy parts kept on ``state`` (:func:`defer`), oldest first; in place."""
    kept: list[bytes] | None = state.__dict__.pop(_PACKED, None)
    for packed in kept or ():
        apply(state, pickle.loads(packed))
    return state


def settled(state: DocState) -> bool:
    """Whether ``state`` has no patch kept unapplied."""
    return _PACKED not in state.__dict__


def set_encoded(state: DocState, encoded: Encoded | None) -> None:
    """Keep (or drop, with None) the document's encoded output on ``state``."""
    if encoded is None:
        state.__dict__.pop(_ENCODED, None)
    else:
        state.__dict__[_ENCODED] = encoded


def encoded(state: DocState) -> Encoded | None:
    """The encoded output a worker sent with ``state``'s last stage, if any."""
    value = state.__dict__.get(_ENCODED)
    return value if isinstance(value, Encoded) else None
