"""Dates: DATE entities normalised to ISO 8601 against the publication date.

A full date gives ``YYYY-MM-DD``, a month ``YYYY-MM``, a year ``YYYY``; a vague
expression ("two years", "the 1990s", "recent weeks") gives null, a season or part
of a year ("spring of 2025") the year. Plain absolute forms are read directly;
the rest goes to dateparser's ``DateDataParser``. A relative one
("yesterday", "February 25", "last year", "next month") is resolved
against the document's ``published`` date, and is null when that is unknown, so
results never depend on the day docmill runs.

Dates are read in the document's language: the plain forms and the English
phrases above in English only; in another language dateparser alone, with that
language (the plugin declares dateparser's languages; a document in any other, or
``und``, is skipped). DATE entities come from ``extract_entities``, so a language
needs an entity model with DATE mentions (the English one has them; the French
small model does not) before any date is found.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from docmill import CleanText, DateMention, Entity, Record, hookimpl

_BASES = (datetime(1990, 6, 15, 12), datetime(2001, 3, 3, 12))
_FORMATS = {"day": "%Y-%m-%d", "month": "%Y-%m", "year": "%Y"}
_PERIOD = re.compile(
    r"(?:the\s+)?(last|previous|next|coming|this|current)\s+(year|month)", re.IGNORECASE
)
_DECADE = re.compile(r"\b\d{2,4}['’]?s\b")


@lru_cache(maxsize=256)
def _parser(base: datetime, language: str = "en") -> Any:
    from dateparser.date import DateDataParser

    return DateDataParser(
        languages=[language], settings={"PREFER_DAY_OF_MONTH": "first", "RELATIVE_BASE": base}
    )


@lru_cache(maxsize=1)
def date_languages() -> frozenset[str]:
    """The languages dateparser reads (two-letter codes).

    Read from dateparser's data table without importing dateparser (0.3 s, paid
    only when a date is parsed), so asking a plugin manager its languages stays cheap.
    """
    import ast
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("dateparser")
    origin = spec.origin if spec is not None else None
    try:
        if origin is None:
            raise OSError("dateparser has no source file")
        table = Path(origin).with_name("data") / "languages_info.py"
        tree = ast.parse(table.read_text(encoding="utf-8"))
        order = next(
            ast.literal_eval(node.value)
            for node in tree.body
            if isinstance(node, ast.Assign)
            and [getattr(t, "id", None) for t in node.targets] == ["language_order"]
        )
    except (OSError, StopIteration, SyntaxError, ValueError):
        from dateparser.data.languages_info import language_order

        order = language_order
    return frozenset(str(code) for code in order if len(code) == 2)


@lru_cache(maxsize=8192)
def _parse(text: str, base: datetime, language: str = "en") -> str | None:
    """dateparser's reading of ``text`` against ``base`` (cached: ~6 ms a call; the
    two fixed bases of :func:`normalise` repeat across documents)."""
    data = _parser(base, language).get_date_data(text)
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


_MONTHS = {
    name: i
    for i, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sept", "sep"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_M = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_D = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_Y = r"(?P<year>1\d{3}|2\d{3})"
#: Absolute dates read without dateparser (most DATE mentions in news are these).
_ABSOLUTE = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        rf"{_M}\s+{_D},?\s+{_Y}",  # February 24, 2022
        rf"{_D}\s+(?:of\s+)?{_M},?\s+{_Y}",  # 24 February 2022
        rf"{_M},?\s+{_Y}",  # February 2022
        rf"(?:(?:the\s+)?year\s+)?{_Y}",  # 2022
        rf"{_Y}-(?P<mnum>[01]\d)-(?P<day>[0-3]\d)",  # 2022-02-24
    )
)
#: A season or part of a given year ("spring of 2025", "early 2024"): the year.
_PART_OF_YEAR = re.compile(
    rf"(?:the\s+)?(?:early|late|mid|end\s+of|start\s+of|beginning\s+of|spring|summer"
    rf"|autumn|fall|winter|first\s+half|second\s+half)[\s-]*(?:of\s+|in\s+)?{_Y}",
    re.IGNORECASE,
)


def _absolute(text: str) -> str | None:
    """ISO value of a plain absolute date, or None when it is not one of the plain forms."""
    for pattern in _ABSOLUTE:
        m = pattern.fullmatch(text)
        if m is None:
            continue
        parts = m.groupdict()
        year = int(parts["year"])
        month = _MONTHS[parts["month"].lower()] if parts.get("month") else None
        if parts.get("mnum"):
            month = int(parts["mnum"])
        if month is None:
            return f"{year:04d}"
        if not parts.get("day"):
            return f"{year:04d}-{month:02d}"
        try:
            return datetime(year, month, int(parts["day"])).strftime("%Y-%m-%d")
        except ValueError:
            return None
    m = _PART_OF_YEAR.fullmatch(text)
    return m["year"] if m else None


@lru_cache(maxsize=4096)
def normalise(text: str, published: str | None, language: str = "en") -> str | None:
    """ISO value of a date expression, or None when it is vague or cannot be resolved."""
    text = " ".join(text.split())
    if language != "en":
        return _resolved(text, published, language)
    plain = _absolute(text)
    if plain is not None:
        return plain
    if _PERIOD.fullmatch(text.strip()):
        return _relative_period(text, published)
    if _DECADE.search(text):
        return None
    if len(text) > 80 or (not any(c.isdigit() for c in text) and not _has_month_or_day(text)):
        return None
    return _resolved(text, published, "en")


def _resolved(text: str, published: str | None, language: str) -> str | None:
    """dateparser's value: absolute if the same against two bases, else against ``published``."""
    if len(text) > 80:
        return None
    fixed = [_parse(text, base, language) for base in _BASES]
    if fixed[0] is not None and fixed[0] == fixed[1]:
        return fixed[0]  # absolute: the same whatever the reference date
    base = _published_day(published)
    return None if base is None else _parse(text, base, language)


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


@hookimpl
def languages() -> frozenset[str]:
    return date_languages()


@hookimpl(trylast=True)
def extract(doc: CleanText, found: Sequence[Record]) -> list[DateMention]:
    out = []
    language = doc.language.split("-", 1)[0]
    for rec in found:
        if isinstance(rec, Entity) and rec.label == "DATE":
            surface = doc.text[rec.start : rec.end]
            value = normalise(surface, doc.published, language)
            out.append(DateMention(start=rec.start, end=rec.end, value=value))
    return out
