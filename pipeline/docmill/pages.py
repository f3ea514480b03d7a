"""Page numbers for spans of paginated documents (PDF).

A loader that knows pages records them in ``Document.meta["pages"]`` as a list of
``[start, end]`` source offsets, page ``n`` at index ``n - 1``. :func:`page_at`
turns a span's source start into its 1-based page number.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Any


def page_ranges(meta: dict[str, Any]) -> list[tuple[int, int]]:
    """The ``[start, end]`` page ranges a loader recorded, or [] (malformed data ignored)."""
    raw = meta.get("pages")
    if not isinstance(raw, list):
        return []
    ranges = []
    for item in raw:
        if not (isinstance(item, (list, tuple)) and len(item) == 2):
            return []
        start, end = item
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start <= end):
            return []
        ranges.append((start, end))
    return ranges


def page_at(ranges: list[tuple[int, int]], offset: int) -> int | None:
    """The 1-based page holding source ``offset``: the last page starting at or before it."""
    if not ranges:
        return None
    index = bisect_right([start for start, _end in ranges], offset) - 1
    return index + 1 if index >= 0 else 1
