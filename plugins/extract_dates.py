"""Dates: DATE entities normalised to ISO 8601 against the publication date.

A full date gives ``YYYY-MM-DD``, a month ``YYYY-MM``, a year ``YYYY``; a vague
expression gives null. A relative one ("yesterday", "February 25") is resolved
against the document's ``published`` date, and is null when that is unknown, so
results never depend on the day docmill runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from pipeline.hookspecs import hookimpl
from pipeline.records import DateMention, Entity, Record
from pipeline.text import CleanText

_BASES = (datetime(1990, 6, 15, 12), datetime(2001, 3, 3, 12))
_FORMATS = {"day": "%Y-%m-%d", "month": "%Y-%m", "year": "%Y"}


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


def normalise(text: str, published: str | None) -> str | None:
    """ISO value of a date expression, or None when it is vague or cannot be resolved."""
    if len(text) > 80 or (not any(c.isdigit() for c in text) and not _has_month_or_day(text)):
        return None
    fixed = [_parse(text, base) for base in _BASES]
    if fixed[0] is not None and fixed[0] == fixed[1]:
        return fixed[0]  # absolute: the same whatever the reference date
    if published is None:
        return None
    try:
        base = datetime.fromisoformat(published[:10]).replace(hour=12)
    except ValueError:
        return None
    return _parse(text, base)


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
