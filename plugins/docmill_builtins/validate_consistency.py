"""Consistency checks a careful reader makes: elapsed times, quote speakers, entity labels.

* ``elapsed-time-contradiction`` (warning): the text dates an event ("Since
  February 24, 2022", "began in March 2023", "founded in 1994") and states how long
  ago it was ("the second anniversary", "two years since", "in its third year",
  "for four years", "six months after", "a decade since"), but the date it is
  counted to is a different time after the event (:mod:`docmill_builtins.elapsed`:
  day, month-year or year dates, with a tolerance that follows their granularity).
  A phrase counts from an event dated in its own sentence, else (except "for N
  years", which needs its own) from the nearest earlier one in its paragraph, else
  the text's first; it counts to a later date in its own sentence, else the
  publication date, else every later date of the text. One finding per
  contradicting date: ``start``/``end`` is that date (or the phrase, against the
  publication date), ``related`` the event date and every phrase it contradicts;
  the message gives the arithmetic.
* ``quote-without-speaker`` (warning): a quotation nobody is credited with.
* ``entity-label-conflict`` (info): mentions of one canonical entity carry
  different labels; ``related`` lists the mentions whose label differs from the first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from docmill import DateMention, Document, Edit, Entity, Finding, Quote, Record, Segment, hookimpl
from docmill_builtins.elapsed import (
    Claim,
    claims,
    contradicts,
    dates_an_event,
    day_range,
    describe_elapsed,
    elapsed_months,
)


@dataclass(frozen=True, slots=True)
class Dated:
    """A date mention with the days it covers."""

    start: int
    end: int
    days: tuple[date, date]


def _segments(records: Sequence[Record], kind: str) -> list[tuple[int, int]]:
    return sorted((r.start, r.end) for r in records if isinstance(r, Segment) and r.type == kind)


def _within(spans: Sequence[tuple[int, int]], pos: int) -> tuple[int, int] | None:
    for s, e in spans:
        if s <= pos < e:
            return s, e
    return None


def _anchor_for(
    claim: Claim,
    anchors: Sequence[Dated],
    sentence: tuple[int, int] | None,
    paragraph: tuple[int, int] | None,
) -> Dated | None:
    """The event a claim counts from: an anchor of its own sentence, else (unless the
    phrasing needs its own) the nearest earlier one of its paragraph, else the first."""
    own = [a for a in anchors if sentence and sentence[0] <= a.start < sentence[1]]
    if own:
        return min(own, key=lambda a: abs(a.start - claim.start))
    if claim.needs_own_anchor or not anchors:
        return None
    earlier = [a for a in anchors if paragraph and paragraph[0] <= a.start < claim.start]
    return earlier[-1] if earlier else anchors[0]


def elapsed_findings(doc: Document, records: Sequence[Record]) -> list[Finding]:
    """The ``elapsed-time-contradiction`` findings of one document."""
    text = doc.text
    removed = [(r.start, r.end) for r in records if isinstance(r, Edit) and not r.replacement]
    dated = sorted(
        (
            Dated(d.start, d.end, days)
            for d in records
            if isinstance(d, DateMention) and (days := day_range(d.value))
        ),
        key=lambda d: d.start,
    )
    stated = [c for c in claims(text) if not any(s < c.end and c.start < e for s, e in removed)]
    # a DATE mention inside a stated elapsed time ("40 years") is a duration, not a date
    dated = [d for d in dated if not any(c.start < d.end and d.start < c.end for c in stated)]
    anchors = [d for d in dated if dates_an_event(text[max(0, d.start - 80) : d.start])]
    if not anchors or not stated:
        return []
    sentences, paragraphs = _segments(records, "sentence"), _segments(records, "paragraph")
    published = day_range((doc.published or "")[:10] or None)
    by_reference: dict[tuple[int, int], tuple[str, Dated, tuple[float, float], list[Claim]]] = {}
    for claim in stated:
        sentence = _within(sentences, claim.start)
        anchor = _anchor_for(claim, anchors, sentence, _within(paragraphs, claim.start))
        if anchor is None:
            continue
        later = [d for d in dated if d is not anchor and d.days[0] > anchor.days[1]]
        own = [d for d in later if sentence and sentence[0] <= d.start < sentence[1]]
        candidates = [((d.start, d.end), text[d.start : d.end], d.days) for d in own]
        if not candidates and published is not None and published[0] > anchor.days[1]:
            span = (claim.start, claim.end)
            candidates = [(span, f"publication date {published[0]}", published)]
        if not candidates:
            candidates = [((d.start, d.end), text[d.start : d.end], d.days) for d in later]
        for span, label, days in candidates:
            elapsed = elapsed_months(anchor.days, days)
            if contradicts(claim, elapsed):
                entry = by_reference.setdefault(span, (label, anchor, elapsed, []))
                entry[3].append(claim)
    findings = []
    for (start, end), (label, anchor, elapsed, contradicted) in sorted(by_reference.items()):
        stated_text = "; ".join(f"“{c.text}” ({c.describe()})" for c in contradicted)
        event_text = text[anchor.start : anchor.end]
        related = [(anchor.start, anchor.end)] + [
            (c.start, c.end) for c in contradicted if (c.start, c.end) != (start, end)
        ]
        findings.append(
            Finding(
                code="elapsed-time-contradiction",
                severity="warning",
                message=f"{label} is {describe_elapsed(elapsed)} after {event_text}, "
                f"but the text states {stated_text}",
                start=start,
                end=end,
                related=related,
            )
        )
    return findings


def quote_findings(records: Sequence[Record]) -> list[Finding]:
    """A warning for every quotation with no speaker."""
    return [
        Finding(
            code="quote-without-speaker",
            severity="warning",
            message=f"quotation {q.text[:60]!r} is credited to nobody",
            start=q.start,
            end=q.end,
        )
        for q in records
        if isinstance(q, Quote) and q.speaker is None
    ]


def label_findings(records: Sequence[Record]) -> list[Finding]:
    """An info finding for every canonical entity whose mentions carry different labels."""
    groups: dict[str, list[Entity]] = {}
    for r in records:
        if isinstance(r, Entity) and r.canonical:
            groups.setdefault(r.canonical, []).append(r)
    findings = []
    for canonical, mentions in sorted(groups.items()):
        labels = sorted({m.label for m in mentions})
        if len(labels) < 2:
            continue
        mentions.sort(key=lambda m: (m.start, m.end))
        first = mentions[0]
        findings.append(
            Finding(
                code="entity-label-conflict",
                severity="info",
                message=f"mentions of {canonical!r} are labelled {', '.join(labels)}",
                start=first.start,
                end=first.end,
                related=[(m.start, m.end) for m in mentions[1:] if m.label != first.label],
            )
        )
    return findings


@hookimpl
def validate(doc: Document, records: Sequence[Record]) -> list[Finding]:
    return [*elapsed_findings(doc, records), *quote_findings(records), *label_findings(records)]
