"""The consistency validator: elapsed-time contradictions, label conflicts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from docmill.records import Document, Entity, Finding
from docmill_builtins.elapsed import day_range, elapsed_months
from docmill_builtins.validate_consistency import label_findings
from tests.conftest import RunResult, check_offsets, run_builtins

CONTRADICTION = """Dam Anniversary

The town marked the tenth anniversary of the flood with a silent walk.

"Ten years since the water came, we still remember," the mayor said at the memorial, \
held on March 3, 2019.

Since March 2, 2010, the valley has rebuilt most of its homes.
"""

CONSISTENT = CONTRADICTION.replace("March 3, 2019", "March 3, 2020")


def elapsed(text: str, published: str | None = None) -> list[Finding]:
    findings = run_builtins(text, published).records(Finding)
    return [f for f in findings if f.code.startswith("elapsed")]


def test_stated_elapsed_time_contradicting_explicit_dates_is_one_finding() -> None:
    (finding,) = elapsed(CONTRADICTION)
    text = CONTRADICTION
    assert finding.severity == "warning"
    assert text[finding.start or 0 : finding.end] == "March 3, 2019"
    related = {text[s:e] for s, e in finding.related}
    assert related == {"March 2, 2010", "tenth anniversary", "Ten years since"}
    assert "9 whole years" in finding.message


def test_consistent_dates_give_no_finding() -> None:
    assert elapsed(CONSISTENT) == []


def test_publication_date_is_the_reference_when_the_text_has_none() -> None:
    text = "Since March 2, 2010, the valley has rebuilt. The tenth anniversary was quiet.\n"
    (finding,) = elapsed(text, published="2023-05-01")
    assert text[finding.start or 0 : finding.end] == "tenth anniversary"
    assert [text[s:e] for s, e in finding.related] == ["March 2, 2010"]
    assert elapsed(text, published="2020-05-01") == []


def test_elapsed_months_follow_the_granularity_of_both_dates() -> None:
    def months(since: str, until: str) -> tuple[float, float]:
        a, b = day_range(since), day_range(until)
        assert a is not None and b is not None
        return elapsed_months(a, b)

    assert months("2022-02-24", "2025-02-25")[0] >= 36  # three whole years
    assert months("2022-02-24", "2024-02-23")[1] < 24  # a day short of two
    assert months("2022-02-24", "2024-02-24") == (24, 24)
    low, high = months("2023-03", "2024-11-06")  # any day of March 2023
    assert 19 < low < 20 < high < 21
    low, high = months("1994", "2024-10-03")  # any day of 1994
    assert 356 < low < 360 < high < 370


SHORT = "Since {anchor}, the market has traded every Saturday. {claim}\n"


@pytest.mark.parametrize(
    ("anchor", "claim", "published", "contradiction"),
    [
        ("March 2023", "The market is now in its third year.", "2024-11-06", True),
        ("March 2023", "The market is now in its second year.", "2024-11-06", False),
        ("March 2023", "The market is now in its second year.", "2024-03-10", False),
        ("2019", "Opened in 2019, it has traded for a decade.", "2024-11-28", True),
        ("2014", "It is a decade since it opened.", "2024-06-01", False),
        ("2 March 2020", "It is now five years since it opened.", "2024-06-10", True),
        ("September 2023", "Eight months after opening, it is full.", "2024-05-15", False),
        ("January 2024", "Six months after opening, it is full.", "2024-03-20", True),
        ("1994", "It marked its 25th anniversary this week.", "2024-10-03", True),
        ("1899", "It marked its 125th anniversary this week.", "2024-04-14", False),
    ],
)
def test_month_and_year_anchors_contradict_only_beyond_their_granularity(
    anchor: str, claim: str, published: str, contradiction: bool
) -> None:
    text = SHORT.format(anchor=anchor, claim=claim)
    findings = elapsed(text, published)
    assert bool(findings) == contradiction, [f.message for f in findings]
    for f in findings:
        named = {text[s:e] for s, e in [(f.start or 0, f.end or 0), *f.related]}
        assert anchor in named and "publication date" in f.message


def test_a_sentence_length_is_not_an_elapsed_time() -> None:
    text = (
        "Since June 2021 the court has heard forty witnesses. On Thursday the former "
        "director was jailed for five years.\n"
    )
    assert elapsed(text, "2024-03-14") == []


def test_for_n_years_counts_from_the_event_of_its_own_sentence() -> None:
    text = "The case, which began in June 2021, has run for four years.\n"
    (finding,) = elapsed(text, "2024-03-14")
    assert [text[s:e] for s, e in finding.related] == ["June 2021"]
    assert "2 whole years (32 to 33 months)" in finding.message
    assert "for four years" in finding.message


def test_entity_with_conflicting_labels_is_info() -> None:
    doc = Document(id="d", media_type="text/plain", text="Jordan met Jordan.")
    ents = [
        Entity(start=0, end=6, text="Jordan", label="PERSON", canonical="Jordan"),
        Entity(start=11, end=17, text="Jordan", label="GPE", canonical="Jordan"),
    ]
    (finding,) = label_findings(ents)
    assert (finding.code, finding.severity) == ("entity-label-conflict", "info")
    assert (finding.start, finding.end, finding.related) == (0, 6, [(11, 17)])
    assert doc.text[11:17] == "Jordan"


def test_shared_article_date_contradiction_is_a_finding(shared_article: Path) -> None:
    text = shared_article.read_text(encoding="utf-8")
    findings = elapsed(text)
    assert len(findings) == 1
    f = findings[0]
    stated = text[f.start or 0 : f.end]
    related = [text[s:e] for s, e in f.related]
    assert stated.endswith("2025") and related[0].endswith("2022")
    assert any("anniversary" in r for r in related)


@pytest.mark.flow
def test_shared_article_done_criteria_in_the_jsonl(
    run_flow: Callable[..., RunResult], tmp_path: Path, shared_article: Path
) -> None:
    result = run_flow([shared_article], tmp_path / "out")
    (doc,) = result.records("document")
    text = doc["text"]
    quotes = result.records("quote")
    assert len(quotes) == 3 and {q["speaker"] for q in quotes} == {"Jens Stoltenberg"}
    nato = {e["canonical"] for e in result.records("entity") if e["text"] == "NATO"}
    long_form = {
        e["canonical"]
        for e in result.records("entity")
        if e["text"] == "North Atlantic Treaty Organization"
    }
    assert len(nato) == 1 and nato == long_form
    (glued,) = [e for e in result.records("edit") if e["reason"].startswith("glued")]
    assert (glued["start"] == glued["end"], glued["replacement"]) == (True, " ")
    (finding,) = [f for f in result.records("finding") if f["code"] == "elapsed-time-contradiction"]
    assert text[finding["start"] : finding["end"]].endswith("2025")
    related = [text[s:e] for s, e in finding["related"]]
    assert related[0].endswith("2022") and len(related) >= 3
    assert check_offsets(result) > 50
