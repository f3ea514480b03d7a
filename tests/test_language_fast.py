"""docmill's faster py3langid scorer gives py3langid's own answers, bit for bit.

:mod:`docmill.langid_fast` replaces py3langid's byte-by-byte walk of its
automaton with numpy lookups that rest on one fact: the automaton is the
Aho-Corasick automaton of its states' strings. The first test proves that fact
for the installed model, transition by transition; the others compare the
feature counts and the (language, probability) with py3langid's on texts
Hypothesis makes and on every sample text of the repository.
"""

from __future__ import annotations

import re
import string
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from py3langid.langid import MODEL_FILE, LanguageIdentifier, visit_counts

from docmill import language
from docmill.langid_fast import FastScorer, build, first_met

ROOT = Path(__file__).resolve().parent.parent


@cache
def _pair() -> tuple[Any, FastScorer]:
    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    fast = build(ident)
    assert fast is not None, "py3langid's model is no longer of the shape langid_fast knows"
    return ident, fast


def _walk(ident: Any, text: str) -> list[tuple[int, int]]:
    counts = visit_counts(ident.tk_nextmove, ident._rowbase, ident.tk_output, ident._encode(text))
    return list(counts.items()) if counts else []


def _counts(fast: FastScorer, text: str) -> list[tuple[int, int]]:
    found = fast.counts(fast.encode(text))
    return [] if found is None else list(zip(found[0].tolist(), found[1].tolist(), strict=True))


def test_the_automaton_is_aho_corasick_of_its_state_strings() -> None:
    """Each transition leads to the child (one byte deeper) or, failing that, where
    the failure state's transition leads: then the state after any input is the
    longest suffix of it that is a state's string, which is what ``states`` finds."""
    ident, fast = _pair()
    nextmove = np.asarray(ident.tk_nextmove)
    rowbase = np.asarray(ident.tk_row, dtype=np.int64) << 8
    depth = fast.depth
    n = len(depth)
    parent = np.full(n, -1, dtype=np.int64)
    last = np.full(n, -1, dtype=np.int64)
    fail = np.zeros(n, dtype=np.int64)
    byte = np.arange(256, dtype=np.int64)
    for d in range(fast.max_depth + 1):
        level = np.flatnonzero(depth == d)
        for i in range(0, len(level), 4096):
            chunk = level[i : i + 4096]
            rows = nextmove[rowbase[chunk][:, None] + byte].astype(np.int64)
            assert (depth[rows] <= d + 1).all()
            child = depth[rows] == d + 1
            kids = rows[child]
            assert len(np.unique(kids)) == len(kids) and (parent[kids] == -1).all()
            parent[kids] = np.repeat(chunk, child.sum(axis=1))
            last[kids] = np.broadcast_to(byte, rows.shape)[child]
            if d == 0:
                assert (rows[~child] == 0).all()
            else:
                via_fail = nextmove[rowbase[fail[chunk]][:, None] + byte]
                assert (rows[~child] == via_fail[~child]).all()
        nxt = np.flatnonzero(depth == d + 1)
        assert (parent[nxt] >= 0).all()
        if d > 0:
            fail[nxt] = nextmove[rowbase[fail[parent[nxt]]] + last[nxt]]


TEXTS = st.one_of(
    st.text(max_size=300),
    st.text(alphabet="aeiou tnsrhldcmTHEÉéüß\n.,'-", max_size=300),
    st.lists(
        st.sampled_from(["the", "der", "la", "和", "of", "Straße", "été", "  ", "\n\n", "ARE"]),
        max_size=60,
    ).map(" ".join),
)


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_counts_and_classify_equal_py3langid(text: str) -> None:
    ident, fast = _pair()
    assert _counts(fast, text) == _walk(ident, text)
    assert fast.classify(text) == ident.classify(text)


@settings(max_examples=150, deadline=None)
@given(st.lists(TEXTS, max_size=6))
def test_classify_many_is_classify_of_each(texts: list[str]) -> None:
    """Texts scored together (joined by a separator byte) score as each alone."""
    ident, fast = _pair()
    assert fast.classify_many(texts) == [ident.classify(text) for text in texts]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.integers(0, 2**20), max_size=400)
    | st.lists(st.integers(0, 5), max_size=400)
    | st.lists(st.integers(0, 2**61), max_size=40)
)
def test_first_met_is_unique_in_the_order_of_first_occurrence(values: list[int]) -> None:
    keys = np.array(values, dtype=np.int64)
    distinct, first, counts = np.unique(keys, return_index=True, return_counts=True)
    order = np.argsort(first, kind="stable")
    found, found_counts = first_met(keys)
    assert found.tolist() == distinct[order].tolist()
    assert found_counts.tolist() == counts[order].tolist()


def _sample_texts() -> list[str]:
    paths = [
        *sorted((ROOT / "eval").rglob("*.txt")),
        *sorted((ROOT / "eval").rglob("*.md")),
        *sorted((ROOT / "tests" / "fixtures").rglob("*.txt")),
        *sorted((ROOT / "tests" / "fixtures").rglob("*.md")),
        *sorted((ROOT / "tests" / "fixtures").rglob("*.html")),
    ]
    texts = []
    for path in paths:
        text = path.read_text(encoding="utf-8", errors="replace")
        texts.append(text[: language.SAMPLE_CHARS])
        texts.extend(language._PARAGRAPH_BREAK.split(text[: 4 * language.SAMPLE_CHARS]))
    return texts


def test_every_sample_text_scores_as_with_py3langid() -> None:
    """The texts and paragraphs ``language.resolve`` would ask about, for every sample."""
    ident, fast = _pair()
    texts = _sample_texts()
    assert len(texts) > 100
    for text in texts:
        assert fast.classify(text) == ident.classify(text), text[:80]
    assert fast.classify_many(texts) == [ident.classify(text) for text in texts]


def test_resolve_is_the_same_before_and_after_the_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first detections of a process use py3langid itself, the rest the faster
    scorer: a document's language and meta do not depend on which."""
    ident, fast = _pair()
    texts = [t for t in _sample_texts() if len(t) > 200][:40]
    monkeypatch.setattr(language, "_model", [ident])
    monkeypatch.setattr(language, "_asked", [0])
    slow = [language.resolve(None, t) for t in texts]
    monkeypatch.setattr(language, "_model", [fast])
    assert [language.resolve(None, t) for t in texts] == slow


_LETTER = re.compile(r"[^\W\d_]")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(),
        st.text(alphabet="ab1_ é²½Ⅻ和かー한\n"),
        st.text(alphabet=string.printable),
        st.text(alphabet=string.ascii_letters + " .\u2019\u201cÉß\ud800\U0001d400Ⅻ和"),
    )
)
def test_letters_counts_one_match_per_letter(text: str) -> None:
    """``letters`` counts what one match per letter (and per CJK character) counts."""
    assert language.letters(text) == len(_LETTER.findall(text)) + len(_CJK.findall(text))
