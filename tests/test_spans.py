"""What segment and extract make of a plugin's records (:mod:`docmill.engine.spans`).

Every record is still checked and validated by its own type with the values the
framework fills in; the cheaper way (its ``__dict__`` instead of ``model_dump()``,
offsets mapped in one pass, the id set in place) must make the very record the
one-at-a-time way made, and the fallback (pydantic's dump) must be taken for a
type whose dump is not its ``__dict__``.
"""

from __future__ import annotations

from typing import Any, Literal

import pytest
from pydantic import (
    BaseModel,
    Field,
    ValidationError,
    computed_field,
    field_serializer,
    field_validator,
    model_validator,
)

from docmill import Span, hookimpl
from docmill.engine.spans import dump_is_dict, fields_of, finish_all
from docmill.records import (
    DateMention,
    DocRecord,
    Document,
    Edit,
    Entity,
    Quote,
    Record,
    Segment,
    span_id,
    updated,
)
from docmill.testing import PluginFailed, run_plugins
from docmill.text import CleanText, EditedText

SOURCE = "Intro line\nThe  harbour pilot met Ms Vale at the harbour.\n"


def _clean() -> CleanText:
    doc = Document(id="d0c", media_type="text/plain", text=SOURCE)
    edits = [
        Edit(start=0, end=11, replacement="", reason="drop"),  # the intro line
        Edit(start=14, end=16, replacement=" ", reason="space"),  # "  " -> " "
    ]
    return CleanText(doc, EditedText(SOURCE, edits))


def _one_at_a_time(clean: CleanText, record: Any, plugin: str) -> Record:
    """How a record was finished before :func:`finish_all`: dump, fill in, validate, copy."""
    data = record.model_dump()
    data.update(doc_id=clean.id, plugin=plugin)
    if not isinstance(record, Span):
        return type(record).model_validate(data)
    start, end = clean.to_source(record.start, record.end)
    data.update(start=start, end=end, text=clean.text[record.start : record.end])
    data["id"] = ""
    mapped = type(record).model_validate(data)
    return updated(mapped, {"id": span_id(clean.id, mapped)})


def _accept_all(record: Any) -> None:
    pass


class Checked(Span):
    """A plugin's span type with validators that read the fields the framework fills."""

    kind: Literal["checked"] = "checked"
    label: str
    seen: str = ""
    id_fields = ("label",)

    @field_validator("label")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()

    @model_validator(mode="after")
    def _not_reversed(self) -> Checked:
        if self.end < self.start:
            raise ValueError("end before start")
        return self


class Listed(Span):
    """Not a plain type: a list field (the dump is a copy), so pydantic dumps it."""

    kind: Literal["listed"] = "listed"
    tags: list[str] = Field(default_factory=list)


class Nested(BaseModel):
    value: int


class Serialised(Span):
    """A field serializer: the dump differs from the ``__dict__``."""

    kind: Literal["serialised"] = "serialised"
    note: str = ""

    @field_serializer("note")
    def _note(self, value: str) -> str:
        return value.strip()


class Computed(Span):
    kind: Literal["computed"] = "computed"

    @computed_field  # type: ignore[prop-decorator]
    @property
    def width(self) -> int:
        return self.end - self.start


class Aliased(Span):
    kind: Literal["aliased"] = "aliased"
    name: str = Field(default="", alias="nom")


class Dropped(Span):
    """A field left out of the dump: validating the dump and the dict differ."""

    kind: Literal["dropped"] = "dropped"
    secret: str = Field(default="", exclude=True)
    empty: str = Field(default="", exclude_if=lambda value: not value)


class Holder(DocRecord):
    kind: Literal["holder"] = "holder"
    inner: Nested
    extra_value: Any = None


def test_the_dump_is_the_dict_only_for_plain_types() -> None:
    for cls in (Segment, Entity, Quote, DateMention, Checked):
        assert dump_is_dict(cls), cls
    for cls in (Listed, Serialised, Computed, Aliased, Dropped, Holder):
        assert not dump_is_dict(cls), cls


def test_fields_of_a_record_are_its_dump() -> None:
    records: list[Record] = [
        Segment(type="sentence", start=1, end=4, page=2),
        Entity(start=0, end=3, label="PERSON", canonical="Vale"),
        Quote(start=0, end=3, speaker=None, cue="said"),
        DateMention(start=0, end=3, value="2024-01"),
        Checked(start=0, end=1, label="x"),
        Listed(start=0, end=1, tags=["a"]),
        Serialised(start=0, end=1, note=" padded "),
        Holder(inner=Nested(value=1), extra_value={"a": [1]}),
    ]
    for record in records:
        fields = fields_of(record)
        assert list(fields.items()) == list(record.model_dump().items())
        assert fields is not record.__dict__


