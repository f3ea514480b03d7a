"""The record types: docmill's output schema.

Every record is a frozen pydantic model with ``extra="forbid"`` and a literal
``kind`` that names its JSONL file (``<kind>s.jsonl``). Field names are the
public output contract: add fields freely, rename none without bumping
:data:`SCHEMA_VERSION`.

Offsets: every ``start``/``end`` is a ``str`` index into the ``text`` of the
document record (the text as loaded, before cleaning). Plugins produce spans on
the *cleaned* text; the framework maps them back (see :mod:`docmill.text`),
and fills ``doc_id``, ``id``, ``text`` and ``plugin``, so a plugin only sets
``start``, ``end`` and its own fields.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from operator import attrgetter
from typing import Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

SCHEMA_VERSION = "1"

Severity = Literal["error", "warning", "info"]


def stable_id(*parts: object) -> str:
    """A short deterministic id: the first 16 hex digits of sha256 over ``parts``, each
    as ``str(part)`` in UTF-8 (lone surrogates passed) and followed by ``\\x1f``.

    Encoded and hashed in one go: the separator is no surrogate, so encoding the joined
    text gives the very bytes encoding each part did.
    """
    return _digest("\x1f".join([*map(str, parts), ""]))


def _digest(text: str) -> str:
    """The first 16 hex digits of sha256 over ``text`` in UTF-8, lone surrogates passed."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


