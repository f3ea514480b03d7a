# ruff: noqa: SIM905 - word lists read better as text
"""Stated elapsed times and the dated events they count from, at any date granularity.

A *claim* is a phrase that states how long ago something was: "the 25th
anniversary", "in its third year", "two years since", "for four years", "six
months after", "a decade since". Each becomes a range of elapsed months, half-open:
"Nth anniversary" and "N years since" are N whole years ([12N, 12N + 12)), "in its
Nth year" is N - 1 whole years; loose phrasings ("for N years", "N months after",
"a decade") also allow half a unit less.

An *anchor* is a date mention that dates the event counted from: "since March
2023", "began on 2 March 2020", "founded in 1994", "launched in December 2021". A
date mention stands for a range of days: a full date for one day, "March 2023" for
the whole month, "1994" for the whole year, so the elapsed time between two of them
is a range too (:func:`elapsed_months`) and a month-year anchor can never
contradict by a few days. A claim contradicts when the two ranges do not meet.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

_UNITS = "zero one two three four five six seven eight nine".split()
_TEENS = "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70}
_ORD_UNITS = "zeroth first second third fourth fifth sixth seventh eighth ninth".split()
_ORD_TEENS = """tenth eleventh twelfth thirteenth fourteenth fifteenth sixteenth seventeenth
    eighteenth nineteenth""".split()
_ORD_TENS = {"twentieth": 20, "thirtieth": 30, "fortieth": 40, "fiftieth": 50, "sixtieth": 60}
CARDINALS = {w: i for i, w in enumerate(_UNITS + _TEENS)} | dict(_TENS) | {"a": 1, "an": 1}
ORDINALS = {w: i for i, w in enumerate(_ORD_UNITS + _ORD_TEENS)} | dict(_ORD_TENS)
for _tens, _n in _TENS.items():
    for _i in range(1, 10):
        CARDINALS[f"{_tens}-{_UNITS[_i]}"] = _n + _i
        ORDINALS[f"{_tens}-{_ORD_UNITS[_i]}"] = _n + _i


def _alternatives(words: dict[str, int]) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


_NUM = rf"(?P<num>{_alternatives(CARDINALS)}|\d{{1,3}})"
_ORD = rf"(?P<ord>{_alternatives(ORDINALS)}|\d{{1,3}}(?:st|nd|rd|th))"
_UNIT = r"(?P<unit>years?|months?)"
_POSSESSIVE = r"(?:its|their|the|her|his|our)"
#: What must follow a word for a number-first claim to start at it: one word, space, a
#: unit, space. Numbers and ordinals are words of letters, digits and hyphens, so this
#: lookahead changes no match; it only spares the long alternation at every other word.
_NUM_UNIT = r"(?=[\w-]+\s+(?:years?|months?)\s)"
#: (pattern, kind): "whole" N whole units, "ordinal" the Nth unit, "loose" about N units.
_CLAIMS: tuple[tuple[re.Pattern[str], str, bool], ...] = (
    (re.compile(rf"\b(?=[\w-]+\s+anniversary){_ORD}\s+anniversary\b", re.I), "whole", False),
    (
        re.compile(rf"\b{_NUM_UNIT}{_NUM}\s+{_UNIT}\s+(?:since|ago|on\s+from|into)\b", re.I),
        "whole",
        False,
    ),
    (re.compile(rf"\b{_NUM_UNIT}{_NUM}\s+{_UNIT}\s+after\b", re.I), "loose", False),
    (
        re.compile(rf"\b(?:enter(?:s|ed|ing)?|in|into)\s+{_POSSESSIVE}\s+{_ORD}\s+{_UNIT}\b", re.I),
        "ordinal",
        False,
    ),
    (re.compile(rf"\bfor\s+(?:the\s+(?:past|last)\s+)?{_NUM}\s+{_UNIT}\b", re.I), "loose", True),
    (re.compile(r"\b(?P<decade>a\s+decade)\s+(?:since|after|ago)\b", re.I), "loose", False),
    (re.compile(r"\bfor\s+(?P<decade>a\s+decade)\b", re.I), "loose", True),
)
#: Words before a date that make it the date an event began.
ANCHOR_BEFORE = re.compile(
    r"(?:\bsince\s+|\b(?:began|begun|begin|started|founded|established|opened|launched|created"
    r"|passed|announced|introduced|formed|built|set\s+up|first\s+held|signed|broke\s+out"
    r"|took\s+office)\b[^.;:!?“”\"]{0,50}?\b(?:in|on)\s+)$",
    re.I,
)


#: The word every match of :data:`ANCHOR_BEFORE` ends with, before its final whitespace.
_ANCHOR_WORD = re.compile(r"(?:since|in|on)\Z", re.I)


def dates_an_event(before: str) -> bool:
    """Whether ``before`` (the text before a date) ends as :data:`ANCHOR_BEFORE` says:
    its search, run only when the text ends with whitespace after "since", "in" or
    "on" (as every match does; most texts before a date do not)."""
    stripped = before.rstrip()
    if len(stripped) == len(before):
        return False
    if not _ANCHOR_WORD.search(stripped, max(0, len(stripped) - 5)):
        return False
    return ANCHOR_BEFORE.search(before) is not None


@dataclass(frozen=True, slots=True)
class Claim:
    """A stated elapsed time: its span and the elapsed months it allows, [low, high)."""

    start: int
    end: int
    text: str
    low: float
    high: float
    needs_own_anchor: bool

    def describe(self) -> str:
        if self.high - self.low == 12 and self.low % 12 == 0:
            return f"{self.low / 12:.0f} whole years"
        if self.high >= 24:
            return f"{self.low / 12:g} to {self.high / 12:g} years"
        return f"{self.low:g} to {self.high:g} months"


def _count(m: re.Match[str]) -> int:
    parts = m.groupdict()
    if parts.get("decade"):
        return 10
    if parts.get("ord"):
        word = parts["ord"].lower()
        return ORDINALS[word] if word in ORDINALS else int(re.sub(r"\D", "", word))
    word = parts["num"].lower()
    return CARDINALS[word] if word in CARDINALS else int(word)


#: Every claim holds one of these words, after whitespace and at most four
#: whitespace-separated words of letters, digits and hyphens ("for the past two years").
#: (The first lookahead, one character, only lets the regex engine skip faster.)
_KEYWORD = re.compile(r"(?=[ymad])(?=year|month|anniversary|decade)", re.I)
#: Up to four such words back from a keyword, read in the reversed text.
_WORDS_BEFORE = re.compile(r"(?:\s+[\w-]+){1,4}")
_WORD_START = re.compile(r"\b\w")


def _claim_starts(text: str) -> list[int]:
    """Every position where a claim of :data:`_CLAIMS` may start, in text order.

    A superset of the starts ``pattern.finditer(text)`` yields: a word start (every
    claim begins with ``\\b`` and a letter or digit) within the four words before a
    keyword. Found by one scan for the keywords, not a scan per pattern from every word.
    """
    starts: set[int] = set()
    reverse: str | None = None
    n = len(text)
    for k in _KEYWORD.finditer(text):
        if reverse is None:
            reverse = text[::-1]
        before = _WORDS_BEFORE.match(reverse, n - k.start())
        if before is not None:
            lo = k.start() - (before.end() - before.start())
            starts.update(w.start() for w in _WORD_START.finditer(text, lo, k.start()))
    return sorted(starts)


def _finditer(pattern: re.Pattern[str], text: str, starts: list[int]) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text)`` when every match starts at one of ``starts`` (sorted):
    the first match at or after the end of the previous one, tried only where one may
    start (a match never is empty)."""
    end = 0
    for pos in starts:
        if pos < end:
            continue
        m = pattern.match(text, pos)
        if m is not None:
            end = m.end()
            yield m


