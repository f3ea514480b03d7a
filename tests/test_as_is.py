"""docmill.as_is: pydantic is skipped only for values that provably validate as they are.

``validates_as_is`` is a shortcut of ``type(r).model_validate(r.model_dump())`` (what
validate_spans re-checks) and ``engine.spans.validated`` of ``cls.model_validate(data)``
(how the framework finishes a plugin's records): when the shortcut says yes, pydantic
must agree and give the same record, and the records a real run makes must take it
(else it saves nothing).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import AfterValidator, ConfigDict, Field, ValidationError, field_validator

from docmill import (
    DateMention,
    Document,
    Edit,
    Entity,
    Finding,
    Quote,
    Record,
    Segment,
    Span,
    validates_as_is,
)
from docmill.engine.spans import validated
from docmill_builtins import validate_spans
from tests.conftest import SEEDS, run_builtins


class Money(Span):
    kind: Literal["money"] = "money"
    amount: float = Field(gt=0)
    currency: Literal["EUR", "USD"] | None = None
    exact: bool = False
    rank: int | Literal["top"] = 0


class Checked(Span):
    """A validator: nothing can be told without pydantic."""

    kind: Literal["checked"] = "checked"
    code: str = ""

    @field_validator("code")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()


class Constrained(Span):
    """A constraint other than a bound: pydantic's to check."""

    kind: Literal["constrained"] = "constrained"
    code: Annotated[str, AfterValidator(str.strip)] = ""
    short: str = Field(default="", max_length=3)


class Loose(Span):
    """A setting that changes how values validate."""

    model_config = ConfigDict(str_strip_whitespace=True)
    kind: Literal["loose"] = "loose"


class Text(str):
    pass


TYPES: list[type[Record]] = [Entity, Segment, Quote, DateMention, Edit, Finding, Money]
#: Values of every shape a field may end up holding through model_construct.
values = st.one_of(
    st.sampled_from(
        [0, 1, -1, 7, True, False, 0.0, 2.5, -2.5, math.nan, math.inf, None, "", "x", "top",
         "EUR", "usd", "paragraph", "sentence", "entity", "money", "info", Text("x"), [1], {}]
    ),
    st.integers(),
    st.text(max_size=4),
)  # fmt: skip


def _pydantic_accepts(rec: Record) -> bool:
    try:
        type(rec).model_validate(rec.model_dump())
    except ValidationError:
        return False
    return True


@pytest.mark.filterwarnings("ignore:Pydantic serializer warnings")
@settings(max_examples=1500, deadline=None)
@given(st.sampled_from(TYPES), st.data())
def test_as_is_only_when_pydantic_accepts(cls: type[Record], data: st.DataObject) -> None:
    """A valid record with up to two fields changed, dropped or added."""
    fields = dict(_valid(cls).__dict__)
    for name in data.draw(st.lists(st.sampled_from([*fields, "stray"]), max_size=2)):
        if data.draw(st.integers(0, 5)) == 0:
            fields.pop(name, None)
        else:
            fields[name] = data.draw(values)
    rec = cls.model_construct(**fields)
    if validates_as_is(rec):
        assert _pydantic_accepts(rec), fields
    try:
        expected = cls.model_validate(fields)
    except ValidationError:
        with pytest.raises(ValidationError):
            validated(cls, dict(fields))
        return
    got = validated(cls, dict(fields))
    assert type(got) is cls
    assert got.__dict__ == expected.__dict__
    assert list(got.__dict__) == list(expected.__dict__)
    assert got.model_fields_set == expected.model_fields_set
    assert got.__pydantic_extra__ == expected.__pydantic_extra__
    assert got.__pydantic_private__ == expected.__pydantic_private__
    assert got.model_dump_json() == expected.model_dump_json()


def _valid(cls: type[Record]) -> Record:
    made: dict[type[Record], Record] = {
        Entity: Entity(start=0, end=5, text="Hello", label="ORG", doc_id="d", id="i"),
        Segment: Segment(start=0, end=5, type="sentence", index=3, page=None),
        Quote: Quote(start=1, end=2, speaker="Ann", cue="said"),
        DateMention: DateMention(start=1, end=2, value="2024-05"),
        Edit: Edit(start=1, end=2, replacement=" ", reason="space"),
        Finding: Finding(code="c", severity="info", message="m"),
        Money: Money(start=1, end=2, amount=3.5, currency="EUR", rank="top"),
    }
    return made[cls]


@pytest.mark.parametrize("cls", [Entity, Segment, Quote, DateMention, Edit, Money])
def test_valid_records_of_plain_types_skip_pydantic(cls: type[Record]) -> None:
    assert validates_as_is(_valid(cls))


@pytest.mark.parametrize(
    ("rec", "why"),
    [
        (Checked(start=0, end=1, code="a"), "a field validator"),
        (Constrained(start=0, end=1), "a constraint pydantic checks"),
        (Loose(start=0, end=1), "a setting that changes validation"),
        (Finding(code="c", severity="info", message="m"), "a model serializer"),
        (Document(media_type="text/plain", text="x"), "a dict field"),
        (Entity.model_construct(start=0, end=1, label=Text("ORG")), "a str subclass"),
        (Money.model_construct(start=0, end=1, amount=3), "an int in a float field"),
        (Segment.model_construct(start=0, end=1, type="sentence", index=True), "a bool int"),
        (Entity.model_construct(start=-1, end=1, label="ORG"), "a bound broken"),
        (Entity.model_construct(start=0, end=1), "a required field missing"),
    ],
)
def test_pydantic_asked_when_it_cannot_be_told(rec: Record, why: str) -> None:
    assert not validates_as_is(rec), why


def test_every_record_a_run_makes_but_findings_skips_pydantic() -> None:
    """The shortcut is what the framework's records take: every span and edit of the
    seeds, finished by the framework, validates as it is."""
    taken = 0
    for path in sorted(SEEDS.glob("*.txt")):
        result = run_builtins(Path(path).read_text(encoding="utf-8"))
        for rec in result.output:
            if isinstance(rec, (Finding, Document)):
                continue
            assert validates_as_is(rec), rec
            taken += 1
    assert taken > 200


def test_findings_unchanged_for_bad_records() -> None:
    """Records that do not validate are reported with pydantic's own message."""
    doc = Document(media_type="text/plain", text="Hello world")
    negative = Entity.model_construct(start=-1, end=5, label="ORG", text="Hello")
    cheap = Money.model_construct(start=0, end=5, text="Hello", amount=-2.0)
    findings = validate_spans.validate(doc=doc, records=[negative, cheap])
    messages = [f.message for f in findings if f.code == "invalid-record"]
    assert len(messages) == 2
    assert "greater than or equal to 0" in messages[0]
    assert "greater than 0" in messages[1]
