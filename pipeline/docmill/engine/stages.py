"""The five stages as plain functions over a batch of documents.

Each hook implementation is called on its own, so a plugin that raises or
returns bad records costs only its own contribution: in load, clean and segment
the input becomes a :class:`~docmill.records.Reject`; in extract and validate
the document keeps every other plugin's records plus an error finding naming the
plugin. :mod:`docmill.orchestration.flow` wraps these functions in Prefect tasks.
"""

from __future__ import annotations

import re
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from docmill.hashing import sha256_bytes
from docmill.language import detect as detect_language
from docmill.pages import page_at, page_ranges
from docmill.plugins import Manager
from docmill.records import (
    DocRecord,
    Document,
    Edit,
    Finding,
    Record,
    Reject,
    Segment,
    Span,
    sort_key,
    span_id,
    stable_id,
)
from docmill.sources import InputFile, Source
from docmill.text import CleanText, EditedText

FRAMEWORK = "docmill"


@dataclass
class DocState:
    """One input on its way through the stages."""

    source: str
    sha256: str
    document: Document | None = None
    clean: CleanText | None = None
    edits: list[Edit] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)  # cleaned offsets
    found: list[Record] = field(default_factory=list)  # cleaned offsets, as returned
    records: list[Record] = field(default_factory=list)  # final: source offsets
    reject: Reject | None = None

    @property
    def alive(self) -> bool:
        return self.reject is None and self.document is not None

    def fail(self, stage: str, plugin: str, error: str) -> None:
        self.reject = Reject(
            source=self.source, stage=stage, plugin=plugin, error=error, sha256=self.sha256
        )

    def output(self) -> list[Record]:
        """Every record of this input, in the order they are written."""
        if self.reject is not None:
            return [self.reject]
        assert self.document is not None
        return [self.document, *sorted(self.records, key=sort_key)]


def describe(exc: BaseException) -> str:
    """An exception as one line a user can read."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _as_list(plugin: str, hook: str, result: object) -> list[Any]:
    if result is None:
        return []
    if isinstance(result, (str, bytes, Record)) or not isinstance(result, Iterable):
        raise TypeError(
            f"{hook} hook of {plugin!r} returned {type(result).__name__}, expected an iterable"
        )
    return list(result)


# -- load ---------------------------------------------------------------------------


def read_input(item: InputFile, max_bytes: int) -> DocState | Source:
    """Read one input file; a file that cannot be read becomes a rejected state."""
    try:
        st = item.path.stat()
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(item.name)
        if not stat.S_ISREG(st.st_mode):  # a FIFO or device would block or never end
            state = DocState(item.name, "")
            state.fail("load", FRAMEWORK, "is not a regular file (a pipe, socket or device)")
            return state
        size = st.st_size
        if size <= max_bytes:
            with item.path.open("rb") as fh:
                data = fh.read(max_bytes + 1)  # never more, even if the file grows meanwhile
            size = max(size, len(data))
        if size > max_bytes:
            state = DocState(item.name, "")
            state.fail(
                "load",
                FRAMEWORK,
                f"file is {size:,} bytes, over the size limit of {max_bytes:,} bytes (max_bytes)",
            )
            return state
    except IsADirectoryError:
        state = DocState(item.name, "")
        state.fail("load", FRAMEWORK, "is a folder, not a file")
        return state
    except OSError as exc:
        state = DocState(item.name, "")
        reason = exc.strerror or describe(exc)
        state.fail("load", FRAMEWORK, f"could not read the file: {reason}")
        return state
    return Source.from_bytes(item.name, data, item.path)


def load_one(mgr: Manager, source: Source) -> DocState:
    """Run the loaders on one source until one returns a document."""
    sha = sha256_bytes(source.data)
    state = DocState(source.name, sha)
    if not source.data.strip():
        state.fail("load", FRAMEWORK, "the file is empty (no text to process)")
        return state
    for name, fn in mgr.ordered("load"):
        try:
            doc = fn(source=source)
            if doc is None:
                continue
            if not isinstance(doc, Document):
                raise TypeError(f"returned {type(doc).__name__}, expected a Document")
            if not doc.text.strip():
                state.fail("load", name, "no text found in the file")
                return state
            state.document = Document.model_validate(
                {
                    **doc.model_dump(),
                    "id": sha[:16],
                    "source": source.name,
                    "sha256": sha,
                    "plugin": name,
                    "language": doc.language or detect_language(doc.text),
                }
            )
        except Exception as exc:
            state.fail("load", name, describe(exc))
        return state
    state.fail("load", FRAMEWORK, f"no loader accepts this file (media type {source.media_type})")
    return state


def load_batch(mgr: Manager, items: Sequence[InputFile], max_bytes: int) -> list[DocState]:
    """Read and load a batch of input files."""
    states = []
    for item in items:
        read = read_input(item, max_bytes)
        states.append(read if isinstance(read, DocState) else load_one(mgr, read))
    return states


# -- clean --------------------------------------------------------------------------


def clean_one(mgr: Manager, state: DocState) -> None:
    """Collect every cleaner's edits, resolve them and build the cleaned text."""
    doc = state.document
    assert doc is not None
    proposed: list[Edit] = []
    for name, fn in mgr.ordered("clean"):
        try:
            for edit in _as_list(name, "clean", fn(doc=doc)):
                if not isinstance(edit, Edit):
                    raise TypeError(f"returned {type(edit).__name__}, expected Edit")
                if not 0 <= edit.start <= edit.end <= len(doc.text):
                    raise ValueError(
                        f"edit [{edit.start}, {edit.end}) is outside the text "
                        f"(length {len(doc.text)})"
                    )
                proposed.append(
                    Edit.model_validate({**edit.model_dump(), "doc_id": doc.id, "plugin": name})
                )
        except Exception as exc:
            state.fail("clean", name, describe(exc))
            return
    edited = EditedText(doc.text, proposed)
    state.edits = edited.edits
    state.clean = CleanText(doc, edited)


