"""Remove boilerplate lines: teasers ("READ ALSO:"), newsletter and share prompts, credits."""

from __future__ import annotations

import re

from pipeline.hookspecs import hookimpl
from pipeline.records import Document, Edit

#: (pattern for a whole line, reason). A line must match from its first character.
RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p, re.IGNORECASE), reason)
    for p, reason in (
        (
            r"(?:read (?:also|more)|see also|related(?: articles?| stories| news)?)\s*[:|\-–—].*",
            "boilerplate: teaser for another article",
        ),
        (r"(?:subscribe|sign up)\b.{0,120}", "boilerplate: subscription prompt"),
        (r"(?:share (?:this|on)|follow us|click here)\b.{0,120}", "boilerplate: share prompt"),
        (r"advertisement|sponsored content", "boilerplate: advertisement marker"),
        (
            r"(?:photo|image|picture) (?:credit|by|courtesy)\s*[:|].{0,160}",
            "boilerplate: photo credit",
        ),
    )
)
_LINE = re.compile(r"[^\n]*(?:\n|$)")


@hookimpl
def clean(doc: Document) -> list[Edit]:
    out = []
    for m in _LINE.finditer(doc.text):
        line = m.group().rstrip("\n")
        stripped = line.strip()
        if not stripped or len(stripped) > 300:
            continue
        for pattern, reason in RULES:
            if pattern.fullmatch(stripped):
                out.append(Edit(start=m.start(), end=m.end(), replacement="", reason=reason))
                break
    return out
