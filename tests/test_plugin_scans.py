"""The built-in plugins' faster scans find exactly what the plain scans they replaced find.

Each test keeps the plain definition (a regex scan per pattern, per name or per
token) and checks with Hypothesis, on texts made of the words and separators that
matter, that the faster code gives the same result.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from typing import Any

import pytest
from ftfy.badness import BADNESS_RE, MOJIBAKE_CATEGORIES, is_bad
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from docmill import Document, Entity, Record
from docmill_builtins import (
    clean_glued,
    clean_mojibake,
    clean_unicode,
    elapsed,
    extract_quotes,
    glued_words,
    speakers,
    validate_spans,
)
from docmill_builtins.entity_names import first_last as _first_last
from docmill_builtins.extract_entities import _char_before, decased_headline

claim_words = st.sampled_from(
    [
        "two", "Two", "years", "YEAR", "year", "months", "month", "since", "ago", "after",
        "into", "on", "from", "in", "its", "their", "the", "third", "25th", "twenty-first",
        "anniversary", "Anniversary", "for", "past", "last", "a", "decade", "enters",
        "entered", "x-two", "2", "ten", "yearly", "é", "ſince", "K",
    ]
)  # fmt: skip
claim_seps = st.sampled_from([" ", "  ", "\n", "-", ".", ", ", "", "\u00a0", "_"])


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(claim_words, claim_seps), max_size=40))
def test_claims_found_from_keywords_as_by_a_scan_per_pattern(
    parts: list[tuple[str, str]],
) -> None:
    text = "".join(w + s for w, s in parts)
    found = [(c.start, c.end, text[c.start : c.end]) for c in elapsed.claims(text)]
    assert found == _plain_claims(text)


def _plain_claims(text: str) -> list[tuple[int, int, str]]:
    """What a scan of the whole text per pattern finds (the code before the keyword scan)."""
    return [
        (m.start(), m.end(), m.group())
        for pattern, _kind, _own in elapsed._CLAIMS
        for m in pattern.finditer(text)
    ]


def test_claims_of_every_phrasing_are_found() -> None:
    text = (
        "The 25th anniversary came two years since it began, six months after the vote, "
        "in its third year, for the past four years and a decade since; for a decade."
    )
    found = [(c.start, c.end, c.text) for c in elapsed.claims(text)]
    assert found == _plain_claims(text)
    assert len(found) == 7


#: Few words and separators, so that names meet in every way: hyphenated first names,
#: a surname right after a match of the same surname, a letter glued before a name.
name_words = st.sampled_from(["Anna", "Maria", "Smith", "Jones", "A", "ab", "President", "é"])
name_seps = st.sampled_from([" ", " ", "-", "", "\n", ". "])
surnames = st.sampled_from(["Smith", "Maria", "Smith-Jones", "Anna"])


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.tuples(name_words, name_seps), max_size=12), surnames)
def test_first_names_found_from_each_surname_as_by_a_regex_per_surname(
    parts: list[tuple[str, str]], surname: str
) -> None:
    text = "".join(w + s for w, s in parts)
    pattern = rf"\b([A-Z][a-z]+(?:-[A-Z][a-z]+)?) {re.escape(surname)}\b"
    plain = [(m.start(), m.group(1), m.end()) for m in re.finditer(pattern, text)]
    assert _first_last(text, surname) == plain


def test_first_names_of_hyphenated_and_repeated_names() -> None:
    text = "Anna-Maria Smith met xAnna-Maria Smith and Ab-Cd-Ef Smith, then Smith Smith."
    assert _first_last("Anna Smith-Maria Smith", "Smith") == [(0, "Anna", 10), (11, "Maria", 22)]
    assert _first_last("A-Maria Smith", "Smith") == [(2, "Maria", 13)]
    assert _first_last(text, "Smith") == [
        (0, "Anna-Maria", 16),
        (27, "Maria", 38),
        (46, "Cd-Ef", 57),
        (64, "Smith", 75),
    ]


def _plain_split_point(token: str) -> int | None:
    """glued_words.split_point before its cache and its bound on where the halves meet."""
    common = glued_words._common()
    best: tuple[float, int] | None = None
    for i in range(1, len(token)):
        head, tail = token[:i], token[i:]
        if head in common and tail in common:
            score = common[head] + common[tail] - 9
            if best is None or score > best[0]:
                best = (score, i)
    if best is None:
        return None
    whole = glued_words._zipf(token)
    if whole >= glued_words.WHOLE_ZIPF or best[0] - whole < glued_words.MARGIN:
        return None
    return best[1]


glue_parts = st.sampled_from(
    ["of", "the", "with", "and", "to", "in", "that", "for", "is", "on", "be", "x", "tion",
     "about", "would", "because", "people", "a", "i", "s", "ing", "there", "where"]
)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.lists(glue_parts, min_size=1, max_size=4))
def test_split_point_as_trying_every_split(parts: list[str]) -> None:
    token = "".join(parts)
    assert glued_words.split_point(token) == _plain_split_point(token)


def test_split_point_of_run_together_words() -> None:
    assert glued_words.split_point("ofthe") == 2
    assert glued_words.split_point("withthe") == 4
    assert glued_words.split_point("into") is None
    assert glued_words.split_point("becausethere") == _plain_split_point("becausethere")


before_words = st.sampled_from(
    ["said", "Anna Smith", "the spokeswoman", "told", "reporters", "according to", "he",
     "pointed out", "on Monday", "x" * 40, "Résumé", "saidx", "Said", "went on", "1"]
)  # fmt: skip
before_seps = st.sampled_from(
    [" ", "  ", ", ", ": ", ".", "?", '"', "\n", "\u00a0", "\u2003", "\x1c", "", "“"]
)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(before_words, before_seps), max_size=12))
def test_speaker_cue_before_a_quotation_as_by_a_search_from_every_position(
    parts: list[tuple[str, str]],
) -> None:
    before = "".join(w + s for w, s in parts)
    plain = extract_quotes._BEFORE[0].search(before)
    found = extract_quotes._speaker_cue(before)
    assert (found and (found.span(), found.groupdict())) == (
        plain and (plain.span(), plain.groupdict())
    )


def test_speaker_cue_found_far_before_the_quotation() -> None:
    before = "In a statement released on Monday afternoon, Anna Smith said: "
    m = extract_quotes._speaker_cue(before)
    assert m is not None and m.group("cue") == "said"
    # speaker phrases about as long as one may be, and long whitespace before the cue
    tricky = [before, "It rose. Anna Smith said", "x.y said", "x. said", ". x said", "“x” said"]
    # a clause after the cue of up to 31 characters, and one longer
    tricky += [f"Anna Smith said {'in a statement on Monday night'[:n]}:" for n in range(20, 31)]
    tricky += ["Anna Smith said in a statement on Monday night, :", "Smith said a" + "b" * 31]
    for n in range(76, 86):
        tricky += [
            "x" * n + " said: ",
            "ab " + "x" * n + " said, ",
            "x" * (n - 10) + " " * 12 + "told\u00a0",
            "x" * 40 + " " + "x" * (n - 41) + "  \u2003 said",
        ]
    for text in tricky:
        plain = extract_quotes._BEFORE[0].search(text)
        found = extract_quotes._speaker_cue(text)
        assert (found and (found.span(), found.groupdict())) == (
            plain and (plain.span(), plain.groupdict())
        ), text


def _category_chars(fragment: str) -> list[str]:
    """The characters of one of ftfy's character-class fragments ("À-ÑØ…")."""
    cls = re.compile("[" + fragment + "]")
    return [chr(c) for c in range(0x80, 0x2600) if cls.fullmatch(chr(c))]


