"""The consistency validator: elapsed-time contradictions, label conflicts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from docmill.records import Document, Entity, Finding
from docmill_builtins.validate_consistency import label_findings, whole_years
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


def test_whole_years() -> None:
    from datetime import date

    assert whole_years(date(2022, 2, 24), date(2025, 2, 25)) == 3
    assert whole_years(date(2022, 2, 24), date(2024, 2, 23)) == 1
    assert whole_years(date(2022, 2, 24), date(2024, 2, 24)) == 2


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
