"""Dates: DATE entities normalised to ISO 8601 against the publication date.

A full date gives ``YYYY-MM-DD``, a month ``YYYY-MM``, a year ``YYYY``; a vague
expression ("two years", "the 1990s", "recent weeks") gives null. A relative one
("yesterday", "February 25", "last year", "next month") is resolved
against the document's ``published`` date, and is null when that is unknown, so
results never depend on the day docmill runs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from pipeline.hookspecs import hookimpl
from pipeline.records import DateMention, Entity, Record
from pipeline.text import CleanText

_BASES = (datetime(1990, 6, 15, 12), datetime(2001, 3, 3, 12))
_FORMATS = {"day": "%Y-%m-%d", "month": "%Y-%m", "year": "%Y"}
_PERIOD = re.compile(
    r"(?:the\s+)?(last|previous|next|coming|this|current)\s+(year|month)", re.IGNORECASE
)
_DECADE = re.compile(r"\b\d{2,4}['’]?s\b")


@lru_cache(maxsize=256)
def _parser(base: datetime) -> Any:
    from dateparser.date import DateDataParser

    return DateDataParser(
        languages=["en"], settings={"PREFER_DAY_OF_MONTH": "first", "RELATIVE_BASE": base}
    )


def _parse(text: str, base: datetime) -> str | None:
    data = _parser(base).get_date_data(text)
    if data.date_obj is None:
        return None
    fmt = _FORMATS.get(data.period or "day")
    if fmt is None:
        return None
    return str(data.date_obj.strftime(fmt))


def _published_day(published: str | None) -> datetime | None:
    if not published:
        return None
    try:
        return datetime.fromisoformat(published[:10]).replace(hour=12)
    except ValueError:
        return None


def _relative_period(text: str, published: str | None) -> str | None:
    """ "last year", "next month", "this year" … against the publication date."""
    m = _PERIOD.fullmatch(text.strip())
    base = _published_day(published)
    if m is None or base is None:
        return None
    step = {"last": -1, "previous": -1, "next": 1, "coming": 1}.get(m[1].lower(), 0)
    if m[2].lower() == "year":
        return f"{base.year + step:04d}"
    month = base.year * 12 + base.month - 1 + step
    return f"{month // 12:04d}-{month % 12 + 1:02d}"


def normalise(text: str, published: str | None) -> str | None:
    """ISO value of a date expression, or None when it is vague or cannot be resolved."""
    if _PERIOD.fullmatch(text.strip()):
        return _relative_period(text, published)
    if _DECADE.search(text):
        return None
    if len(text) > 80 or (not any(c.isdigit() for c in text) and not _has_month_or_day(text)):
        return None
    fixed = [_parse(text, base) for base in _BASES]
    if fixed[0] is not None and fixed[0] == fixed[1]:
        return fixed[0]  # absolute: the same whatever the reference date
    base = _published_day(published)
    return None if base is None else _parse(text, base)


_NAMES = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "today",
    "yesterday",
    "tomorrow",
]


def _has_month_or_day(text: str) -> bool:
    lower = text.lower()
    return any(name in lower for name in _NAMES)


@hookimpl(trylast=True)
def extract(doc: CleanText, found: Sequence[Record]) -> list[DateMention]:
    out = []
    for rec in found:
        if isinstance(rec, Entity) and rec.label == "DATE":
            surface = doc.text[rec.start : rec.end]
            out.append(
                DateMention(start=rec.start, end=rec.end, value=normalise(surface, doc.published))
            )
    return out
