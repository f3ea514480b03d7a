"""Sentence splitting: the Pragmatic Segmenter golden rules and quotations in news text."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from docmill.records import Segment
from docmill_builtins.segment_text import paragraphs, sentences
from tests.conftest import run_builtins

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT.parent / "shared" / "eval" / "golden_rules_en.json"


def split(text: str) -> list[str]:
    return [text[s:e] for ps, pe in paragraphs(text) for s, e in sentences(text, ps, pe)]


def test_golden_rules_at_least_44_of_48() -> None:
    if not GOLDEN.is_file():
        pytest.skip(f"golden rules not available at {GOLDEN}")
    cases = json.loads(GOLDEN.read_text(encoding="utf-8"))["cases"]
    failing = [c["id"] for c in cases if split(c["text"]) != c["expected"]]
    print(f"golden rules: {len(cases) - len(failing)}/{len(cases)}, failing ids: {failing}")
    assert len(cases) - len(failing) >= 44, failing


def test_sentences_split_inside_a_multi_sentence_quotation() -> None:
    text = (
        "The minister said, “We will rebuild. It will take years. Nobody will be left "
        "behind,” and left the podium.\n\n“Above all, stay calm. Help arrives tonight,” "
        "she added."
    )
    assert split(text) == [
        "The minister said, “We will rebuild.",
        "It will take years.",
        "Nobody will be left behind,” and left the podium.",
        "“Above all, stay calm.",
        "Help arrives tonight,” she added.",
    ]


def test_quoted_ellipsis_stays_with_its_sentence() -> None:
    text = "He wrote that “the road is long. . . .” Then he stopped."
    assert split(text) == ["He wrote that “the road is long. . . .”", "Then he stopped."]


def test_segments_tile_paragraphs_with_exact_offsets() -> None:
    text = "Title line\n\nFirst  sentence here. Second one?\u00a0Yes.\n\n\nLast paragraph."
    result = run_builtins(text)
    segs = result.records(Segment)
    paras = [s for s in segs if s.type == "paragraph"]
    sents = [s for s in segs if s.type == "sentence"]
    assert [p.text for p in paras] == [
        "Title line",
        "First sentence here. Second one? Yes.",
        "Last paragraph.",
    ]
    assert [s.text for s in sents] == [
        "Title line",
        "First sentence here.",
        "Second one?",
        "Yes.",
        "Last paragraph.",
    ]
    for s in sents:
        assert any(p.start <= s.start and s.end <= p.end for p in paras)
    assert text[sents[1].start : sents[1].end] == "First  sentence here."


#: What docmill's paragraphs were, as a pattern: paragraphs() must find its matches.
_PARAGRAPH = re.compile(r"\S(?:.*?\S)?(?=\s*\n\s*\n|\s*$)", re.DOTALL)
#: The characters a paragraph's edges depend on: line breaks, other blanks \s
#: knows (a no-break space, U+2028, NEL, the file separator), and non-blank ones.
_PARAGRAPH_CHARS = ["\n", "\n", " ", "\t", "\r", "\x0b", "\x1c", "\x85", "\u00a0",
                    "\u2028", "a", "b.", "“", "\u200b"]


@given(st.lists(st.sampled_from(_PARAGRAPH_CHARS), max_size=60).map("".join))
@settings(max_examples=600, deadline=None)
def test_paragraphs_are_the_paragraph_patterns_matches(text: str) -> None:
    assert list(paragraphs(text)) == [m.span() for m in _PARAGRAPH.finditer(text)]


def test_paragraphs_of_real_text_are_the_patterns_matches() -> None:
    text = "\n".join((ROOT / "seeds" / name).read_text(encoding="utf-8")
                     for name in sorted(p.name for p in (ROOT / "seeds").iterdir()
                                        if p.suffix in (".md", ".txt")))
    found = list(paragraphs(text))
    assert len(found) > 20
    assert found == [m.span() for m in _PARAGRAPH.finditer(text)]


ABBREVIATED = [
    "Dr. Ruth Okafor met Mr. Lee at 9 a.m. in St. Louis.",
    "The U.S. team won. The U.K. team did not.",
    "Page No. 5 says it. no. 6 does not.",
    "See e.g. the report, i.e. the one from Jan. 3.",
    "A.B. Smith (Ph.D. from Harvard) and Gen. Tso left. They arrived.",
    "The co. said Mt. Rainier was closed. Sen. Warren spoke at 3 p.m. Friday.",
    "Fig. 3 and Vol. 2 are missing. approx. 40 people came.",
    "Ms. Ünal and Dr. Ærø met the Kelvin sign K. It was cold.",  # non-ASCII letters
    "He said vs. she said. Inc. reported Q3 results, etc. Then it fell.",
    "a. b. c. d.\nLine two. Mr.\nthree.",
]


@pytest.mark.parametrize("text", ABBREVIATED)
def test_abbreviation_pass_gives_pysbds_own_sentences(text: str) -> None:
    """The faster abbreviation pass (sentences_en.Abbreviations) changes nothing pysbd says."""
    import pysbd

    from docmill_builtins.segment_text import _splitter

    reference = pysbd.Segmenter(language="en", clean=False).processor(text).process()
    assert _splitter().processor(text).process() == reference


_TOKENS = [
    "Dr.", "dr.", "Mr.", "no.", "No.", "St.", "a.", "A.", "a", "e.g.", "i.e.", "U.S.", "p.m.",
    "Gen.", "Inc.", "etc.", "vs.", "approx.", "Jan.", "Fig.", "co.", "ph.d.", "Smith", "the",
    "said", "It", "I", "I'm", "3", "(2)", ":4", "-", "?", ",", "Óscar", "left.", "Then", "\n",
]


@given(st.lists(st.sampled_from(_TOKENS), min_size=1, max_size=40).map(" ".join))
@settings(max_examples=150, deadline=None)
def test_abbreviation_pass_matches_pysbd_on_generated_text(text: str) -> None:
    import pysbd

    from docmill_builtins.segment_text import _splitter

    reference = pysbd.Segmenter(language="en", clean=False).processor(text).process()
    assert _splitter().processor(text).process() == reference


_LIST_TOKENS = [
    "1.", "2.", "3.", "10.", "11.", "1)", "2)", "(1)", "(2)", "a.", "b.", "c.", "a)", "b)", "(a)",
    "(b)", "i.", "ii.", "iii.", "(i)", "(ii)", "iv)", "x.", "-1.", "-2.", "⁃3.", "Item", "one",
    "two", "end.", "Also", "9.", "0.", "\r", "\n", ".", ")", "s-1.", "3.5", "A.",
]


@given(st.lists(st.sampled_from(_LIST_TOKENS), min_size=1, max_size=30).map(" ".join))
@settings(max_examples=300, deadline=None)
def test_list_pass_is_pysbds_on_list_like_text(text: str) -> None:
    """The list pass without the scans that cannot match (sentences_en.Lists) gives
    pysbd's text, and the English processor built on it pysbd's sentences."""
    import pysbd
    from pysbd.lists_item_replacer import ListItemReplacer

    from docmill_builtins.segment_text import _splitter
    from docmill_builtins.sentences_en import Lists as _Lists

    line = text.replace("\n", "\r")
    assert _Lists(line).add_line_break() == ListItemReplacer(line).add_line_break()
    reference = pysbd.Segmenter(language="en", clean=False).processor(text).process()
    assert _splitter().processor(text).process() == reference


def test_english_sentences_are_pysbds_on_every_sample_paragraph() -> None:
    """Every paragraph of the eval samples, the fixtures and the shared seeds (when
    present): docmill's English processor (faster abbreviation and list passes)
    gives pysbd's own sentences."""
    import pysbd

    from docmill_builtins.segment_text import _UNPAIR, _splitter, paragraphs

    root = Path(__file__).resolve().parent.parent
    folders = [root / "eval", root / "seeds", root / "tests" / "fixtures"]
    folders.append(Path("/work/shared/seeds"))
    reference = pysbd.Segmenter(language="en", clean=False)
    seen = 0
    for folder in folders:
        for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
            if path.suffix not in (".md", ".txt", ".html") or not path.is_file():
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            for start, end in paragraphs(text):
                chunk = text[start:end].translate(_UNPAIR)
                ours = _splitter().processor(chunk).process()
                assert ours == reference.processor(chunk).process(), chunk[:80]
                seen += 1
    assert seen > 100