# -- segment ------------------------------------------------------------------------


def _map_span(clean: CleanText, record: Span, plugin: str) -> Span:
    """Validate a plugin's span in cleaned offsets and return it in source offsets."""
    n = len(clean.text)
    if not 0 <= record.start <= record.end <= n:
        raise ValueError(
            f"{record.kind} span [{record.start}, {record.end}) is outside the cleaned text "
            f"(length {n})"
        )
    start, end = clean.to_source(record.start, record.end)
    data = record.model_dump()
    data.update(
        doc_id=clean.id,
        plugin=plugin,
        start=start,
        end=end,
        text=clean.text[record.start : record.end],
    )
    data["id"] = ""
    mapped = type(record).model_validate(data)
    return mapped.model_copy(update={"id": span_id(clean.id, mapped)})


def segment_one(mgr: Manager, state: DocState) -> None:
    """Run the segmenters; number segments per type in text order."""
    clean = state.clean
    assert clean is not None
    segments: list[Segment] = []
    for name, fn in mgr.ordered("segment"):
        try:
            for seg in _as_list(name, "segment", fn(doc=clean)):
                if not isinstance(seg, Segment):
                    raise TypeError(f"returned {type(seg).__name__}, expected Segment")
                _map_span(clean, seg, name)  # validates range and fields
                segments.append(seg.model_copy(update={"plugin": name, "doc_id": clean.id}))
        except Exception as exc:
            state.fail("segment", name, describe(exc))
            return
    segments.sort(key=lambda s: (s.type, s.start, s.end))
    counters: dict[str, int] = {}
    numbered = []
    for seg in segments:
        index = counters.get(seg.type, 0)
        counters[seg.type] = index + 1
        numbered.append(seg.model_copy(update={"index": index}))
    state.segments = numbered
    pages = page_ranges(clean.document.meta)
    for seg in numbered:
        mapped = _map_span(clean, seg, seg.plugin)
        if pages:
            mapped = mapped.model_copy(update={"page": page_at(pages, mapped.start)})
        state.records.append(mapped)


# -- extract ------------------------------------------------------------------------


