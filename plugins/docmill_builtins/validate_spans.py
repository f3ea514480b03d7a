"""Re-validate every record and check every span against the document's source text."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from functools import cache

from pydantic import BaseModel, ValidationError

from docmill import Document, Edit, Finding, Record, Span, hookimpl, validates_as_is


def _edited_inside(edit_starts: list[int], edits: list[Edit], start: int, end: int) -> bool:
    i = bisect_left(edit_starts, start)
    if i > 0 and edits[i - 1].end > start:
        return True
    return i < len(edits) and edits[i].start < end


@cache
def _pydantic_methods(cls: type[Record]) -> bool:
    """Whether ``cls`` keeps pydantic's own ``model_dump`` and ``model_validate``."""
    validate = getattr(cls.model_validate, "__func__", None)
    return cls.model_dump is BaseModel.model_dump and (
        validate is getattr(BaseModel.model_validate, "__func__", None)
    )


def _revalidate(rec: Record) -> None:
    """``type(rec).model_validate(rec.model_dump())``: nothing when the record provably
    validates as it is (:func:`docmill.validates_as_is`, what the framework's records do),
    else what those two do, called on pydantic-core directly (without their Python
    wrappers, a third of the time) unless the record's class overrides either."""
    if validates_as_is(rec):
        return
    cls = type(rec)
    if _pydantic_methods(cls):
        cls.__pydantic_validator__.validate_python(rec.__pydantic_serializer__.to_python(rec))
    else:
        cls.model_validate(rec.model_dump())


@hookimpl(trylast=True)
def validate(doc: Document, records: Sequence[Record]) -> list[Finding]:
    findings: list[Finding] = []
    edits = sorted((r for r in records if isinstance(r, Edit)), key=lambda e: e.start)
    starts = [e.start for e in edits]
    n = len(doc.text)
    for rec in records:
        try:
            _revalidate(rec)
        except ValidationError as exc:
            findings.append(
                Finding(
                    code="invalid-record",
                    severity="error",
                    message=f"{rec.kind} from {rec.plugin!r} does not validate: {exc}",
                )
            )
            continue
        if not isinstance(rec, Span):
            continue
        if not 0 <= rec.start <= rec.end <= n:
            findings.append(
                Finding(
                    code="span-out-of-range",
                    severity="error",
                    message=f"{rec.kind} {rec.id} [{rec.start}, {rec.end}) from "
                    f"{rec.plugin!r} is outside the text (length {n})",
                )
            )
        elif not _edited_inside(starts, edits, rec.start, rec.end) and (
            doc.text[rec.start : rec.end] != rec.text
        ):
            findings.append(
                Finding(
                    code="span-text-mismatch",
                    severity="error",
                    start=rec.start,
                    end=rec.end,
                    message=f"{rec.kind} {rec.id} from {rec.plugin!r}: text {rec.text!r} "
                    f"is not the source {doc.text[rec.start : rec.end]!r}",
                )
            )
    return findings