class Record(BaseModel):
    """Base of every record kind. Subclasses set ``kind`` to a literal."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str
    #: The plugin that produced the record (filled by the framework).
    plugin: str = ""

    #: Order of the fields in a span's id; subclasses may add a field (label).
    id_fields: ClassVar[tuple[str, ...]] = ()
    #: The fields report.html shows on each span of this kind, in this order (a
    #: plugin's span kind names its own, e.g. ``("amount", "currency")``).
    report_fields: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def kind_name(cls) -> str:
        """The ``kind`` literal of this record type."""
        default = cls.model_fields["kind"].default
        if not isinstance(default, str):
            raise TypeError(f"{cls.__name__} has no literal default for 'kind'")
        return default

    @classmethod
    def file_name(cls) -> str:
        """The JSONL file this kind is written to: its plural (``entity`` -> ``entities.jsonl``)."""
        kind = cls.kind_name()
        if kind.endswith("y") and kind[-2:-1] not in ("a", "e", "i", "o", "u"):
            return f"{kind[:-1]}ies.jsonl"
        if kind.endswith(("s", "x", "ch", "sh")):
            return f"{kind}es.jsonl"
        return f"{kind}s.jsonl"


class Document(Record):
    """One input that was loaded. ``text`` is the source all offsets point into."""

    kind: Literal["document"] = "document"
    id: str = ""
    source: str = ""
    media_type: str
    sha256: str = ""
    text: str
    title: str | None = None
    published: str | None = Field(default=None, description="ISO date or null")
    language: str | None = None
    author: str | None = None
    encoding: str | None = None
    meta: dict[str, Any] = Field(default_factory=dict)


class DocRecord(Record):
    """A record that belongs to one document."""

    doc_id: str = ""


class Edit(DocRecord):
    """A change cleaning made: ``text[start:end]`` of the source became ``replacement``."""

    kind: Literal["edit"] = "edit"
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    replacement: str
    reason: str
    report_fields: ClassVar[tuple[str, ...]] = ("replacement", "reason")


class Span(DocRecord):
    """A record that points at a stretch of the document.

    ``start``/``end`` index the document's source text; ``text`` is the span's
    cleaned surface. Plugins return spans in *cleaned* offsets and the framework
    maps them.
    """

    id: str = ""
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str = ""


class Segment(Span):
    """A paragraph or a sentence."""

    kind: Literal["segment"] = "segment"
    type: Literal["paragraph", "sentence"]
    index: int = -1
    #: The 1-based page the segment starts on, for paginated sources (PDF); else null.
    page: int | None = None
    id_fields: ClassVar[tuple[str, ...]] = ("type",)


class Entity(Span):
    """A named entity with its canonical name within the document."""

    kind: Literal["entity"] = "entity"
    label: str
    canonical: str = ""
    id_fields: ClassVar[tuple[str, ...]] = ("label",)
    report_fields: ClassVar[tuple[str, ...]] = ("label", "canonical")


class Quote(Span):
    """A direct quotation; ``speaker`` is a canonical name or null."""

    kind: Literal["quote"] = "quote"
    speaker: str | None = None
    cue: str | None = None
    report_fields: ClassVar[tuple[str, ...]] = ("speaker", "cue")


class DateMention(Span):
    """A date expression; ``value`` is ISO 8601 (full, year-month or year) or null."""

    kind: Literal["date"] = "date"
    value: str | None = None
    report_fields: ClassVar[tuple[str, ...]] = ("value",)


def _without_traceback_if_none(data: dict[str, Any]) -> dict[str, Any]:
    """A record's serialised fields without ``traceback`` when it is None.

    ``traceback`` was added after the output contract was fixed: leaving it out
    when empty keeps every other line byte-identical to what earlier versions
    wrote, and lets earlier run folders be read back unchanged.
    """
    if data.get("traceback", "") is None:
        del data["traceback"]
    return data


class Finding(DocRecord):
    """What a validator (or the framework) found wrong or notable in a document."""

    kind: Literal["finding"] = "finding"
    code: str
    severity: Severity
    message: str
    start: int | None = None
    end: int | None = None
    #: Other spans the finding points at, as ``[start, end]`` source offsets.
    related: list[tuple[int, int]] = Field(default_factory=list)
    #: For a ``plugin-error`` finding: the plugin's own frames of the exception it
    #: raised (None, and left out of the JSON, otherwise).
    traceback: str | None = None

    @model_serializer(mode="wrap")
    def _serialize(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return _without_traceback_if_none(handler(self))


class Reject(Record):
    """An input that produced no document, and why."""

    kind: Literal["reject"] = "reject"
    source: str
    stage: str
    error: str
    sha256: str | None = None
    #: When a plugin raised: its own frames of the exception (None, and left out
    #: of the JSON, otherwise).
    traceback: str | None = None

    @model_serializer(mode="wrap")
    def _serialize(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return _without_traceback_if_none(handler(self))


#: The built-in record kinds, in the order their files are listed.
CORE_RECORD_TYPES: tuple[type[Record], ...] = (
    Document,
    Edit,
    Segment,
    Entity,
    Quote,
    DateMention,
    Finding,
    Reject,
)


RecordT = TypeVar("RecordT", bound=BaseModel)
#: Setters of BaseModel's slots: ``object.__setattr__`` does the same, at twice the cost
#: (it walks the class's bases to check no class between defines its own setter).
_set_dict = BaseModel.__dict__["__dict__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__
#: ``cls.__new__`` for :func:`built`, whose types (those ``as_is_check`` accepts) keep
#: ``object.__new__``: the lookup through the bases cost as much as the call.
_new = object.__new__


def updated(record: RecordT, values: dict[str, Any]) -> RecordT:
    """``record.model_copy(update=values)``, at half its cost: for values the framework
    has itself checked (offsets it mapped, an index it counted, an id it computed, the
    plugin's name), which are not validated, as with ``model_copy``.

    The same object as ``model_copy`` makes (fields, fields set); a model with
    extra fields or private attributes is copied by ``model_copy`` itself.
    """
    if record.__pydantic_extra__ is not None or record.__pydantic_private__ is not None:
        return record.model_copy(update=values)
    cls = type(record)
    new = cls.__new__(cls)
    _set_dict(new, {**record.__dict__, **values})
    _set_extra(new, None)
    _set_fields_set(new, record.__pydantic_fields_set__ | values.keys())
    _set_private(new, None)
    return new


def built(cls: type[RecordT], values: dict[str, Any]) -> RecordT:
    """The record ``cls.model_validate(values)`` returns, for values
    :func:`docmill.as_is.as_is_check` accepted (they validate as they are): ``values``
    become its fields (the dict itself, which the caller gives up), all of them set."""
    new = _new(cls)
    _set_dict(new, values)
    _set_extra(new, None)
    _set_fields_set(new, set(values))
    _set_private(new, None)
    return new


def fill_in(record: RecordT, values: dict[str, Any]) -> RecordT:
    """``record`` with ``values`` set in place, for a record the framework has just
    built and nobody else holds yet: what :func:`updated` would copy (the same
    fields, fields set and JSON), without the copy. Values as for :func:`updated`."""
    record.__dict__.update(values)
    record.__pydantic_fields_set__.update(values)
    return record


def span_id(doc_id: str, record: Span) -> str:
    """Deterministic id of a span: :func:`stable_id` of (doc_id, kind, start, end, its
    ``id_fields``' values), its text built with one f-string (``!s`` is ``str``), which
    costs a third less than ``stable_id``'s join of a list of every part (a span's id
    is made for every span of every document)."""
    text = f"{doc_id!s}\x1f{record.kind!s}\x1f{record.start!s}\x1f{record.end!s}\x1f"
    for name in record.id_fields:
        text += f"{getattr(record, name)!s}\x1f"
    return _digest(text)


class _JsonTie:
    """A record's JSON as the last sort key, computed only for records that tie before it.

    Almost no two records of a document tie on kind, offsets, id, code and
    plugin, so serialising every record for the sort (it was most of the flow
    process's CPU after waiting, py-spy) is avoided; the order is the same.
    """

    __slots__ = ("_json", "record")

    def __init__(self, record: Record) -> None:
        self.record = record
        self._json: str | None = None

    def json(self) -> str:
        if self._json is None:
            self._json = self.record.model_dump_json()
        return self._json

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _JsonTie) and self.json() == other.json()

    def __lt__(self, other: _JsonTie) -> bool:
        return self.json() < other.json()

    __hash__ = None  # type: ignore[assignment]


_SORT_FIELDS = ("start", "end", "id", "code")
#: Per record type, the function giving a record's :func:`sort_key` (pydantic's
#: __getattr__ makes asking a record for an attribute it lacks slow: it raises
#: inside Python code, so which of _SORT_FIELDS a type has is asked once).
_key_functions: dict[type, Callable[[Any], tuple[Any, ...]]] = {}


def _no_field(record: Any) -> None:
    return None


def _key_function(record: Record) -> Callable[[Any], tuple[Any, ...]]:
    """:func:`sort_key` for records of ``record``'s type."""
    start, end, rid, code = (
        attrgetter(n) if hasattr(record, n) else _no_field for n in _SORT_FIELDS
    )

    def key(record: Any) -> tuple[Any, ...]:
        s, e = start(record), end(record)
        return (
            record.kind,
            -1 if s is None else s,
            -1 if e is None else e,
            rid(record) or "",
            code(record) or "",
            record.plugin,
            _JsonTie(record),
        )

    return key


def sort_key(record: Record) -> tuple[Any, ...]:
    """The order records of one document are written in."""
    key = _key_functions.get(type(record))
    if key is None:
        key = _key_functions[type(record)] = _key_function(record)
    return key(record)
