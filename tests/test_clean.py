"""The built-in cleaners on text written for these tests, through the real plugin manager."""

from __future__ import annotations

from docmill.engine.stages import DocState, run_stage
from docmill.plugins import build_manager
from docmill.records import Document


def cleaned(text: str) -> DocState:
    state = DocState("t.txt", "0")
    state.document = Document(id="d", media_type="text/plain", text=text)
    run_stage("clean", build_manager(), [state], {})
    assert state.clean is not None, state.reject
    return state


def test_glued_words_are_split_with_an_edit_and_brands_are_kept() -> None:
    text = (
        "Talks between Kyiv andNorth Atlantic allies resumed in theCapital.\n\n"
        "Sales of the iPhone, eBay listings, McDonald outlets and JavaScript jobs rose; "
        "YouTube and the iPad too."
    )
    state = cleaned(text)
    assert state.clean is not None
    out = state.clean.text
    assert "Kyiv and North Atlantic" in out and "in the Capital." in out
    for word in ("iPhone", "eBay", "McDonald", "JavaScript", "YouTube", "iPad"):
        assert word in out
    glued = [e for e in state.edits if e.reason.startswith("glued")]
    assert [(e.start, e.end, e.replacement) for e in glued] == [
        (text.index("andNorth") + 3, text.index("andNorth") + 3, " "),
        (text.index("theCapital") + 3, text.index("theCapital") + 3, " "),
    ]


def test_glued_word_in_a_url_or_address_is_left_alone() -> None:
    text = "See https://example.org/andNorth or mail desk@andNorth.example today."
    state = cleaned(text)
    assert state.clean is not None and state.clean.text == text


def test_mojibake_is_repaired_only_where_detected_and_curly_quotes_stay() -> None:
    text = (
        "The CafÃ© owner said â€œwe are openâ€\x9d on Monday.\n\n"
        "Elsewhere “curly quotes”, a naïve café and Zelenskyy stay as they are."
    )
    state = cleaned(text)
    assert state.clean is not None
    out = state.clean.text
    assert out.startswith("The Café owner said “we are open” on Monday.")
    assert out.endswith("Elsewhere “curly quotes”, a naïve café and Zelenskyy stay as they are.")
    fixes = [e for e in state.edits if e.reason.startswith("mojibake")]
    assert {e.replacement for e in fixes} == {"é", "“", "”"}
    second = text.index("Elsewhere")
    assert all(e.end <= second for e in fixes)


def test_boilerplate_lines_are_removed_with_reasons_and_sentences_kept() -> None:
    lines = {
        "READ ALSO: Council approves ferry timetable": "teaser",
        "Related: Markets fall again": "teaser",
        "Subscribe to our newsletter for daily news.": "subscription",
        "Share this article: Facebook | Twitter | Email": "share",
        "ADVERTISEMENT": "advertisement",
        "Photo: Reuters/Jane Smith": "photo credit",
        "Reporting by Jane Smith; Editing by Tom Brown": "agency credit",
        "© 2024 Example News. All rights reserved.": "copyright",
    }
    keep = [
        "Readers who subscribe to the paper get the print edition.",
        "Credit card debt rose in March, the bank said.",
        "Source: the ministry did not reply.",
    ]
    text = "\n\n".join([*keep[:1], *lines, *keep[1:]]) + "\n"
    state = cleaned(text)
    assert state.clean is not None
    for sentence in keep:
        assert sentence in state.clean.text
    removed = {text[e.start : e.end].strip(): e.reason for e in state.edits if not e.replacement}
    assert set(removed) == set(lines)
    for line, kind in lines.items():
        assert kind in removed[line], (line, removed[line])


def test_odd_spaces_become_plain_spaces() -> None:
    text = "Prime\u00a0Minister  Jane\u2009Doe spoke.\u200b"
    state = cleaned(text)
    assert state.clean is not None and state.clean.text == "Prime Minister Jane Doe spoke."


def test_unicode_line_separators_become_line_breaks() -> None:
    text = "First line.\u2028Second line.\x0cThird."
    state = cleaned(text)
    assert state.clean is not None
    assert state.clean.text == "First line.\nSecond line.\nThird."
    assert {e.reason for e in state.edits} == {"line separator"}


def test_lower_case_words_run_together_are_split_by_word_frequency() -> None:
    text = "The vote followed a meeting ofthe planning committee, held inthe town hall.\n"
    state = cleaned(text)
    assert state.clean is not None
    assert state.clean.text == text.replace("ofthe", "of the").replace("inthe", "in the")
    glued = [e for e in state.edits if e.reason.startswith("glued")]
    at = [text.index("ofthe") + 2, text.index("inthe") + 2]
    assert [(e.start, e.end, e.replacement) for e in glued] == [(a, a, " ") for a in at]


def test_real_words_names_and_addresses_are_never_split() -> None:
    text = (
        "He walked into the hall and onto the stage; nothing within it could atone "
        "therein, another cannot. Ofthe Dalby met Tothe. See www.example.org/ofthe or "
        "mail ofthe@example.org and user_inthe.\n"
    )
    state = cleaned(text)
    assert state.clean is not None and state.clean.text == text
    assert not [e for e in state.edits if e.reason.startswith("glued")]


def test_organisation_after_a_repaired_glue_is_found_whole() -> None:
    from docmill.records import Entity
    from tests.conftest import run_builtins

    text = "The plan was negotiated withthe Port Authority over eighteen months.\n"
    orgs = [e for e in run_builtins(text).records(Entity) if e.label == "ORG"]
    assert [text[e.start : e.end] for e in orgs] == ["Port Authority"]
