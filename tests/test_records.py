"""Records (:mod:`docmill.records`): the order a document's records are written in."""

from __future__ import annotations

import hashlib
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from docmill.records import DateMention, Entity, Finding, Segment, sort_key, span_id, stable_id


def test_records_sort_by_kind_offsets_then_their_json_when_all_else_ties() -> None:
    def finding(message: str, start: int | None = 3) -> Finding:
        return Finding(
            doc_id="d", plugin="p", code="c", severity="info", message=message,
            start=start, end=None if start is None else start + 2,
        )

    later = finding("b")
    earlier = finding("a")  # ties with ``later`` on everything but its message
    whole = finding("z", start=None)  # no span: before every span
    date = DateMention(doc_id="d", plugin="p", id="x", start=0, end=2, text="ab", value=None)
    ordered = sorted([later, date, earlier, whole], key=sort_key)
    assert ordered == [date, whole, earlier, later]
    assert sorted([earlier, later], key=sort_key) == sorted([later, earlier], key=sort_key)


def test_jsonl_lines_are_the_json_of_each_records_dump(tmp_path: Path) -> None:
    # the JSONL sink writes pydantic-core's JSON; the format is orjson's JSON of
    # model_dump(mode="json") (what earlier runs wrote): floats, control characters,
    # non-ASCII text, nested values, a left-out traceback must come out the same
    from typing import Any, Literal

    import orjson

    from docmill.records import DocRecord, Document, Entity
    from docmill.sinks import RunInfo
    from docmill_builtins.export_jsonl import JsonlSink

    class Amount(DocRecord):
        kind: Literal["amount"] = "amount"
        value: float
        extra: Any = None

    odd = "a\x00b\x1f\x7f\u2028é😀\"\\\n\t"
    records = [
        Document(media_type="text/plain", text=odd, meta={"pair": (1, 2), "f": 1.25}),
        Entity(doc_id="d", start=0, end=3, label="PERSON", text=odd, canonical="É"),
        Finding(doc_id="d", code="c", severity="info", message=odd, related=[(1, 2)]),
        *(
            Amount(doc_id="d", value=v, extra={"list": [1, 2.5, None, True], "s": odd})
            for v in (0.1, 1e16, 1e21, 1e22, 1.5e-7, 5e-324, 1.7976931348623157e308, -0.0,
                      2.0**53 + 1, 0.30000000000000004, 1e-5, 12345678901234567890.0,
                      float("inf"), float("nan"))
        ),
    ]
    kinds = {t.kind_name(): t for t in (Document, Entity, Finding, Amount)}
    sink = JsonlSink(RunInfo(run_id="r", folder=tmp_path, kinds=kinds))
    sink.write(records)
    sink.close()
    written = b"".join((tmp_path / t.file_name()).read_bytes() for t in kinds.values())
    expected = b"".join(
        orjson.dumps(r.model_dump(mode="json")) + b"\n"
        for t in kinds.values()
        for r in records
        if isinstance(r, t)
    )
    assert written == expected


def test_updated_is_model_copy_with_update() -> None:
    """``updated`` makes the object ``model_copy(update=...)`` makes: fields, their
    order, the fields set, the JSON; a model with private attributes is copied by
    pydantic itself."""
    from pydantic import PrivateAttr

    from docmill.records import Entity, Segment, updated

    seg = Segment(type="sentence", start=3, end=9, text="Hello.")
    ent = Entity(start=0, end=4, label="PERSON", plugin="x", doc_id="d")
    for record, values in [
        (seg, {"index": 2}),
        (seg, {"index": 0, "page": 3, "id": "abc"}),
        (ent, {"plugin": "extract_entities"}),
        (ent, {}),
    ]:
        ours, theirs = updated(record, values), record.model_copy(update=values)
        assert type(ours) is type(theirs)
        assert list(ours.__dict__.items()) == list(theirs.__dict__.items())
        assert ours.model_fields_set == theirs.model_fields_set
        assert ours.model_dump_json() == theirs.model_dump_json()
        assert ours == theirs and ours is not record
        assert record.model_dump() != ours.model_dump() or not values

    class Private(Segment):
        _note: str = PrivateAttr(default="n")

    private = Private(type="paragraph", start=0, end=1)
    copied = updated(private, {"index": 1})
    assert copied.index == 1 and copied._note == "n"


def test_stable_id_is_the_digest_of_each_part_and_separator() -> None:
    """Ids in every JSONL file are these digests: hashing the joined parts at once must
    give what hashing them one by one did, lone surrogates and empty parts included."""

    def one_by_one(*parts: object) -> str:
        h = hashlib.sha256()
        for part in parts:
            h.update(str(part).encode("utf-8", "surrogatepass"))
            h.update(b"\x1f")
        return h.hexdigest()[:16]

    odd = [("\ud800", "\udc00"), ("é😀", None, 1.5), ("a\x1f", "b")]
    for parts in [(), ("",), ("d", "entity", 1, 2, "ORG"), *odd]:
        assert stable_id(*parts) == one_by_one(*parts), parts



@settings(max_examples=300, deadline=None)
@given(
    st.text(max_size=20),
    st.integers(0, 10**9),
    st.integers(0, 10**9),
    st.text(max_size=12),
    st.sampled_from(["paragraph", "sentence"]),
)
def test_span_id_is_the_stable_id_of_its_parts(
    doc_id: str, start: int, end: int, label: str, kind: str
) -> None:
    """Every span's id in the JSONL: the digest of (doc_id, kind, start, end, id fields)."""
    entity = Entity(start=start, end=end, label=label)
    assert span_id(doc_id, entity) == stable_id(doc_id, "entity", start, end, label)
    segment = Segment(start=start, end=end, type=kind)
    assert span_id(doc_id, segment) == stable_id(doc_id, "segment", start, end, kind)
    date = DateMention(start=start, end=end)
    assert span_id(doc_id, date) == stable_id(doc_id, "date", start, end)
