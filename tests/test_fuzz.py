"""Property tests over the paths bad input takes: loaders, cleaning, offset mapping.

Random bytes and random unicode go in through the real built-in plugins (every
loader that is installed, every cleaner, the segmenter, the span validator; no
spaCy, so it stays fast); out come only documents with valid offsets or rejects
with a readable reason, never an exception. Example counts are bounded and the
search is derandomized, so CI runs the same few hundred cases in a few seconds.
"""

from __future__ import annotations

import warnings
from functools import cache

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from docmill.engine import stages
from docmill.engine.stages import DocState
from docmill.plugins import DEFAULT_PLUGINS, Manager, PluginLoadWarning, build_manager
from docmill.records import Edit, Finding, Reject, Span
from docmill.sources import Source
from docmill.text import EditedText

FUZZ = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


@cache
def manager() -> Manager:
    """Every built-in plugin but the spaCy-backed extractors."""
    names = [m.rsplit(".", 1)[1] for m in DEFAULT_PLUGINS]
    only = [n for n in names if not n.startswith("extract_") and not n.startswith("export_")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PluginLoadWarning)
        return build_manager(only=only)


def run_all(source: Source) -> DocState:
    mgr = manager()
    kinds = stages.record_kinds(mgr)
    state = stages.load_one(mgr, source)
    for stage in ("clean", "segment", "extract", "validate"):
        stages.run_stage(stage, mgr, [state], kinds)
    return state


def assert_sound(state: DocState) -> None:
    """One document with valid offsets and no plugin failure, or one readable reject."""
    out = state.output()
    if isinstance(out[0], Reject):
        assert len(out) == 1
        error = out[0].error
        assert error.strip() and "\n" not in error and "Traceback" not in error, error
        assert "internal error" not in error, error
        return
    assert state.document is not None
    text = state.document.text
    for record in out[1:]:
        if isinstance(record, Finding):
            assert record.code != "plugin-error", record.message
            assert record.severity != "error", record.message
        if isinstance(record, Span | Edit):
            assert 0 <= record.start <= record.end <= len(text), record
        if isinstance(record, Span) and record.kind == "segment":
            assert record.text.strip(), record


_NAMES = st.sampled_from(
    ["a.txt", "b.md", "c.html", "d.pdf", "e.docx", "f.bin", "g", "h.csv", "i.htm"]
)
_PREFIXES = st.sampled_from(
    [b"", b"%PDF-1.4\n", b"PK\x03\x04", b"<html><body>", b"\xef\xbb\xbf", b"\xff\xfe", b"---\n"]
)


@FUZZ
@given(name=_NAMES, prefix=_PREFIXES, body=st.binary(max_size=600))
def test_random_bytes_become_a_document_or_a_readable_reject(
    name: str, prefix: bytes, body: bytes
) -> None:
    assert_sound(run_all(Source.from_bytes(name, prefix + body)))


_TEXT = st.lists(
    st.one_of(
        st.sampled_from(list(" \n\n\t\r.,;:!?\"'“”‘’«»—–-()[]#*_>`|")),
        st.sampled_from(list("\u00a0\u200b\u00ad\ufeff\u2028\u0301\u0308\u3000")),
        st.characters(codec="utf-8", exclude_categories=("Cs",)),
        st.sampled_from(["READ ALSO: ", "Photo: ", "Subscribe", "Mr. ", "U.S. ", "said. "]),
    ),
    max_size=120,
).map("".join)


@FUZZ
@given(text=_TEXT, name=st.sampled_from(["t.txt", "t.md"]))
def test_random_unicode_cleans_and_segments_with_valid_offsets(text: str, name: str) -> None:
    state = run_all(Source.from_bytes(name, text.encode("utf-8")))
    assert_sound(state)
    if state.alive:
        assert state.clean is not None
        edited = state.clean.edited
        # the cleaned text is the source with the kept edits applied
        rebuilt, pos = [], 0
        for e in edited.edits:
            rebuilt += [edited.source[pos : e.start], e.replacement]
            pos = e.end
        rebuilt.append(edited.source[pos:])
        assert "".join(rebuilt) == edited.text


@st.composite
def hostile_edits(draw: st.DrawFn) -> tuple[str, list[Edit]]:
    """Edits as a careless cleaner might propose them: overlapping, empty, at the ends."""
    text = draw(st.text(max_size=40))
    n = len(text)
    edits = []
    for _ in range(draw(st.integers(0, 10))):
        start = draw(st.integers(0, n))
        end = draw(st.integers(start, n))
        repl = draw(st.text(max_size=5))
        edits.append(Edit(start=start, end=end, replacement=repl, reason="fuzz"))
    return text, edits


@FUZZ
@given(hostile_edits(), st.data())
def test_any_edits_map_every_cleaned_span_back_inside_the_source(
    case: tuple[str, list[Edit]], data: st.DataObject
) -> None:
    text, edits = case
    edited = EditedText(text, edits)
    n = len(edited.text)
    start = data.draw(st.integers(0, n))
    end = data.draw(st.integers(start, n))
    s, e = edited.to_source(start, end)
    assert 0 <= s <= e <= len(text)
    assert 0 <= edited.to_clean(data.draw(st.integers(0, len(text)))) <= n