#: Every non-ASCII character ftfy's badness pattern names, one of each of its
#: categories (fragments like "À-Ñ"), and some ASCII.
_FTFY_ALPHABET = sorted(
    {c for c in BADNESS_RE.pattern if not c.isascii()}
    | {_category_chars(f)[0] for f in MOJIBAKE_CATEGORIES.values()}
    | set("a .")
)


def test_no_string_without_a_suspect_character_is_flagged_by_ftfy() -> None:
    """Every string of up to three of those characters that are not suspect."""
    plain = [c for c in _FTFY_ALPHABET if not clean_mojibake._SUSPECT.search(c)]
    assert "“" in plain and "’" in plain and "—" in plain  # the precheck skips news text
    for n in (1, 2, 3):
        for chars in itertools.product(plain, repeat=n):
            assert not is_bad("".join(chars)), chars


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet=st.sampled_from(_FTFY_ALPHABET), max_size=12))
def test_no_line_ftfy_flags_lacks_a_suspect_character(line: str) -> None:
    if is_bad(line):
        assert clean_mojibake._SUSPECT.search(line)


def test_mojibake_still_repaired() -> None:
    assert [e.replacement for e in clean_mojibake.edits("Caf\u00c3\u00a9 \u00e2\u20ac\u0153x")]
    assert list(clean_mojibake.edits("“Plain” text — with curly quotes’ and dashes…")) == []


