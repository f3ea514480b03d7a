"""The five stages as functions from DocStates to DocStates.

Each stage is ``fn(mgr, state, context)`` over one live state; :func:`run_stage`
applies one to a batch. Plugins are called through :func:`~docmill.engine.calls.call_each`,
so a plugin that raises or returns bad records costs only its own contribution:
in load, clean and segment the input becomes a :class:`~docmill.records.Reject`;
in extract and validate the document keeps every other plugin's records plus an
error finding naming the plugin. Either carries the plugin's own traceback.
With ``fail_fast``, the first such failure raises
:class:`~docmill.engine.failures.PluginError` instead.
:mod:`docmill.orchestration.flow` runs these functions in Prefect tasks,
through :mod:`docmill.engine.workers` when a time limit applies.
"""

from __future__ import annotations

import stat
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from docmill.engine.calls import Outcome, as_list, call_each
from docmill.engine.failures import (
    FRAMEWORK,
    PluginError,
    describe,
    full_traceback,
    plugin_traceback,
)
from docmill.engine.kinds import record_kinds
from docmill.engine.languages import skip_findings
from docmill.engine.spans import finish_all
from docmill.engine.stage import Stage
from docmill.engine.state import DocState
from docmill.hashing import sha256_bytes
from docmill.language import resolve as resolve_language
from docmill.limits import DEFAULT_LIMITS, LimitExceeded, Limits
from docmill.pages import page_at, page_ranges
from docmill.plugins import Manager
from docmill.records import (
    DocRecord,
    Document,
    Edit,
    Finding,
    Record,
    Segment,
    fill_in,
    span_id,
    updated,
)
from docmill.sources import InputFile, Source
from docmill.text import CleanText, EditedText

__all__ = [
    "FRAMEWORK",
    "DocState",
    "StageContext",
    "describe",
    "load_one",
    "plugin_error",
    "record_kinds",
    "run_stage",
]

#: Inputs larger than this are rejected unread, unless the run says otherwise.
DEFAULT_MAX_BYTES = 50_000_000


@dataclass(frozen=True)
class StageContext:
    """What a stage needs besides the manager and the state."""

    #: Every record kind extract accepts (:func:`record_kinds`).
    kinds: Mapping[str, type[Record]]
    #: Load rejects larger inputs unread.
    max_bytes: int = DEFAULT_MAX_BYTES
    #: Raise :class:`PluginError` at the first plugin failure instead of recording it.
    fail_fast: bool = False
    #: What an input may expand to: given to loaders with the source, text checked after.
    limits: Limits = DEFAULT_LIMITS

    def plugin_failed(
        self, stage: Stage, state: DocState, outcome: Outcome[Any]
    ) -> tuple[str, str | None]:
        """The one-line problem and the plugin traceback of a failed call (or raise).

        With ``fail_fast`` a plugin's exception raises :class:`PluginError`, except in
        load: raising is how a loader refuses an input it owns (a reject by contract).
        """
        exc = outcome.error
        assert exc is not None
        if self.fail_fast and stage != "load":
            raise PluginError(
                outcome.plugin, stage, state.source, describe(exc), full_traceback(exc)
            ) from exc
        return describe(exc), plugin_traceback(exc)


StageFunction = Callable[[Manager, DocState, StageContext], None]


# -- load ---------------------------------------------------------------------------


def read_input(
    state: DocState, item: InputFile, max_bytes: int, limits: Limits = DEFAULT_LIMITS
) -> Source | None:
    """Read one input file; one that cannot be read rejects ``state`` (returns None)."""
    try:
        st = item.path.stat()
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(item.name)
        if not stat.S_ISREG(st.st_mode):  # a FIFO or device would block or never end
            state.fail("load", FRAMEWORK, "is not a regular file (a pipe, socket or device)")
            return None
        size = st.st_size
        if size <= max_bytes:
            with item.path.open("rb") as fh:
                data = fh.read(max_bytes + 1)  # never more, even if the file grows meanwhile
            size = max(size, len(data))
        if size > max_bytes:
            state.fail(
                "load",
                FRAMEWORK,
                f"file is {size:,} bytes, over the size limit of {max_bytes:,} bytes (max_bytes)",
            )
            return None
    except IsADirectoryError:
        state.fail("load", FRAMEWORK, "is a folder, not a file")
        return None
    except OSError as exc:
        reason = exc.strerror or describe(exc)
        state.fail("load", FRAMEWORK, f"could not read the file: {reason}")
        return None
    return Source.from_bytes(item.name, data, item.path, limits)


class _NoText(Exception):
    """A loader took the input but found no text in it (a reject, not a plugin error)."""


class _OverLimit(Exception):
    """The text a loader returned is over ``max_text`` or ``max_line`` (the framework's reject)."""


