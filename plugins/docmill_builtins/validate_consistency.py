"""Consistency checks a careful reader makes: elapsed times, quote speakers, entity labels.

* ``elapsed-time-contradiction`` (warning): the text dates an event ("Since
  February 24, 2022") and states how long ago it was ("the second anniversary",
  "two years since", "enters its third year"), but an explicit date in the text
  (or the publication date) is a different number of whole years after the event.
  One finding per contradicting date: ``start``/``end`` is that date, ``related``
  the event date and every elapsed-time phrase it contradicts. A phrase with a date
  in its own sentence ("enters its third year on February 25, 2025") is checked
  against that date only.
* ``quote-without-speaker`` (warning): a quotation nobody is credited with.
* ``entity-label-conflict`` (info): mentions of one canonical entity carry
  different labels; ``related`` lists the mentions whose label differs from the first.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from docmill import DateMention, Document, Edit, Entity, Finding, Quote, Record, Segment, hookimpl

_CARDINAL_WORDS = """
    zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen
    fifteen sixteen seventeen eighteen nineteen twenty
"""
_ORDINAL_WORDS = """
    zeroth first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth
    thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth
"""
_NUMBERS = {w: i for i, w in enumerate(_CARDINAL_WORDS.split())}
_ORDINALS = {w: i for i, w in enumerate(_ORDINAL_WORDS.split())}
_ORD = r"(?P<ord>" + "|".join(_ORDINALS) + r"|\d{1,3}(?:st|nd|rd|th))"
_NUM = r"(?P<num>" + "|".join(_NUMBERS) + r"|\d{1,3})"
#: (pattern, years elapsed = stated number + offset)
_ELAPSED: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(rf"\b{_ORD}\s+anniversary\b", re.I), 0),
    (re.compile(rf"\b{_NUM}\s+years?\s+(?:since|after|ago|on\s+from|into)\b", re.I), 0),
    (re.compile(rf"\benter(?:s|ed|ing)?\s+(?:its|their|the|her|his)\s+{_ORD}\s+year\b", re.I), -1),
    (re.compile(rf"\b(?:in|into)\s+(?:its|their|the)\s+{_ORD}\s+year\b", re.I), -1),
)
_SINCE = re.compile(r"\b(?:since|began on|started on|beginning on|launched on)\s+$", re.I)


@dataclass(frozen=True, slots=True)
class Elapsed:
    """A stated elapsed time: its span and the whole years it claims."""

    start: int
    end: int
    years: int
    text: str


def _number(m: re.Match[str]) -> int:
    if m.groupdict().get("ord"):
        word = m.group("ord").lower()
        return _ORDINALS[word] if word in _ORDINALS else int(re.sub(r"\D", "", word))
    word = m.group("num").lower()
    return _NUMBERS[word] if word in _NUMBERS else int(word)


def elapsed_phrases(text: str, removed: Sequence[Edit]) -> Iterator[Elapsed]:
    """Every stated elapsed time in ``text`` outside removed (boilerplate) ranges."""
    for pattern, offset in _ELAPSED:
        for m in pattern.finditer(text):
            if any(e.start < m.end() and m.start() < e.end for e in removed):
                continue
            yield Elapsed(m.start(), m.end(), _number(m) + offset, " ".join(m.group().split()))


def whole_years(since: date, until: date) -> int:
    """Whole years from ``since`` to ``until`` (negative when ``until`` is earlier)."""
    years = until.year - since.year
    if (until.month, until.day) < (since.month, since.day):
        years -= 1
    return years


def _day(value: str | None) -> date | None:
    if value is None or len(value) != 10:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _sentence_of(sentences: Sequence[Segment], pos: int) -> tuple[int, int] | None:
    for s in sentences:
        if s.start <= pos < s.end:
            return s.start, s.end
    return None


def elapsed_findings(doc: Document, records: Sequence[Record]) -> list[Finding]:
    """The ``elapsed-time-contradiction`` findings of one document."""
    text = doc.text
    removed = [r for r in records if isinstance(r, Edit) and not r.replacement]
    dated = sorted(
        ((d, day) for d in records if isinstance(d, DateMention) and (day := _day(d.value))),
        key=lambda x: x[0].start,
    )
    anchors = [(d, day) for d, day in dated if _SINCE.search(text[max(0, d.start - 20) : d.start])]
    if not anchors:
        return []
    anchor, event = anchors[0]
    phrases = list(elapsed_phrases(text, removed))
    if not phrases:
        return []
    sentences = [r for r in records if isinstance(r, Segment) and r.type == "sentence"]
    references = [(d, day) for d, day in dated if d is not anchor and day > event]
    by_reference: dict[tuple[int, int], tuple[str, int, list[Elapsed]]] = {}
    published = _day((doc.published or "")[:10] or None)
    for phrase in phrases:
        sentence = _sentence_of(sentences, phrase.start)
        own = [
            (d, day) for d, day in references if sentence and sentence[0] <= d.start < sentence[1]
        ]
        candidates: list[tuple[tuple[int, int], str, date]] = [
            ((d.start, d.end), text[d.start : d.end], day) for d, day in (own or references)
        ]
        if not candidates and published is not None and published > event:
            candidates = [((phrase.start, phrase.end), f"publication date {published}", published)]
        for span, label, day in candidates:
            actual = whole_years(event, day)
            if actual != phrase.years:
                entry = by_reference.setdefault(span, (label, actual, []))
                entry[2].append(phrase)
    findings = []
    for (start, end), (label, actual, contradicted) in sorted(by_reference.items()):
        claims = "; ".join(f"“{p.text}” ({p.years} years)" for p in contradicted)
        event_text = text[anchor.start : anchor.end]
        related = [(anchor.start, anchor.end)] + [
            (p.start, p.end) for p in contradicted if (p.start, p.end) != (start, end)
        ]
        findings.append(
            Finding(
                code="elapsed-time-contradiction",
                severity="warning",
                message=f"{label} is {actual} whole years after {event_text}, "
                f"but the text states {claims}",
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