def _plain_unicode_edits(text: str) -> list[tuple[int, int, str, str]]:
    """clean_unicode.edits before its prechecks: every pattern scanned over the text."""
    cu = clean_unicode
    out = []
    for m in cu._COMBINING.finditer(text):
        nfc = unicodedata.normalize("NFC", m.group())
        if nfc != m.group():
            out.append((m.start(), m.end(), nfc, "unicode NFC"))
    out += [
        (m.start(), m.end(), "\n", "line separator") for m in cu._LINE_SEPARATORS.finditer(text)
    ]
    out += [(m.start(), m.end(), "", "invisible character") for m in cu._INVISIBLE.finditer(text)]
    out += [(m.start(), m.end(), "", "trailing whitespace") for m in cu._TRAILING.finditer(text)]
    for m in cu._SPACES.finditer(text):
        reason = "non-breaking or odd space" if len(m.group()) == 1 else "repeated spaces"
        out.append((m.start(), m.end(), " ", reason))
    for m in cu._NEWLINES.finditer(text):
        crlf = m.group().startswith("\r")
        out.append(
            (m.start(), m.end(), "\n" if crlf else "\n\n", "line ending" if crlf else "blank lines")
        )
    return out


@settings(max_examples=1000, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from("ae \t\n\r\u00a0\u2003\u3000\u0301\u20d0\u200b\u2028é"),
        max_size=30,
    )
)
def test_unicode_edits_as_by_every_scan(text: str) -> None:
    found = [(e.start, e.end, e.replacement, e.reason) for e in clean_unicode.edits(text)]
    assert found == _plain_unicode_edits(text)


anchor_words = st.sampled_from(
    ["since", "Since", "ſince", "began", "founded", "took office", "in", "IN", "İn", "ın", "on",
     "On", "x", "spring", "March", "2020", "the", "was"]
)  # fmt: skip
anchor_seps = st.sampled_from([" ", "  ", "\n", "", "\u00a0", "\x1c", ", ", ". ", "-"])


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.tuples(anchor_words, anchor_seps), max_size=10))
def test_dates_an_event_as_the_anchor_search(parts: list[tuple[str, str]]) -> None:
    before = "".join(w + s for w, s in parts)
    assert elapsed.dates_an_event(before) == bool(elapsed.ANCHOR_BEFORE.search(before))


def test_dates_an_event_of_anchored_and_plain_dates() -> None:
    assert elapsed.dates_an_event("the war that began on ")
    assert elapsed.dates_an_event("Since ")
    assert elapsed.dates_an_event("founded in\n")
    assert not elapsed.dates_an_event("on ")
    assert not elapsed.dates_an_event("met since")


def _old_revalidation_error(rec: Record) -> str:
    """What validate_spans reported before it called pydantic-core directly."""
    with pytest.raises(ValidationError) as info:
        type(rec).model_validate(rec.model_dump())
    return f"{rec.kind} from {rec.plugin!r} does not validate: {info.value}"


