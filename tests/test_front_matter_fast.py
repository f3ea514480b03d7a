"""Front matter read without PyYAML's parser is what ``yaml.safe_load`` reads.

:func:`docmill_builtins.load_text.flat_mapping` reads ``key: value`` lines itself
(PyYAML's resolver and constructor type the values) and leaves every other block
to PyYAML. These tests compare its answers with ``yaml.safe_load`` on blocks
Hypothesis makes from the pieces front matter is made of (dates, times, numbers,
booleans, nulls, quotes, colons, comments, lists, tabs, odd spacing, non-ASCII
text), and on edge cases one by one.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from docmill_builtins.load_text import flat_mapping, front_matter


def _safe_load(block: str) -> tuple[str, Any]:
    try:
        return "ok", yaml.safe_load(block)
    except Exception as exc:  # the very exception is compared
        return "error", (type(exc).__name__, str(exc))


def _same_as_pyyaml(block: str) -> None:
    """Where ``flat_mapping`` answers, it is ``safe_load``'s answer (values and types,
    key order); where it does not, ``front_matter`` falls back to PyYAML."""
    fast = flat_mapping(block)
    if fast is None:
        return
    kind, slow = _safe_load(block)
    assert kind == "ok", (block, slow)
    assert fast == slow and list(fast) == list(slow), block
    assert [type(v) for v in fast.values()] == [type(v) for v in slow.values()], block
    assert [type(k) for k in fast] == [type(k) for k in slow], block


KEYS = st.sampled_from(
    ["title", "date", "author", "lang", "tags", "y", "yes", "on", "null", "2024", "a-b", "_x", "T"]
)
SCALARS = st.sampled_from(
    [
        "2024-03-13", "2024-3-13", "2024-02-30", "2024-03-13 10:00:00", "2024-03-13T10:00:00Z",
        "2001-12-14t21:59:43.10-05:00", "10:30", "190:20:30", "1_000", "0x1F", "0b101", "017",
        "1e5", "1.5e+3", "6.8523015e+5", ".inf", "-.inf", ".NaN", "+12", "-0", "3.", "0.",
        "yes", "No", "TRUE", "off", "On", "y", "n", "null", "Null", "~", "NULL", "nul",
        "Hello World", "Héllo wörld", "“quoted”", "O'Brien", '"quoted"', "'single'", "a: b",
        "a:b", "a:", "http://x.org/a#b", "a #comment", "a#b", "[a, b]", "{a: b}", "- x",
        "-x", "&anchor x", "*alias", "!tag x", "|", ">", "%x", "@x", "`x", "=", "<<", "?x",
        "a, b", "x [y] {z}", "a\tb", "a  b", "é", "和平", "\u00a0x", "x\u2028y", "x\x85y",
        "ª", "½", "Ⅻ", "x\\n", "", " ", "1", "0", "-1", "3.14", "1,000", "v1.2", "x ~",
    ]
)
SPACES = st.sampled_from([" ", "  ", "\t", " \t", ""])
LINES = st.one_of(
    st.tuples(KEYS, st.just(":"), SPACES, SCALARS, st.sampled_from(["", " ", "  ", "\t"])).map(
        "".join
    ),
    st.sampled_from(["# comment", "", "  indented: x", "- item", "  - item", "---", "...", "key:"]),
    st.text(alphabet="ab:# -'\"\t\né1", max_size=20),
)


@settings(max_examples=1500, deadline=None)
@given(st.lists(LINES, min_size=1, max_size=6), st.sampled_from(["\n", "\r\n", ""]))
def test_flat_mapping_is_safe_load(lines: list[str], end: str) -> None:
    _same_as_pyyaml(end.join(lines) + end)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=80))
def test_flat_mapping_of_any_text_is_safe_load(block: str) -> None:
    _same_as_pyyaml(block)
    _same_as_pyyaml(f"title: {block}\n")
    _same_as_pyyaml(f"title: x{block}\n")


@pytest.mark.parametrize(
    "block",
    [
        "title: Valencia Government Backs Stadium Programme\ndate: 2024-03-13\nauthor: Ulla Sato\n",
        "title: a\ntitle: b\n",
        "yes: 1\nYes: 2\n",
        "date: 2024-03-13 10:00:00\n",
        "time: 10:30:00\n",
        "n: 1_000\nm: 0o17\nk: 017\nf: 1e5\ng: 1.5e+3\n",
        "t: été\nu: 和平\n",
        "title: A: B\n",
        "title: Ends with colon:\n",
        "title: x\n  continued\n",
        "title: x\nother:\n",
        "title:    spaced   \n",
    ],
)
def test_flat_mapping_edge_cases(block: str) -> None:
    _same_as_pyyaml(block)


def test_the_common_front_matter_is_read_without_the_parser() -> None:
    """The fast path is taken for the front matter the bench corpus and most sites have."""
    block = "title: Valencia Government Backs\ndate: 2024-03-13\nauthor: Ulla Sato\n"
    assert flat_mapping(block) == yaml.safe_load(block)
    assert flat_mapping("title: A: B\n") is None  # left to PyYAML (an error there)
    assert flat_mapping('title: "quoted"\n') is None


def test_an_invalid_date_is_pyyamls_error_either_way() -> None:
    """A value PyYAML's constructor refuses is left to PyYAML, which raises the same."""
    assert flat_mapping("date: 2024-02-30\n") is None
    with pytest.raises(ValueError):
        front_matter("---\ndate: 2024-02-30\n---\nbody\n")
