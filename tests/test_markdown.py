"""Markdown: the file as written is the source; front matter is metadata; markup is edits."""

from __future__ import annotations

import pytest

from docmill.engine.stages import DocState, load_one, record_kinds, run_stage
from docmill.plugins import Manager, build_manager
from docmill.records import Edit, Segment
from docmill.sources import Source
from tests.conftest import cleaned_surface
from tests.format_fixtures import MARKDOWN_NOTE, MARKDOWN_WORDS


@pytest.fixture(scope="module")
def mgr() -> Manager:
    return build_manager()


def cleaned(mgr: Manager, name: str, text: str) -> DocState:
    state = load_one(mgr, Source.from_bytes(name, text.encode("utf-8")))
    kinds = record_kinds(mgr)
    for stage in ("clean", "segment"):
        run_stage(stage, mgr, [state], kinds)
    assert state.reject is None, state.reject
    return state


def test_front_matter_becomes_metadata_and_the_text_stays_the_file(mgr: Manager) -> None:
    state = load_one(mgr, Source.from_bytes("ferry.md", MARKDOWN_NOTE.encode()))
    doc = state.document
    assert doc is not None
    assert doc.text == MARKDOWN_NOTE
    assert doc.media_type == "text/markdown"
    assert doc.title == "Ferry timetable changes from December"
    assert doc.published == "2026-11-02"
    assert doc.author == "Ana Ruiz; Tom Kerr"
    assert doc.language == "en"
    assert doc.encoding == "utf-8"
    assert doc.meta["front_matter"]["tags"] == ["transport", "islands"]
    assert doc.meta["front_matter"]["date"] == "2026-11-02"


def test_markup_is_removed_by_edits_and_segments_point_into_the_file(mgr: Manager) -> None:
    state = cleaned(mgr, "ferry.md", MARKDOWN_NOTE)
    assert state.clean is not None
    clean_text = state.clean.text
    for words in MARKDOWN_WORDS:
        assert words in clean_text, words
    for markup in ("---", "title:", "# ", "**", "_two", "](", "`", "<https", "![", "[operator]"):
        assert markup not in clean_text, markup
    md_edits = [e for e in state.edits if e.plugin == "clean_markdown"]
    assert md_edits and all(e.reason.startswith("markdown: ") for e in md_edits)
    edits = [e.model_dump() for e in state.edits if isinstance(e, Edit)]
    paragraphs = []
    for seg in (r for r in state.records if isinstance(r, Segment)):
        assert cleaned_surface(MARKDOWN_NOTE, edits, seg.start, seg.end) == seg.text
        if seg.type == "paragraph":
            paragraphs.append(seg.text)
    assert paragraphs[0] == "Ferry timetable changes from December"
    assert "The island ferry will run two extra sailings" in paragraphs[1]
    heading = next(s for s in state.records if isinstance(s, Segment) and s.type == "paragraph")
    assert MARKDOWN_NOTE[heading.start : heading.end] == "Ferry timetable *changes* from December"


def test_markdown_without_front_matter_takes_its_title_from_the_first_heading(
    mgr: Manager,
) -> None:
    text = "Intro line before the heading.\n\n## Harvest festival returns\n\nStalls open at ten.\n"
    doc = load_one(mgr, Source.from_bytes("fest.md", text.encode())).document
    assert doc is not None
    assert doc.title == "Harvest festival returns"
    assert doc.published is None and doc.author is None
    assert doc.meta["language_source"] == "detected"  # no front matter: nothing declared
    assert not [key for key in doc.meta if not key.startswith("language_")]


def test_front_matter_that_is_not_yaml_is_left_as_text(mgr: Manager) -> None:
    text = "---\ntitle: [unclosed\n---\n\nThe body of the note, long enough to detect.\n"
    doc = load_one(mgr, Source.from_bytes("bad.md", text.encode())).document
    assert doc is not None
    assert doc.published is None
    assert not [key for key in doc.meta if not key.startswith("language_")]


def test_plain_text_keeps_its_asterisks(mgr: Manager) -> None:
    text = "Prices rose 5% *again* in March, the **statistics office** said on Friday.\n"
    state = cleaned(mgr, "note.txt", text)
    assert state.clean is not None
    assert "*again*" in state.clean.text and "**statistics office**" in state.clean.text


def test_markdown_is_sniffed_from_front_matter_without_an_extension(mgr: Manager) -> None:
    doc = load_one(mgr, Source.from_bytes("stdin", MARKDOWN_NOTE.encode())).document
    assert doc is not None and doc.media_type == "text/markdown"
    assert doc.author == "Ana Ruiz; Tom Kerr"


def test_tables_lose_their_delimiter_row_and_fenced_code_stays(mgr: Manager) -> None:
    text = (
        "Election results\n\n| Party | Seats |\n|---|:---:|\n| Green | 12 |\n\n"
        "```\nseats = {'Green': 12} # *not emphasis*\n```\n"
    )
    state = cleaned(mgr, "results.md", text)
    assert state.clean is not None
    assert "|---|" not in state.clean.text and "```" not in state.clean.text
    assert "| Party | Seats |\n| Green | 12 |" in state.clean.text
    assert "seats = {'Green': 12} # *not emphasis*" in state.clean.text
