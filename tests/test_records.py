"""Records (:mod:`docmill.records`): the order a document's records are written in."""

from __future__ import annotations

from docmill.records import DateMention, Finding, sort_key


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
