"""Dates: DATE entities normalised to ISO, relative ones against the publication date."""

from __future__ import annotations

import pytest

from docmill.records import DateMention
from docmill_builtins.extract_dates import normalise
from tests.conftest import run_builtins


@pytest.mark.parametrize(
    ("text", "published", "value"),
    [
        ("February 24, 2022", None, "2022-02-24"),
        ("12 September 2024", None, "2024-09-12"),
        ("May 2024", None, "2024-05"),
        ("2019", None, "2019"),
        ("yesterday", "2024-03-01", "2024-02-29"),
        ("Today", "2024-02-24", "2024-02-24"),
        ("February 25", "2024-01-10", "2024-02-25"),
        ("last year", "2024-01-10", "2023"),
        ("next month", "2024-12-10", "2025-01"),
        ("yesterday", None, None),
        ("last year", None, None),
        ("two years", "2024-01-10", None),
        ("the past few days", "2024-01-10", None),
        ("the 1990s", "2024-01-10", None),
        ("multi-year", "2024-01-10", None),
    ],
)
def test_normalise(text: str, published: str | None, value: str | None) -> None:
    assert normalise(text, published) == value


TEXT = """Bridge Inspection Report

The bridge opened on 3 March 1998 and was last inspected in May 2021. Engineers returned \
yesterday and will report next month, the council said on Tuesday. Repairs could take \
two years.
"""


def test_date_mentions_resolved_against_published() -> None:
    dates = run_builtins(TEXT, published="2024-06-12").records(DateMention)
    values = {d.text: d.value for d in dates}
    assert values["3 March 1998"] == "1998-03-03"
    assert values["May 2021"] == "2021-05"
    assert values["yesterday"] == "2024-06-11"
    assert values["next month"] == "2024-07"
    assert values["two years"] is None


def test_without_published_relative_dates_are_null_not_today() -> None:
    values = {d.text: d.value for d in run_builtins(TEXT).records(DateMention)}
    assert values["3 March 1998"] == "1998-03-03"
    assert values["yesterday"] is None and values["next month"] is None


# Reference dates around the week, month ends, year ends and a leap day.
_BASES = [
    f"{y}-{md}"
    for y in (2019, 2024)
    for md in ("01-01", "02-28", "02-29", "03-01", "06-12", "06-13", "06-14", "06-15",
               "06-16", "06-17", "06-18", "12-31")
    if not (y == 2019 and md == "02-29")
]
_NAMES = [
    "today", "Today", "yesterday", "Yesterday", "tomorrow", "Tomorrow",
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
    "January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December",
]


@pytest.mark.parametrize("name", _NAMES)
def test_lone_day_and_month_names_read_as_dateparser_reads_them(name: str) -> None:
    # the fast path for lone names must give dateparser's own value for every reference date
    from datetime import datetime

    from docmill_builtins.extract_dates import _parse

    for published in _BASES:
        base = datetime.fromisoformat(published).replace(hour=12)
        assert normalise(name, published) == _parse(name, base), (name, published)
    assert normalise(name, None) is None