def plugin_error(doc_id: str, stage: str, plugin: str, problem: str) -> Finding:
    """The error finding that replaces a plugin's contribution to one document."""
    return Finding(
        doc_id=doc_id,
        plugin=plugin,
        code="plugin-error",
        severity="error",
        message=f"{stage} plugin {plugin!r} failed on this document: {problem}",
    )


def _finish(clean: CleanText, record: Any, plugin: str, kinds: dict[str, type[Record]]) -> Record:
    if not isinstance(record, DocRecord):
        raise TypeError(f"returned {type(record).__name__}, expected a DocRecord or Span")
    if kinds.get(record.kind) is not type(record):
        raise TypeError(
            f"record kind {record.kind!r} is not declared (add it to the record_types hook)"
        )
    if isinstance(record, Span):
        return _map_span(clean, record, plugin)
    data = record.model_dump()
    data.update(doc_id=clean.id, plugin=plugin)
    return type(record).model_validate(data)


def extract_one(mgr: Manager, state: DocState, kinds: dict[str, type[Record]]) -> None:
    """Run the extractors in order, each seeing what earlier ones found."""
    clean = state.clean
    assert clean is not None
    for name, fn in mgr.ordered("extract"):
        try:
            returned = _as_list(
                name, "extract", fn(doc=clean, segments=state.segments, found=tuple(state.found))
            )
            finished = [_finish(clean, r, name, kinds) for r in returned]
        except (Exception, ValidationError) as exc:
            state.records.append(plugin_error(clean.id, "extract", name, describe(exc)))
            continue
        state.found.extend(r.model_copy(update={"plugin": name}) for r in returned)
        state.records.extend(finished)


# -- validate -----------------------------------------------------------------------


def validate_one(mgr: Manager, state: DocState) -> None:
    """Run the validators over the final records and add their findings."""
    doc = state.document
    assert doc is not None
    records: list[Record] = [*state.edits, *state.records]
    findings: list[Record] = []
    for name, fn in mgr.ordered("validate"):
        try:
            batch = []
            for f in _as_list(name, "validate", fn(doc=doc, records=tuple(records))):
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
        except Exception as exc:
            findings.append(plugin_error(doc.id, "validate", name, describe(exc)))
            continue
        findings.extend(batch)
    state.records = [*state.edits, *state.records, *findings]


# -- batch driver -------------------------------------------------------------------


def run_stage(
    stage: str, mgr: Manager, states: list[DocState], kinds: dict[str, type[Record]]
) -> list[DocState]:
    """Apply one of clean/segment/extract/validate to every live document of a batch."""
    for state in states:
        if not state.alive:
            continue
        try:
            if stage == "clean":
                clean_one(mgr, state)
            elif stage == "segment":
                segment_one(mgr, state)
            elif stage == "extract":
                extract_one(mgr, state, kinds)
            elif stage == "validate":
                validate_one(mgr, state)
            else:
                raise ValueError(f"unknown stage {stage!r}")
        except Exception as exc:  # a framework bug must still cost one document only
            state.fail(stage, FRAMEWORK, f"internal error: {describe(exc)}")
    return states


def record_kinds(mgr: Manager) -> dict[str, type[Record]]:
    """Every record kind: the core ones and those plugins declare."""
    from docmill.records import CORE_RECORD_TYPES

    kinds: dict[str, type[Record]] = {t.kind_name(): t for t in CORE_RECORD_TYPES}
    for name, fn in mgr.ordered("record_types"):
        try:
            declared = _as_list(name, "record_types", fn())
        except Exception:
            continue
        for t in declared:
            if not (isinstance(t, type) and issubclass(t, Record)):
                continue
            try:
                kind = t.kind_name()
            except TypeError:  # no literal kind: its records are refused as undeclared
                continue
            if _KIND.fullmatch(kind):  # a kind names a file: never a path
                kinds.setdefault(kind, t)
    return kinds


#: What a record kind may be: it becomes a file name in the run folder.
_KIND = re.compile(r"[a-z][a-z0-9_]{0,63}")


def dedupe_id(source: str) -> str:
    """Id used for a reject record that has no document (stable per source)."""
    return stable_id("reject", source)