def _fast_rules() -> list[object]:
    """Every fast rule docmill's English processor applies (sentences_en)."""
    from docmill_builtins import sentences_en
    from docmill_builtins.sentences_rules import Rule

    found: dict[int, Rule] = {}
    for value in vars(sentences_en).values():
        for rule in value if isinstance(value, tuple) else (value,):
            if isinstance(rule, Rule):
                found[id(rule)] = rule
    return list(found.values())


def _alphabet(rule: object) -> list[str]:
    """Pieces of text a rule's own pattern is made of: its characters, what it needs."""
    from docmill_builtins.sentences_rules import Rule, needs_of

    assert isinstance(rule, Rule)
    pieces = set(rule.pattern) | {" ", "\r", "a", "A", "1", "12", "x."}
    for need in needs_of(rule.pattern, rule.regex.flags, keep=99):
        pieces |= need
    return sorted(pieces)


@given(st.data())
@settings(max_examples=250, deadline=None)
def test_each_fast_rule_is_re_sub_on_text_of_its_own_characters(data: st.DataObject) -> None:
    """Skipping a rule when the text lacks what every match needs, and the window
    search before it (sentences_rules, sentences_windows), changes no result."""
    import re

    from docmill_builtins.sentences_rules import Rule

    rule = data.draw(st.sampled_from(_fast_rules()))
    assert isinstance(rule, Rule)
    # the rule's own characters, and texts the rule matches (Hypothesis's from_regex)
    piece = st.one_of(st.sampled_from(_alphabet(rule)), st.from_regex(rule.regex))
    text = "".join(data.draw(st.lists(piece, max_size=10)))
    assert rule(text) == re.sub(rule.regex, rule.repl, text), (rule, text)