def claims(text: str) -> Iterator[Claim]:
    """Every stated elapsed time in ``text``."""
    starts = _claim_starts(text)
    for pattern, kind, own in _CLAIMS:
        for m in _finditer(pattern, text, starts):
            n = _count(m)
            low: float
            high: float
            unit = 1 if (m.groupdict().get("unit") or "year").lower().startswith("month") else 12
            if kind == "whole":
                low, high = n * unit, (n + 1) * unit
            elif kind == "ordinal":
                low, high = (n - 1) * unit, n * unit
            else:
                low, high = n * unit - unit / 2, (n + 1) * unit
            yield Claim(m.start(), m.end(), " ".join(m.group().split()), low, high, own)


def day_range(value: str | None) -> tuple[date, date] | None:
    """The first and last day an ISO date value ("2024", "2024-03", "2024-03-14") covers."""
    if not value:
        return None
    try:
        if len(value) == 4:
            year = int(value)
            return date(year, 1, 1), date(year, 12, 31)
        if len(value) == 7:
            year, month = int(value[:4]), int(value[5:])
            return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
        if len(value) == 10:
            day = date.fromisoformat(value)
            return day, day
    except ValueError:
        return None
    return None


def months_between(since: date, until: date) -> float:
    """Calendar months from ``since`` to ``until``; whole years are exact (Feb 24 to Feb 24)."""
    return (until.year - since.year) * 12 + until.month - since.month + (until.day - since.day) / 31


def elapsed_months(anchor: tuple[date, date], reference: tuple[date, date]) -> tuple[float, float]:
    """The least and most months from any day of ``anchor`` to any day of ``reference``."""
    return months_between(anchor[1], reference[0]), months_between(anchor[0], reference[1])


def contradicts(claim: Claim, elapsed: tuple[float, float]) -> bool:
    """True when no elapsed time in the range is one the claim allows."""
    return elapsed[1] < claim.low or elapsed[0] >= claim.high


def describe_elapsed(elapsed: tuple[float, float]) -> str:
    """ "9 whole years", "1 to 2 whole years (19 to 21 months)"."""
    low, high = int(elapsed[0] // 12), int(elapsed[1] // 12)
    years = f"{low} whole years" if low == high else f"{low} to {high} whole years"
    if elapsed[1] < 36:
        return f"{years} ({elapsed[0]:.0f} to {elapsed[1]:.0f} months)"
    return years
