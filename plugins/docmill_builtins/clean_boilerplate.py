"""Remove boilerplate lines: teasers, newsletter and share prompts, credits, ad markers.

A line is removed (with its line break, as one edit whose ``reason`` says which
kind of boilerplate it is) only when the *whole* line, trimmed, matches one of
:data:`RULES`; a sentence that merely mentions "subscribe" or "photo" stays.
Lines longer than 300 characters are never boilerplate.

The rules are English phrases: the plugin declares ``en`` only, so a document in
another language keeps every line and gets an info finding saying so.
"""

from __future__ import annotations

import re

from docmill import Document, Edit, hookimpl

_SEP = r"\s*[:|\-–—»›>]"
_SITES = r"(?:facebook|twitter|x|linkedin|whatsapp|telegram|email|instagram|reddit)"

#: (pattern for a whole trimmed line, reason). Matched case-insensitively.
RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p, re.IGNORECASE), reason)
    for p, reason in (
        (
            rf"(?:(?:also )?read (?:also|more|next)|also read|see also|more from [^:]{{1,40}}"
            rf"|recommended(?: for you)?|you (?:may|might) also like|don['’]t miss|trending"
            rf"|related(?: articles?| stories| news| coverage| content)?|watch|listen){_SEP}.*",
            "boilerplate: teaser for another article",
        ),
        (
            r"(?:subscribe|sign up|get our|join our)\b.{0,120}",
            "boilerplate: subscription prompt",
        ),
        (
            rf"(?:share (?:this|on|via)|follow us|click here|tap here)\b.{{0,120}}"
            rf"|(?:share|tweet|email|print)(?:\s*[|/·•]?\s*{_SITES})*",
            "boilerplate: share prompt",
        ),
        (
            r"(?:advertisement|sponsored(?: content)?|ad|promoted|story continues below"
            r"(?: advertisement)?|continue reading(?: below)?)\W*",
            "boilerplate: advertisement marker",
        ),
        (
            r"\(?(?:(?:photo|image|picture|video|file photo)(?: credit| by| courtesy)?"
            r"|credit)\s*[:|].{0,160}\)?"
            r"|\(?(?:photo|image)s?\s*(?:by|courtesy of)\s.{1,120}\)?"
            r"|[^.]{0,120}\b(?:getty images|afp via getty images|reuters/[a-z ]+"
            r"|ap photo/[a-z .]+)\)?",
            "boilerplate: photo credit",
        ),
        (
            r"(?:©|\(c\)|copyright)\s.{0,160}|all rights reserved\.?",
            "boilerplate: copyright line",
        ),
        (
            r"\(?(?:reporting|writing|editing|additional reporting) by [^.]{2,160}\)?\.?",
            "boilerplate: agency credit",
        ),
        (r"(?:tags|topics|filed under)\s*:.{0,200}", "boilerplate: tag list"),
    )
)
_LINE = re.compile(r"[^\n]*(?:\n|$)")


@hookimpl
def languages() -> list[str]:
    return ["en"]


@hookimpl
def clean(doc: Document) -> list[Edit]:
    out = []
    for m in _LINE.finditer(doc.text):
        stripped = m.group().strip()
        if not stripped or len(stripped) > 300:
            continue
        for pattern, reason in RULES:
            if pattern.fullmatch(stripped):
                out.append(Edit(start=m.start(), end=m.end(), replacement="", reason=reason))
                break
    return out