def load(mgr: Manager, state: DocState, context: StageContext) -> None:
    """Read the state's input and run the loaders until one returns a document."""
    item = state.input
    if item is None:
        raise ValueError(f"{state.source} has no input to load")
    if isinstance(item, Source):
        source: Source | None = item
    else:
        source = read_input(state, item, context.max_bytes, context.limits)
    state.input = None
    if source is None:
        return
    sha = state.sha256 = sha256_bytes(source.data)
    if not source.data.strip():
        state.fail("load", FRAMEWORK, "the file is empty (no text to process)")
        return

    def accept(name: str, doc: Any) -> Document:
        if not isinstance(doc, Document):
            raise TypeError(f"returned {type(doc).__name__}, expected a Document")
        if not doc.text.strip():
            raise _NoText
        try:
            source.limits.check_text(doc.text)
        except LimitExceeded as exc:
            raise _OverLimit(str(exc)) from None
        language, how = resolve_language(doc.language, doc.text)
        return Document.model_validate(
            {
                **doc.model_dump(),
                "id": sha[:16],
                "source": source.name,
                "sha256": sha,
                "plugin": name,
                "language": language,
                "meta": {**doc.meta, **how},
            }
        )

    for outcome in call_each(mgr, "load", lambda: {"source": source}, accept):
        if isinstance(outcome.error, _NoText):
            state.fail("load", outcome.plugin, "no text found in the file")
        elif isinstance(outcome.error, _OverLimit):
            state.fail("load", FRAMEWORK, str(outcome.error))
        elif isinstance(outcome.error, LimitExceeded):  # a loader refused a bomb: no traceback
            state.fail("load", outcome.plugin, str(outcome.error))
        elif outcome.error is not None:
            state.fail("load", outcome.plugin, *context.plugin_failed("load", state, outcome))
        else:
            state.document = doc = outcome.value
            assert doc is not None
            state.records.extend(skip_findings(mgr, doc))
        return
    state.fail("load", FRAMEWORK, f"no loader accepts this file (media type {source.media_type})")


def load_one(mgr: Manager, source: Source) -> DocState:
    """Load one source in hand (tests, :func:`docmill.testing.run_plugins`)."""
    state = DocState.of(source)
    run_stage("load", mgr, [state], {})
    return state


# -- clean --------------------------------------------------------------------------


def clean(mgr: Manager, state: DocState, context: StageContext) -> None:
    """Collect every cleaner's edits, resolve them and build the cleaned text."""
    doc = state.document
    assert doc is not None

    def accept(name: str, result: Any) -> list[Edit]:
        edits = []
        for edit in as_list(name, "clean", result):
            if not isinstance(edit, Edit):
                raise TypeError(f"returned {type(edit).__name__}, expected Edit")
            if not 0 <= edit.start <= edit.end <= len(doc.text):
                raise ValueError(
                    f"edit [{edit.start}, {edit.end}) is outside the text (length {len(doc.text)})"
                )
            edits.append(
                Edit.model_validate({**edit.model_dump(), "doc_id": doc.id, "plugin": name})
            )
        return edits

    proposed: list[Edit] = []
    for outcome in call_each(mgr, "clean", lambda: {"doc": doc}, accept, doc.language):
        if outcome.error is not None:
            state.fail("clean", outcome.plugin, *context.plugin_failed("clean", state, outcome))
            return
        proposed.extend(outcome.value or ())
    edited = EditedText(doc.text, proposed)
    state.edits = edited.edits
    state.clean = CleanText(doc, edited)


# -- segment ------------------------------------------------------------------------


def _is_segment(record: Any) -> None:
    if not isinstance(record, Segment):
        raise TypeError(f"returned {type(record).__name__}, expected Segment")


def segment(mgr: Manager, state: DocState, context: StageContext) -> None:
    """Run the segmenters; number segments per type in text order."""
    text = state.clean
    assert text is not None

    def accept(name: str, result: Any) -> list[tuple[Segment, str, Record]]:
        returned = as_list(name, "segment", result)
        mapped = finish_all(text, returned, name, _is_segment)  # validates range and fields
        return [(seg, name, span) for seg, span in zip(returned, mapped, strict=True)]

    segments: list[tuple[Segment, str, Record]] = []
    language = text.document.language
    for outcome in call_each(mgr, "segment", lambda: {"doc": text}, accept, language):
        if outcome.error is not None:
            problem = context.plugin_failed("segment", state, outcome)
            state.fail("segment", outcome.plugin, *problem)
            return
        segments.extend(outcome.value or ())
    segments.sort(key=lambda each: (each[0].type, each[0].start, each[0].end))
    counters: dict[str, int] = {}
    numbered = []
    pages = page_ranges(text.document.meta)
    for seg, name, mapped in segments:
        assert isinstance(mapped, Segment)
        index = counters.get(seg.type, 0)
        counters[seg.type] = index + 1
        numbered.append(updated(seg, {"plugin": name, "doc_id": text.id, "index": index}))
        # the mapped span is this stage's own (finish_all made it): numbered in place
        fill_in(mapped, {"index": index})
        if "index" in mapped.id_fields:  # a plugin's Segment type may count it in
            fill_in(mapped, {"id": span_id(text.id, mapped)})
        if pages:
            fill_in(mapped, {"page": page_at(pages, mapped.start)})
        state.records.append(mapped)
    state.segments = numbered


