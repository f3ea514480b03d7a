"""Offset-preserving editing: the property every span in docmill relies on."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from docmill.records import Edit
from docmill.text import EditedText, resolve_overlaps


@st.composite
def text_and_edits(draw: st.DrawFn) -> tuple[str, list[Edit]]:
    text = draw(st.text(alphabet="ab c\n\u00a0é", max_size=60))
    n = len(text)
    edits = []
    for _ in range(draw(st.integers(0, 8))):
        start = draw(st.integers(0, n))
        end = draw(st.integers(start, min(n, start + 6)))
        repl = draw(st.text(alphabet="xyz ", max_size=4))
        edits.append(Edit(start=start, end=end, replacement=repl, reason="test"))
    return text, edits


@settings(max_examples=300, deadline=None)
@given(text_and_edits(), st.data())
def test_mapped_spans_land_inside_source_in_order(
    case: tuple[str, list[Edit]], data: st.DataObject
) -> None:
    text, edits = case
    edited = EditedText(text, edits)
    n = len(edited.text)
    a = data.draw(st.integers(0, n))
    b = data.draw(st.integers(a, n))
    c = data.draw(st.integers(b, n))
    d = data.draw(st.integers(c, n))
    s1, e1 = edited.to_source(a, b)
    s2, e2 = edited.to_source(c, d)
    assert 0 <= s1 <= e1 <= len(text)
    assert 0 <= s2 <= e2 <= len(text)
    if a < b and c < d:
        # order is kept: a later span never starts or ends before an earlier one, and
        # two spans that do not overlap stay apart unless both cut into one edit
        assert s1 <= s2 and e1 <= e2
        shared = [x for x in edited.edits if x.start <= s2 and e1 <= x.end and x.start < x.end]
        assert e1 <= s2 or shared


@settings(max_examples=300, deadline=None)
@given(text_and_edits(), st.data())
def test_untouched_span_maps_to_identical_text(
    case: tuple[str, list[Edit]], data: st.DataObject
) -> None:
    text, edits = case
    edited = EditedText(text, edits)
    n = len(edited.text)
    a = data.draw(st.integers(0, n))
    b = data.draw(st.integers(a, n))
    s, e = edited.to_source(a, b)
    inside = [
        x
        for x in edited.edits
        if (x.start < e and s < x.end) or (x.start == x.end and s <= x.start <= e)
    ]
    if not inside:
        assert text[s:e] == edited.text[a:b]


@settings(max_examples=200, deadline=None)
@given(text_and_edits())
def test_cleaned_text_is_source_with_kept_edits_applied(case: tuple[str, list[Edit]]) -> None:
    text, edits = case
    edited = EditedText(text, edits)
    out, pos = [], 0
    for edit in edited.edits:
        assert edit.start >= pos  # kept edits never overlap and are in order
        out.append(text[pos : edit.start] + edit.replacement)
        pos = edit.end
    out.append(text[pos:])
    assert edited.text == "".join(out)


def test_overlaps_resolved_deterministically_longer_first() -> None:
    line = Edit(start=10, end=30, replacement="", reason="boilerplate")
    inner = Edit(start=12, end=13, replacement=" ", reason="nbsp")
    before = Edit(start=5, end=11, replacement="-", reason="earlier")
    assert resolve_overlaps([inner, line]) == [line]
    assert resolve_overlaps([line, inner]) == [line]
    assert resolve_overlaps([line, before, inner]) == [
        before,
        Edit(start=12, end=13, replacement=" ", reason="nbsp"),
    ]


def test_span_in_replacement_maps_to_whole_edited_range() -> None:
    text = "Ukraine andNorth Atlantic"
    edited = EditedText(text, [Edit(start=11, end=11, replacement=" ", reason="glued")])
    assert edited.text == "Ukraine and North Atlantic"
    start = edited.text.index("North")
    assert edited.to_source(start, start + 5) == (11, 16)
    assert text[11:16] == "North"


def test_deleted_line_is_skipped_by_mapping() -> None:
    text = "First.\nREAD ALSO: x\nSecond."
    edited = EditedText(text, [Edit(start=7, end=20, replacement="", reason="boilerplate")])
    assert edited.text == "First.\nSecond."
    s, e = edited.to_source(7, 14)
    assert text[s:e] == "Second."
    assert edited.to_source(0, 14) == (0, len(text))


def test_span_outside_cleaned_text_is_refused() -> None:
    edited = EditedText("abc")
    try:
        edited.to_source(2, 5)
    except ValueError as exc:
        assert "outside the cleaned text" in str(exc)
    else:
        raise AssertionError("expected ValueError")


@settings(max_examples=300, deadline=None)
@given(text_and_edits(), st.data())
def test_a_documents_spans_mapped_at_once_map_as_each_alone(
    case: tuple[str, list[Edit]], data: st.DataObject
) -> None:
    text, edits = case
    edited = EditedText(text, edits)
    n = len(edited.text)
    spans = []
    for _ in range(data.draw(st.integers(0, 6))):
        a = data.draw(st.integers(0, n))
        spans.append((a, data.draw(st.integers(a, n))))
    assert edited.to_source_all(spans) == [edited.to_source(a, b) for a, b in spans]
