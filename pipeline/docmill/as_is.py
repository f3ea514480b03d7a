"""Whether a record's values validate as they are, told without asking pydantic.

Validating a record whose every field already holds a value of exactly a type its
annotation takes (a ``str`` in a ``str`` field, one of a ``Literal``'s values, an
``int`` within its ``Field(ge=0)``) gives back those very values. For record types
made only of such fields, with nothing that runs code during validation (a
validator, a post-init, a setting that changes values), that is decided by a test
compiled once per type, at a third of pydantic's cost. The framework uses it to
finish the records plugins return without validating them a second time, and the
built-in ``validate_spans`` to re-check records: where the test says no, pydantic
is asked as before, so it changes no outcome.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from functools import cache
from typing import Any, Literal, Union, get_args, get_origin

from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel

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

Check = Callable[[dict[str, Any]], bool]


def accepted(annotation: Any) -> tuple[frozenset[type], frozenset[tuple[type, Any]]] | None:
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
            one = accepted(arg)
            if one is None:
                return None
            free, pairs = free | one[0], pairs | one[1]
        return free, pairs
    return None


def _pydantic_methods(cls: type[BaseModel]) -> bool:
    """Whether ``cls`` keeps pydantic's own ``model_dump``, ``model_validate`` and
    core schema."""

    def own(name: str) -> bool:
        return getattr(getattr(cls, name), "__func__", None) is getattr(
            getattr(BaseModel, name), "__func__", None
        )

    return (
        cls.model_dump is BaseModel.model_dump
        and own("model_validate")
        and own("__get_pydantic_core_schema__")
    )


@cache
def as_is_check(cls: type[BaseModel]) -> Check | None:
    """A test of a ``cls`` record's field values (its ``__dict__``, or the dict it would
    be validated from): true when it holds every field, in the fields' order, and
    nothing else, each a value of exactly a type its annotation takes as it is (or one
    of its literals) within its bounds; then ``cls.model_validate(values)`` succeeds
    and its record holds these values. None when that cannot be told without
    pydantic: a validator, a serializer, a post-init or private attribute, an alias,
    an excluded field, a constraint other than a bound, a field not of atoms, a
    setting that changes validation, or a ``model_dump``, ``model_validate`` or
    ``__new__`` of its own.

    Compiled for the type (as dataclasses compile ``__init__``): a loop over the
    fields took three times as long, more than the validation it saves.
    """
    d = cls.__pydantic_decorators__
    if (
        not _pydantic_methods(cls)
        or d.validators or d.field_validators or d.root_validators or d.model_validators
        or d.field_serializers or d.model_serializers or cls.model_computed_fields
        or cls.__pydantic_post_init__ is not None or cls.__private_attributes__
        or cls.__new__ is not object.__new__
        or cls.model_config.get("extra", "ignore") not in ("ignore", "forbid")
        or not set(cls.model_config) <= _NEUTRAL_CONFIG
    ):  # fmt: skip
        return None
    order = tuple(cls.model_fields)
    names: dict[str, Any] = {"_ATOMS": _ATOMS, "_ORDER": order}
    # the keys, in the fields' order (as pydantic's records hold them), then the values
    lines = ["    if tuple(values) != _ORDER:", "        return False"]
    lines.append(f"    {', '.join(f'v{i}' for i in range(len(order)))}, = values.values()")
    for i, (name, field) in enumerate(cls.model_fields.items()):
        taken = accepted(field.annotation)
        if (
            taken is None
            or field.alias not in (None, name)
            or field.validation_alias not in (None, name)
            or field.serialization_alias not in (None, name)
            or field.exclude
            or getattr(field, "exclude_if", None) is not None  # pydantic 2.12 and later
        ):
            return None
        free, pairs = taken
        bounds = list(field.metadata)
        if bounds and (
            free not in _BOUNDED or pairs or not all(type(b) in _BOUNDS for b in bounds)
        ):
            return None
        names[f"free{i}"], names[f"pairs{i}"] = free, pairs
        if pairs:
            lines += [
                f"    t = type(v{i})",
                f"    if t not in free{i} and (t not in _ATOMS or (t, v{i}) not in pairs{i}):",
                "        return False",
            ]
        else:
            lines += [f"    if type(v{i}) not in free{i}:", "        return False"]
        for j, bound in enumerate(bounds):
            attribute, operator = _BOUNDS[type(bound)]
            names[f"bound{i}_{j}"] = getattr(bound, attribute)
            lines += [f"    if not v{i} {operator} bound{i}_{j}:", "        return False"]
    source = "\n".join(["def check(values):", *lines, "    return True"])
    exec(compile(source, f"<as_is check of {cls.__qualname__}>", "exec"), names)
    check: Check = names["check"]
    return check


def validates_as_is(record: BaseModel) -> bool:
    """Whether ``type(record).model_validate(record.model_dump())`` provably succeeds,
    told from the record's values without pydantic (see :func:`as_is_check`). False
    means "ask pydantic", not "invalid": a validator writing checks over records it did
    not build (``validate_spans``) can skip pydantic for the records this accepts."""
    check = as_is_check(type(record))
    return check is not None and not record.__pydantic_extra__ and check(record.__dict__)