def _same(ours: Record, theirs: Record) -> None:
    assert type(ours) is type(theirs)
    assert list(ours.__dict__.items()) == list(theirs.__dict__.items())
    assert ours.model_fields_set == theirs.model_fields_set
    assert ours.model_dump_json() == theirs.model_dump_json()


def test_finish_all_makes_the_records_the_one_at_a_time_way_made() -> None:
    clean = _clean()
    text = clean.text
    pilot = text.index("pilot")
    returned: list[Any] = [
        Entity(start=pilot, end=pilot + 5, label="ROLE"),
        Checked(start=0, end=len(text), label="whole"),  # a span over the removed space
        Checked(start=3, end=3, label="empty"),
        Checked(start=len(text), end=len(text), label="end"),
        Segment(type="sentence", start=0, end=4),
        Listed(start=1, end=2, tags=["t"]),
        Serialised(start=1, end=2, note=" n "),
        Dropped(start=1, end=2, secret="s", empty=""),
        Holder(inner=Nested(value=2), extra_value=[1]),
    ]
    finished = finish_all(clean, returned, "plug", _accept_all)
    assert len(finished) == len(returned)
    for record, ours in zip(returned, finished, strict=True):
        _same(ours, _one_at_a_time(clean, record, "plug"))
    whole = finished[1]
    assert isinstance(whole, Checked)
    assert whole.label == "WHOLE" and (whole.start, whole.end) == (11, len(SOURCE))


def test_validators_run_on_what_the_plugin_returned_once_with_the_framework_values() -> None:
    seen: list[tuple[int, int, str]] = []

    class Watched(Span):
        kind: Literal["watched"] = "watched"

        @model_validator(mode="after")
        def _watch(self) -> Watched:
            seen.append((self.start, self.end, self.doc_id))
            return self

    clean = _clean()
    record = Watched(start=0, end=3)
    seen.clear()
    (finished,) = finish_all(clean, [record], "p", _accept_all)
    assert seen == [(11, 14, "d0c")]  # source offsets, the document's id
    assert finished.plugin == "p" and record.plugin == ""  # the plugin's own is untouched


@pytest.mark.parametrize(
    "bad",
    [
        lambda: Entity.model_construct(start=0, end=2, label=5, doc_id="", plugin=""),
        lambda: Entity(start=0, end=2, label="X").model_copy(update={"canonical": None}),
        lambda: Checked(start=0, end=2, label="x").model_copy(update={"label": None}),
    ],
)
def test_a_record_built_without_validation_is_still_refused(bad: Any) -> None:
    with pytest.raises(ValidationError):
        finish_all(_clean(), [Entity(start=0, end=1, label="ok"), bad()], "p", _accept_all)


def _refuse_holders(record: Any) -> None:
    if isinstance(record, Holder):
        raise TypeError("no holders")


def test_the_first_problem_in_the_order_returned_is_the_one_raised() -> None:
    clean = _clean()
    invalid = Entity(start=0, end=2, label="X").model_copy(update={"label": 5})
    refused = Holder(inner=Nested(value=1))
    outside = Entity(start=0, end=len(clean.text) + 1, label="X")
    with pytest.raises(ValidationError):
        finish_all(clean, [invalid, refused], "p", _refuse_holders)
    with pytest.raises(TypeError, match="no holders"):
        finish_all(clean, [refused, invalid], "p", _refuse_holders)
    with pytest.raises(ValueError, match="outside the cleaned text"):
        finish_all(clean, [outside, invalid], "p", _refuse_holders)
    with pytest.raises(ValidationError):
        finish_all(clean, [invalid, outside], "p", _refuse_holders)


class Validating:
    """Returns a Checked span whose own validator refuses it after mapping."""

    def __init__(self, record: Any) -> None:
        self.record = record

    @hookimpl
    def record_types(self) -> list[type[Record]]:
        return [Checked]

    @hookimpl
    def extract(self, doc: Any) -> list[Any]:
        return [Checked(start=0, end=3, label="fine"), self.record(doc)]


def test_a_run_keeps_a_valid_plugins_records_and_loses_a_bad_ones() -> None:
    text = "The harbour reopened. A harbour pilot said so.\n"
    good = run_plugins(
        ("checker", Validating(lambda doc: Checked(start=4, end=11, label="h"))), text=text
    )
    assert [(r.label, good.source_text(r)) for r in good.records("checked")] == [
        ("FINE", "The"),
        ("H", "harbour"),
    ]
    constructed = Validating(lambda doc: Checked.model_construct(start=4, end=11, label=None))
    with pytest.raises(PluginFailed, match=r"extract plugin 'checker' failed.*validation error"):
        run_plugins(("checker", constructed), text=text)
    lenient = run_plugins(("checker", constructed), text=text, strict=False)
    assert lenient.records("checked") == []  # the whole call's contribution is lost
    (error,) = lenient.errors
    assert (error.code, error.plugin) == ("plugin-error", "checker")
