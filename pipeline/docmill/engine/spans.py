"""What segment and extract make of a plugin's records: checked, then in source offsets.

:func:`finish_all` takes every record one call of a plugin returned. Each is
checked as it always was (its type and declared kind by the stage's ``check``,
a span's offsets inside the cleaned text), in the order returned, and each is
validated by its own type once more with the values the framework fills in
(``doc_id``, ``plugin``, and for a span its source ``start``/``end``, ``text`` and
``id``): the plugin's validators run on what it returned, a record it built with
``model_construct`` or ``model_copy(update=...)`` is refused like one that fails
validation, and the first problem (in the order the records came) is the one
raised, as when each record was finished on its own.

What is cheaper than finishing one record at a time: the spans' offsets are
mapped to the source in one pass (:meth:`docmill.text.EditedText.to_source_all`);
the data validated is the record's ``__dict__`` instead of ``model_dump()`` when
the type's dump is provably that dict (:func:`dump_is_dict`: plain fields, no
serializer, decided once per type); the validation itself is left to pydantic only
when the values do not provably validate as they are (:func:`validated`); the id is
set on the new record instead of copying it again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel, PlainSerializer, WrapSerializer

from docmill.as_is import accepted, as_is_check
from docmill.records import Record, RecordT, Span, built, fill_in, span_id
from docmill.text import CleanText

#: Per record type: whether :func:`dump_is_dict` holds (decided at its first record).
_dict_is_dump: dict[type[BaseModel], bool] = {}


def _plain(annotation: Any) -> bool:
    """Whether a field of this type holds only values ``model_dump`` passes through:
    atoms, Literals of atoms and unions of them (:func:`docmill.as_is.accepted`)."""
    return accepted(annotation) is not None


def dump_is_dict(cls: type[BaseModel]) -> bool:
    """Whether ``record.model_dump()`` of a ``cls`` record equals its ``__dict__`` (same keys,
    same values, in order), so validating either gives the same record.

    True for a type whose every field is a str, int, float, bool, None, a Literal of
    those or a union of them, under its own name (no alias), not excluded, with no
    serializer (field, model or ``Annotated``) and no computed field. Anything else
    (a nested model, a list, ``Any`` …) is dumped by pydantic as before.
    """
    known = _dict_is_dump.get(cls)
    if known is not None:
        return known
    decorators = cls.__pydantic_decorators__
    plain = not (
        cls.model_computed_fields or decorators.field_serializers or decorators.model_serializers
    ) and all(
        _plain(field.annotation)
        and not field.exclude
        and getattr(field, "exclude_if", None) is None  # pydantic 2.12 and later
        and field.alias in (None, name)
        and field.serialization_alias in (None, name)
        and not any(isinstance(m, (PlainSerializer, WrapSerializer)) for m in field.metadata)
        for name, field in cls.model_fields.items()
    )
    _dict_is_dump[cls] = plain
    return plain


def fields_of(record: Record) -> dict[str, Any]:
    """A new dict of ``record.model_dump()``'s keys and values, cheaply when
    :func:`dump_is_dict` says the record's ``__dict__`` is that."""
    if not record.__pydantic_extra__ and dump_is_dict(type(record)):
        return record.__dict__.copy()
    return record.model_dump()


def validated(cls: type[RecordT], data: dict[str, Any]) -> RecordT:
    """``cls.model_validate(data)``, without pydantic when ``data`` provably validates
    as it is (:func:`docmill.as_is.as_is_check`): the same record either way."""
    check = as_is_check(cls)
    if check is not None and check(data):
        return built(cls, data)
    return cls.model_validate(data)


def _outside(record: Span, length: int) -> ValueError:
    return ValueError(
        f"{record.kind} span [{record.start}, {record.end}) is outside the cleaned text "
        f"(length {length})"
    )


def finish_all(
    clean: CleanText, returned: Sequence[Any], plugin: str, check: Callable[[Any], None]
) -> list[Record]:
    """The records the run keeps for ``returned``, one plugin call's result, in its order.

    ``check(record)`` raises for a record the stage refuses (its type, its kind);
    a span must lie inside the cleaned text; every record is validated by its own
    type with ``doc_id`` and ``plugin`` filled in, a span in source offsets with its
    cleaned ``text`` and its ``id``. The first problem in the order of ``returned``
    raises (a span's validation comes before a later record's check, as it did when
    each was finished in turn).
    """
    length = len(clean.text)
    taken: list[Any] = []
    problem: Exception | None = None
    for record in returned:
        try:
            check(record)
            if isinstance(record, Span) and not 0 <= record.start <= record.end <= length:
                raise _outside(record, length)
        except Exception as exc:  # raised after the records before it are validated
            problem = exc
            break
        taken.append(record)
    spans = [(r.start, r.end) for r in taken if isinstance(r, Span)]
    mapped = iter(clean.edited.to_source_all(spans))
    text, doc_id = clean.text, clean.id
    finished: list[Record] = []
    for record in taken:
        data = fields_of(record)
        data["doc_id"] = doc_id
        data["plugin"] = plugin
        if not isinstance(record, Span):
            finished.append(validated(type(record), data))
            continue
        data["start"], data["end"] = next(mapped)
        data["text"] = text[record.start : record.end]
        data["id"] = ""
        span = validated(type(record), data)
        finished.append(fill_in(span, {"id": span_id(doc_id, span)}))
    if problem is not None:
        raise problem
    return finished
