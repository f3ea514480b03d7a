"""Normalising document metadata the loaders read: dates, people, language tags.

Every loader meets the same loose values (a YAML date, a PDF ``D:20261119…``
string, ``"en-GB"``, a list of authors); these helpers turn them into the
record's contract: ``published`` an ISO date (``YYYY-MM-DD``) or None, ``author``
one display string or None, ``language`` a lowercase ISO 639-1 code or None.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

_ISO_PREFIX = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_PDF_DATE = re.compile(r"^D?:?(\d{4})(\d{2})?(\d{2})?")
_LANG = re.compile(r"^([A-Za-z]{2,3})(?:[-_].*)?$")


def iso_date(value: Any) -> str | None:
    """An ISO calendar date (``YYYY-MM-DD``) from a date, datetime or date-like string.

    Accepts ISO strings (with or without a time), PDF dates (``D:20261119083000Z``)
    and free text such as ``"19 November 2026"`` (read by dateparser, day first,
    never relative to today). Returns None when nothing date-like is found or the
    date is impossible.
    """
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    m = _ISO_PREFIX.match(text)
    if m:
        return _checked(int(m[1]), int(m[2]), int(m[3]))
    m = _PDF_DATE.match(text)
    if m and m[2] and m[3]:
        return _checked(int(m[1]), int(m[2]), int(m[3]))
    if not re.search(r"\d", text):
        return None
    import dateparser

    parsed = dateparser.parse(
        text,
        settings={
            "DATE_ORDER": "DMY",
            "PREFER_DAY_OF_MONTH": "first",
            "RELATIVE_BASE": datetime(2000, 1, 1),
            "REQUIRE_PARTS": ["day", "month", "year"],
        },
    )
    return parsed.date().isoformat() if parsed else None


def _checked(year: int, month: int, day: int) -> str | None:
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def person(value: Any) -> str | None:
    """One display string for an author field: a name, or names joined with ``"; "``."""
    if isinstance(value, str):
        names = [value]
    elif isinstance(value, (list, tuple)):
        names = [v.get("name", "") if isinstance(v, dict) else str(v) for v in value]
    elif isinstance(value, dict):
        names = [str(value.get("name", ""))]
    else:
        return None
    cleaned = [" ".join(n.split()) for n in names if n and str(n).strip()]
    return "; ".join(cleaned) or None


def language_tag(value: Any) -> str | None:
    """The primary language subtag, lowercased: ``"en-GB"`` -> ``"en"``; None if not a tag."""
    if not isinstance(value, str):
        return None
    m = _LANG.match(value.strip())
    return m[1].lower() if m else None


def plain(value: Any) -> Any:
    """``value`` with dates as ISO strings and other non-JSON scalars as strings (for ``meta``)."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)
