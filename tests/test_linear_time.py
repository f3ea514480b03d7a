"""The indexed look-ups that keep long documents linear give what the plain definitions give.

Each helper below replaced a scan of every mention, person or quotation per item
(quadratic on a long document); Hypothesis checks it against that scan.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from docmill.records import Entity
from docmill_builtins.entity_names import Mention, _tails
from docmill_builtins.extract_entities import _char_before, _non_overlapping, _surnames
from docmill_builtins.extract_quotes import _People, _person_in
from docmill_builtins.speakers import Speakers

spans = st.tuples(st.integers(0, 60), st.integers(0, 12)).map(lambda t: (t[0], t[0] + t[1]))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(spans, st.sampled_from(["PERSON", "ORG", "GPE"])), max_size=40))
def test_non_overlapping_keeps_longest_then_earliest(
    raw: list[tuple[tuple[int, int], str]],
) -> None:
    mentions = [Mention(s, e, label) for (s, e), label in raw]
    kept: list[Mention] = []
    for m in sorted(set(mentions), key=lambda m: (-(m.end - m.start), m.start, m.label)):
        if m.start < m.end and all(m.end <= k.start or m.start >= k.end for k in kept):
            kept.append(m)
    assert _non_overlapping(mentions) == sorted(kept, key=lambda m: (m.start, m.end))


words = st.sampled_from(["Okafor", "Rossi", "Anna", "the", "Smith-Jones", "Smith", "said", "é"])
seps = st.sampled_from([" ", ", ", "-", "’", ". ", "\n", " A "])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(words, seps), max_size=30))
def test_surnames_found_in_one_pass_as_one_search_per_surname(parts: list[tuple[str, str]]) -> None:
    import re

    from docmill_builtins.extract_entities import _CAPITAL_BEFORE, _NAME_WORD

    text = "".join(w + s for w, s in parts)
    named = "Anna Okafor, Ben Rossi and Cy Smith-Jones met Di Smith"
    text = named + "\n" + text
    people = [Mention(m.start(), m.end(), "PERSON") for m in re.finditer(r"[A-Z]\w+ [\w-]+", named)]
    surnames = {text[m.start : m.end].rsplit(" ", 1)[1] for m in people}
    expected = []
    for surname in sorted(s for s in surnames if _NAME_WORD.match(s)):
        for m in re.finditer(rf"(?<![\w’'-]){re.escape(surname)}(?![\w-]| [A-Z])", text):
            if not _CAPITAL_BEFORE.search(text, max(0, m.start() - 30), m.start()):
                expected.append(Mention(m.start(), m.end(), "PERSON"))
    assert sorted(_surnames(text, people), key=lambda m: m.start) == sorted(
        expected, key=lambda m: m.start
    )


@given(st.text(alphabet=" \n\tab.", max_size=20), st.integers(0, 20))
def test_char_before_is_the_last_non_space_before(text: str, pos: int) -> None:
    pos = min(pos, len(text))
    assert _char_before(text, pos) == text[:pos].rstrip()[-1:]


@given(
    st.lists(st.text(alphabet="ab É", min_size=1, max_size=8), max_size=12),
    st.text("ab É", max_size=6),
)
def test_name_tails_are_the_names_ending_with_space_and_tail(names: list[str], tail: str) -> None:
    names = sorted(set(names))
    assert _tails(names, str.lower).get(tail.lower(), []) == [
        n for n in names if n.lower().endswith(" " + tail.lower())
    ]
    assert _tails(names, str).get(tail, []) == [n for n in names if n.endswith(" " + tail)]


@settings(max_examples=300, deadline=None)
@given(st.lists(spans, max_size=25), spans)
def test_person_lookups_match_a_scan(
    people_spans: list[tuple[int, int]], where: tuple[int, int]
) -> None:
    people = [
        Entity(doc_id="d", start=s, end=e, label="PERSON", canonical=f"P{s} Q{e % 3}")
        for s, e in people_spans
    ]
    ordered = sorted(people, key=lambda p: (p.start, p.end))
    index = _People(people)
    assert _person_in(index, *where) == _person_in(ordered, *where)
    first = [p for p in ordered if p.start == where[0]]
    assert index.starting_at(where[0]) == (first[0] if first else None)
    last = f"Q{where[1] % 3}"
    assert index.ending_with(last) == {
        p.canonical for p in ordered if p.canonical.split()[-1] == last
    }


@settings(max_examples=300, deadline=None)
@given(st.lists(spans, max_size=12), st.integers(0, 80), spans)
def test_quotation_lookups_match_a_scan(
    quoted: list[tuple[int, int]], pos: int, window: tuple[int, int]
) -> None:
    text = "x" * 100
    speakers = Speakers(text, [], [], quoted)
    assert speakers._inside_quotation(pos) == any(s < pos < e for s, e in speakers.quoted)
    start, end = window
    parts, at = [], start
    for s, e in speakers.quoted:
        if e <= start or s >= end:
            continue
        parts.append(text[at : max(at, s)])
        at = max(at, e)
    parts.append(text[at:end])
    assert speakers._unquoted(start, end) == " ".join(parts)