# -- extract ------------------------------------------------------------------------


def plugin_error(
    doc_id: str, stage: str, plugin: str, problem: str, traceback: str | None = None
) -> Finding:
    """The error finding that replaces a plugin's contribution to one document."""
    return Finding(
        doc_id=doc_id,
        plugin=plugin,
        code="plugin-error",
        severity="error",
        message=f"{stage} plugin {plugin!r} failed on this document: {problem}",
        traceback=traceback,
    )


def _extractable(kinds: Mapping[str, type[Record]]) -> Callable[[Any], None]:
    """The check of each record an extractor returns: a record of a declared kind."""

    def check(record: Any) -> None:
        if not isinstance(record, DocRecord):
            raise TypeError(f"returned {type(record).__name__}, expected a DocRecord or Span")
        if kinds.get(record.kind) is not type(record):
            raise TypeError(
                f"record kind {record.kind!r} is not declared (add it to the record_types hook)"
            )

    return check


def extract(mgr: Manager, state: DocState, context: StageContext) -> None:
    """Run the extractors in order, each seeing what earlier ones found."""
    text = state.clean
    assert text is not None

    def arguments() -> dict[str, Any]:
        return {"doc": text, "segments": state.segments, "found": tuple(state.found)}

    check = _extractable(context.kinds)

    def accept(name: str, result: Any) -> tuple[list[Any], list[Record]]:
        returned = as_list(name, "extract", result)
        return returned, finish_all(text, returned, name, check)

    language = text.document.language
    for outcome in call_each(mgr, "extract", arguments, accept, language):
        if outcome.error is not None:
            problem = context.plugin_failed("extract", state, outcome)
            state.records.append(plugin_error(text.id, "extract", outcome.plugin, *problem))
            continue
        assert outcome.value is not None
        returned, finished = outcome.value
        state.found.extend(updated(r, {"plugin": outcome.plugin}) for r in returned)
        state.records.extend(finished)


# -- validate -----------------------------------------------------------------------


def validate(mgr: Manager, state: DocState, context: StageContext) -> None:
    """Run the validators over the final records and add their findings."""
    doc = state.document
    assert doc is not None
    records: tuple[Record, ...] = (*state.edits, *state.records)

    def accept(name: str, result: Any) -> list[Finding]:
        batch = []
        for f in as_list(name, "validate", result):
            if not isinstance(f, Finding):
                raise TypeError(f"returned {type(f).__name__}, expected Finding")
            for pos in (f.start, f.end):
                if pos is not None and not 0 <= pos <= len(doc.text):
                    raise ValueError(f"finding offset {pos} is outside the text")
            batch.append(
                Finding.model_validate(
                    {**f.model_dump(), "doc_id": doc.id, "plugin": f.plugin or name}
                )
            )
        return batch

    findings: list[Record] = []
    arguments = {"doc": doc, "records": records}
    for outcome in call_each(mgr, "validate", lambda: arguments, accept, doc.language):
        if outcome.error is not None:
            problem = context.plugin_failed("validate", state, outcome)
            findings.append(plugin_error(doc.id, "validate", outcome.plugin, *problem))
            continue
        findings.extend(outcome.value or ())
    state.records = [*state.edits, *state.records, *findings]


# -- batch driver -------------------------------------------------------------------

#: Each stage's function.
STAGE_FUNCTIONS: dict[Stage, StageFunction] = {
    "load": load,
    "clean": clean,
    "segment": segment,
    "extract": extract,
    "validate": validate,
}


def run_stage(
    stage: Stage,
    mgr: Manager,
    states: Sequence[DocState],
    kinds: Mapping[str, type[Record]],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    fail_fast: bool = False,
    limits: Limits = DEFAULT_LIMITS,
) -> list[DocState]:
    """Apply ``stage`` to every live state of a batch, in place; returns the states.

    Rejected states pass untouched. A framework bug costs its document only (a
    reject naming ``docmill``); a plugin failure with ``fail_fast`` raises
    :class:`PluginError` and leaves the rest of the batch unprocessed.
    """
    run = STAGE_FUNCTIONS.get(stage)
    if run is None:
        raise ValueError(f"unknown stage {stage!r}")
    context = StageContext(kinds, max_bytes, fail_fast, limits)
    for state in states:
        if not state.alive:
            continue
        try:
            run(mgr, state, context)
        except PluginError:
            raise
        except Exception as exc:  # a framework bug must still cost one document only
            state.fail(stage, FRAMEWORK, f"internal error: {describe(exc)}")
    return list(states)
