"""Re-validate every record and check every span against the document's source text."""

from __future__ import annotations

import types
from bisect import bisect_left
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any, Literal, Union, get_args, get_origin

from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel, ValidationError

from docmill import Document, Edit, Finding, Record, Span, hookimpl


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


#: Values a field of one of these types accepts as they are, in pydantic's lax mode.
_ATOMS: frozenset[type] = frozenset({str, int, float, bool, type(None)})
#: Settings of ``model_config`` that do not change how a value of an atom validates.
_NEUTRAL_CONFIG = frozenset({"frozen", "extra", "title", "json_schema_extra"})
#: The bounds (``Field(ge=0)``) checked here, as (attribute, operator).
_BOUNDS: dict[type, tuple[str, str]] = {
    Ge: ("ge", ">="), Gt: ("gt", ">"), Le: ("le", "<="), Lt: ("lt", "<")
}  # fmt: skip
#: The field types a bound is checked on here.
_BOUNDED = (frozenset({int}), frozenset({float}))
_MISSING = object()


def _accepted(annotation: Any) -> tuple[frozenset[type], frozenset[tuple[type, Any]]] | None:
    """(types, literal pairs) a field of this annotation takes as they are; None when
    it is not made of atoms, Literals of atoms and unions of them."""
    if annotation in _ATOMS:
        return frozenset({annotation}), frozenset()
    origin = get_origin(annotation)
    if origin is Literal:
        args = get_args(annotation)
        if not all(type(a) in _ATOMS for a in args):
            return None
        return frozenset(), frozenset((type(a), a) for a in args)
    if origin is Union or origin is types.UnionType:
        free: frozenset[type] = frozenset()
        pairs: frozenset[tuple[type, Any]] = frozenset()
        for arg in get_args(annotation):
            one = _accepted(arg)
            if one is None:
                return None
            free, pairs = free | one[0], pairs | one[1]
        return free, pairs
    return None


@cache
def _as_is_check(cls: type[Record]) -> Callable[[dict[str, Any]], bool] | None:
    """A test of a ``cls`` record's ``__dict__``: true when every field holds a value of
    exactly a type its annotation takes as it is (or one of its literals), within its
    bounds, and nothing else is set. None when that cannot be told without pydantic (a
    validator, a serializer, a post-init, an alias, a constraint other than a bound, a
    field not of atoms, a setting that changes validation).

    The test is compiled for the type (as dataclasses compile ``__init__``): a loop over
    the fields took three times as long, more than the validation it saves.
    """
    d = cls.__pydantic_decorators__
    if (
        not _pydantic_methods(cls)
        or d.validators or d.field_validators or d.root_validators or d.model_validators
        or d.field_serializers or d.model_serializers or cls.model_computed_fields
        or cls.__pydantic_post_init__ is not None
        or cls.model_config.get("extra", "ignore") not in ("ignore", "forbid")
        or not set(cls.model_config) <= _NEUTRAL_CONFIG
        or getattr(cls.__get_pydantic_core_schema__, "__func__", None)
        is not getattr(BaseModel.__get_pydantic_core_schema__, "__func__", None)
    ):  # fmt: skip
        return None
    names: dict[str, Any] = {"_ATOMS": _ATOMS, "_MISSING": _MISSING}
    lines = [f"    if len(values) != {len(cls.model_fields)}:", "        return False"]
    for i, (name, field) in enumerate(cls.model_fields.items()):
        accepted = _accepted(field.annotation)
        if (
            accepted is None
            or field.alias not in (None, name)
            or field.validation_alias not in (None, name)
            or field.serialization_alias not in (None, name)
            or field.exclude
            or getattr(field, "exclude_if", None) is not None  # pydantic 2.12 and later
        ):
            return None
        free, pairs = accepted
        bounds = list(field.metadata)
        if bounds and (
            free not in _BOUNDED or pairs or not all(type(b) in _BOUNDS for b in bounds)
        ):
            return None
        names[f"free{i}"], names[f"pairs{i}"] = free, pairs
        lines += [f"    v = values.get({name!r}, _MISSING)", "    t = type(v)"]
        lines += [
            f"    if t not in free{i} and (t not in _ATOMS or (t, v) not in pairs{i}):",
            "        return False",
        ]
        for j, bound in enumerate(bounds):
            attribute, operator = _BOUNDS[type(bound)]
            names[f"bound{i}_{j}"] = getattr(bound, attribute)
            lines += [f"    if not v {operator} bound{i}_{j}:", "        return False"]
    source = "\n".join(["def check(values):", *lines, "    return True"])
    exec(compile(source, f"<validate_spans check of {cls.__qualname__}>", "exec"), names)
    check: Callable[[dict[str, Any]], bool] = names["check"]
    return check


def _validates_as_is(rec: Record) -> bool:
    """Whether ``type(rec).model_validate(rec.model_dump())`` provably succeeds
    (:func:`_as_is_check`). False means "ask pydantic", not "invalid"."""
    check = _as_is_check(type(rec))
    return check is not None and not rec.__pydantic_extra__ and check(rec.__dict__)


def _revalidate(rec: Record) -> None:
    """``type(rec).model_validate(rec.model_dump())``: nothing when the record provably
    validates as it is (:func:`_validates_as_is`, what the framework's records do),
    else what those two do, called on pydantic-core directly (without their Python
    wrappers, a third of the time) unless the record's class overrides either."""
    if _validates_as_is(rec):
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