class _DumpsWithoutLabel(Entity):
    """A record kind whose own model_dump leaves a required field out."""

    def model_dump(self, **kw: Any) -> dict[str, Any]:
        return {k: v for k, v in super().model_dump(**kw).items() if k != "label"}


@pytest.mark.filterwarnings("ignore:Pydantic serializer warnings")  # the label 7, both ways
def test_invalid_records_reported_as_by_pydantic_wrappers() -> None:
    doc = Document(media_type="text/plain", text="Hello world")
    good = Entity(start=0, end=5, label="ORG", text="Hello")
    negative = Entity.model_construct(start=-1, end=5, label="ORG", text="Hello")
    untyped = Entity.model_construct(start=0, end=5, label=7, text="Hello")
    overridden = _DumpsWithoutLabel(start=0, end=5, label="ORG", text="Hello")
    findings = validate_spans.validate(doc=doc, records=[good, negative, untyped, overridden])
    assert [f.message for f in findings if f.code == "invalid-record"] == [
        _old_revalidation_error(negative),
        _old_revalidation_error(untyped),
        _old_revalidation_error(overridden),
    ]
    assert not validate_spans._pydantic_methods(_DumpsWithoutLabel)
    assert validate_spans._pydantic_methods(Entity)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from("aonitfNB .-’@"), max_size=16))
def test_glued_edits_only_where_case_changes(text: str) -> None:
    plain = [
        m.end(1)
        for m in clean_glued._GLUED.finditer(text)
        if m.group(1) in clean_glued.FUNCTION_WORDS and m.group() not in clean_glued.KEEP
    ]
    assert [e.start for e in clean_glued.edits(text)] == plain


def test_glued_function_word_split() -> None:
    assert [e.start for e in clean_glued.edits("talks andNorth")] == [9]


gender_words = st.sampled_from(
    ["he", "She", "HER", "hers", "his", "him", "mr", "Mrs", "ms", "miss", "Sir", "son",
     "sons", "Lady", "spokesman", "spokeswoman", "the", "x", "é", "K", "ſir"]
)  # fmt: skip
gender_seps = st.sampled_from([" ", ". ", "-", "", "_", "’", "\n", "\u00a0"])


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.tuples(gender_words, gender_seps), max_size=12))
def test_gendered_words_counted_in_one_scan_as_in_two(parts: list[tuple[str, str]]) -> None:
    window = "".join(w + s for w, s in parts)
    found = [g.lastgroup for g in speakers._GENDERED.finditer(window)]
    assert found.count("m") == len(speakers._MALE.findall(window))
    assert found.count("f") == len(speakers._FEMALE.findall(window))
    if speakers._HONORIFIC_BEFORE.search(window):
        assert window[-1:].isspace()


def _plain_decased_headline(headline: str, body: str) -> str:
    """decased_headline before it looked up only the headline's words in the body."""
    capitalised = {
        m.group()
        for m in re.finditer(r"\b[A-Z][\w’'-]*", body)
        if _char_before(body, m.start()) not in ("", ".", "!", "?", "“", '"', "—", ":")
    }
    return re.sub(
        r"\b[A-Z][a-z][\w’'-]*",
        lambda m: m.group() if m.group() in capitalised else m.group().lower(),
        headline,
    )


headline_words = st.sampled_from(
    ["Central", "Bank", "Holds", "Rates", "bank", "Anne-Marie", "Marie", "O’Neil", "Neil", "A"]
)
headline_seps = st.sampled_from([" ", ". ", ": ", "“", "-", "\n", ""])


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.tuples(headline_words, headline_seps), max_size=8),
    st.lists(st.tuples(headline_words, headline_seps), max_size=16),
)
def test_decased_headline_as_with_every_body_word(
    head: list[tuple[str, str]], body: list[tuple[str, str]]
) -> None:
    headline = "".join(w + s for w, s in head)
    text = "".join(w + s for w, s in body)
    assert decased_headline(headline, text) == _plain_decased_headline(headline, text)