@given(st.data())
@settings(max_examples=150, deadline=None)
def test_rule_groups_skipped_at_once_are_each_rule_in_turn(data: st.DataObject) -> None:
    import re

    from docmill_builtins import sentences_en
    from docmill_builtins.sentences_rules import Rules, apply

    groups = [v for v in vars(sentences_en).values() if isinstance(v, Rules)]
    group = data.draw(st.sampled_from(groups))
    pieces = sorted({p for rule in group for p in _alphabet(rule)})
    text = "".join(data.draw(st.lists(st.sampled_from(pieces), max_size=14)))
    expected = text
    for rule in group:
        expected = re.sub(rule.regex, rule.repl, expected)
    assert apply(text, group) == expected


def test_window_of_a_pattern_is_what_every_match_has_in_a_row() -> None:
    from docmill_builtins.sentences_windows import window_gate, windows

    srcs = [[src for src, _sel in w] for w in windows(r"(?<=[a-z])(\.\s){3}\.($|\\n)")]
    assert srcs == [["[a-z]", r"\.", r"[\s]", r"\.", r"[\s]", r"\.", r"[\s]", r"\."]]
    gate = window_gate(r"([a-zA-Z0-9_])(\.)([a-zA-Z0-9_])")
    assert gate is not None and gate.pattern == r"\.(?<=[a-zA-Z0-9_]\.)[a-zA-Z0-9_]"
    assert window_gate(r"\s*") is None


_RICH = [
    ".", "!", "?", "'", '"', "(", ")", "[1]", "[2, 3]", "1", "12", "3.5", "Mr.", "U.S.", "No.",
    "no.", "Dr.", "a.m.", "P.M.", "...", ". . .", "....", "?!", "!!", "!?", "??", "Yahoo!",
    "--", "«", "»", "‘", "’", "“", "”", "(iv)", "(a)", "a)", "1.", "2.", "1)", "2)", "a.", "b.",
    "Co. KG", "'s", "°.", ".pdf", "e.g.", "I", "It", "The", "said", "he", "word", "Smith",
    ",", ":", "-", "\n", "\r", "  ", "é", "Ünal", "&", "ȸ", "∯",
]


@given(st.lists(st.sampled_from(_RICH), min_size=1, max_size=30).map(" ".join))
@settings(max_examples=300, deadline=None)
def test_english_processor_is_pysbds_on_text_rich_in_what_the_rules_need(text: str) -> None:
    """docmill's English processor (sentences_en: pysbd's rules, the ones that cannot
    match skipped) gives pysbd's own Processor's sentences."""
    import pysbd

    from docmill_builtins.segment_text import _splitter

    reference = pysbd.Segmenter(language="en", clean=False).processor(text).process()
    assert _splitter().processor(text).process() == reference
