"""Quotations: speaker (canonical PERSON), cue verb, both orders, multi-paragraph quotations."""

from __future__ import annotations

from pathlib import Path

from docmill.records import Quote
from tests.conftest import run_builtins

TEXT = """Port Strike Ends

Harbour master Elena Marchetti met the unions on Friday. Marchetti said, “We have a deal. \
The cranes move tomorrow. Nobody loses a job,” before leaving the building.

“The port will reopen at six,” said Elena Marchetti.

Union leader Samuel Adeyemi welcomed the agreement.

“We fought for two months. Our members held firm.

“Every family here felt it. The children felt it.

“Now we go back to work with our heads high,” Adeyemi emphasized.

The city called the deal “historic” in a statement.

“Nobody told us anything about the schedule,” one driver complained.
"""


def quotes() -> list[Quote]:
    return run_builtins(TEXT).records(Quote)


def test_speaker_before_and_after_with_cue() -> None:
    qs = quotes()
    first, second = qs[0], qs[1]
    assert first.text.startswith("“We have a deal.") and first.text.endswith("job,”")
    assert (first.speaker, first.cue) == ("Elena Marchetti", "said")
    assert second.text == "“The port will reopen at six,”"
    assert (second.speaker, second.cue) == ("Elena Marchetti", "said")


def test_quotation_over_three_paragraphs_is_one_quote() -> None:
    long = [q for q in quotes() if q.text.startswith("“We fought")]
    assert len(long) == 1
    q = long[0]
    assert q.text.endswith("heads high,”") and q.text.count("\n\n") == 2
    assert (q.speaker, q.cue) == ("Samuel Adeyemi", "emphasized")
    assert TEXT[q.start : q.end] == q.text


def test_scare_quotes_are_not_quotations_and_unknown_speaker_is_null() -> None:
    qs = quotes()
    assert not [q for q in qs if "historic" in q.text]
    last = qs[-1]
    assert last.text.startswith("“Nobody told us")
    assert last.speaker is None


def test_quote_without_speaker_is_a_warning() -> None:
    from docmill.records import Finding

    result = run_builtins(TEXT)
    warnings = [f for f in result.records(Finding) if f.code == "quote-without-speaker"]
    assert len(warnings) == 1 and warnings[0].severity == "warning"
    assert TEXT[warnings[0].start or 0 :].startswith("“Nobody told us")


def test_shared_article_quotes_are_all_stoltenberg(shared_article: Path) -> None:
    text = shared_article.read_text(encoding="utf-8")
    qs = run_builtins(text).records(Quote)
    assert len(qs) == 3
    assert {q.speaker for q in qs} == {"Jens Stoltenberg"}
    assert [q.cue for q in qs] == ["said", "noted", "emphasized"]
    multi = [q for q in qs if q.text.count("\n\n") == 2]
    assert len(multi) == 1  # the three-paragraph quotation, one span
