"""Run a text through the real built-in stages (no Prefect): clean, segment, extract, validate."""

from __future__ import annotations

from functools import cache
from typing import TypeVar

from docmill.engine import stages
from docmill.engine.stages import DocState
from docmill.plugins import Manager, build_manager
from docmill.records import Document, Record

R = TypeVar("R", bound=Record)


@cache
def manager() -> Manager:
    return build_manager()


def run_text(text: str, published: str | None = None) -> DocState:
    """The final state of one document (records in source offsets)."""
    mgr = manager()
    state = DocState("sample.txt", "0")
    state.document = Document(id="d", media_type="text/plain", text=text, published=published)
    kinds = stages.record_kinds(mgr)
    for stage in ("clean", "segment", "extract", "validate"):
        stages.run_stage(stage, mgr, [state], kinds)
    assert state.reject is None, state.reject
    errors = [r for r in state.records if getattr(r, "severity", "") == "error"]
    assert not errors, errors
    return state


def of(state: DocState, kind: type[R]) -> list[R]:
    """The records of one type, in text order."""
    found = [r for r in state.records if isinstance(r, kind)]
    return sorted(found, key=lambda r: (getattr(r, "start", 0) or 0, getattr(r, "end", 0) or 0))
