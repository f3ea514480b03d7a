"""Remove Markdown markup with cleaning edits, so offsets keep pointing into the file.

A Markdown document's text is the file as the user wrote it; this cleaner
proposes edits that delete the markup and keep the words: YAML front matter,
heading marks (``#``, setext underlines), block quote and list markers,
horizontal rules, table delimiter rows (cells stay, separated by ``|``), code
fences, reference link definitions, HTML comments and tags, emphasis and
strike-through markers, inline code backticks, link brackets and destinations
(the link text stays), images (removed whole) and backslash escapes. Code
inside fences and backticks is left as written. Only documents with media type
``text/markdown`` are touched.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from docmill import Document, Edit, hookimpl

MARKDOWN = "text/markdown"

_FRONT_MATTER = re.compile(
    r"\A---[ \t]*\r?\n(?:.*?\r?\n)?(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.DOTALL
)
_LINE = re.compile(r"[^\n]*(?:\n|$)")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_ATX = re.compile(r"^ {0,3}#{1,6}(?:[ \t]+|$)")
_ATX_CLOSE = re.compile(r"[ \t]+#+[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(?:=+|-+)[ \t]*$")
_RULE = re.compile(r"^ {0,3}(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$")
_QUOTE = re.compile(r"^ {0,3}(?:>[ \t]?)+")
_LIST = re.compile(r"^[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+(?:\[[ xX]\][ \t]+)?")
_LINK_DEF = re.compile(r"^ {0,3}\[[^\]]+\]:[ \t]*\S+.*$")
_TABLE_RULE = re.compile(r"^ {0,3}\|?[ \t]*:?-{3,}:?[ \t]*(?:\|[ \t]*:?-{3,}:?[ \t]*)+\|?[ \t]*$")
_COMMENT = re.compile(r"<!--.*?-->")

_CODE = re.compile(r"(`+)(.+?)\1")
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)|!\[[^\]]*\]\[[^\]]*\]")
_LINK = re.compile(r"\[(?=[^\]]*\S)([^\]]*)\](\([^)]*\)|\[[^\]]*\])")
_AUTOLINK = re.compile(r"<((?:https?|mailto|ftp):[^>\s]+)>")
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_EMPH_STAR = re.compile(r"(?<![\w*])(\*)(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])")
_EMPH_UNDER = re.compile(r"(?<![\w_])(_)(?=[^\s_])(.+?)(?<=[^\s_])_(?![\w_])")
_STRIKE = re.compile(r"(~~)(?=\S)(.+?)(?<=\S)~~")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!>~|])")
#: A character every inline pattern above needs (code, image and link, autolink, comment
#: and tag, escape, emphasis, strike-through): a line without one has no inline markup.
_MARKUP_CHAR = re.compile(r"[`\[<\\*_~]")


def _edit(start: int, end: int, reason: str, replacement: str = "") -> Edit:
    return Edit(start=start, end=end, replacement=replacement, reason=f"markdown: {reason}")


def _inline(line: str, base: int) -> Iterator[Edit]:
    """Edits for the inline markup of one line's content starting at ``base``."""
    if not _MARKUP_CHAR.search(line):  # every inline pattern needs one of these
        return
    work = list(line)

    def mask(start: int, end: int) -> None:
        work[start:end] = " " * (end - start)

    for m in _CODE.finditer(line):
        tick = len(m.group(1))
        yield _edit(base + m.start(), base + m.start() + tick, "code span")
        yield _edit(base + m.end() - tick, base + m.end(), "code span")
        mask(m.start(), m.end())
    text = "".join(work)
    for m in _IMAGE.finditer(text):
        yield _edit(base + m.start(), base + m.end(), "image")
        mask(m.start(), m.end())
    text = "".join(work)
    for m in _LINK.finditer(text):
        yield _edit(base + m.start(), base + m.start() + 1, "link")
        yield _edit(base + m.end(1), base + m.end(), "link target")
        mask(m.end(1), m.end())
    text = "".join(work)
    for m in _AUTOLINK.finditer(text):
        yield _edit(base + m.start(), base + m.start() + 1, "autolink")
        yield _edit(base + m.end() - 1, base + m.end(), "autolink")
        mask(m.start(), m.end())
    text = "".join(work)
    for m in _COMMENT.finditer(text):
        yield _edit(base + m.start(), base + m.end(), "HTML comment")
        mask(m.start(), m.end())
    text = "".join(work)
    for m in _TAG.finditer(text):
        yield _edit(base + m.start(), base + m.end(), "HTML tag")
        mask(m.start(), m.end())
    text = "".join(work)
    for m in _ESCAPE.finditer(text):
        yield _edit(base + m.start(), base + m.start() + 1, "escape")
        mask(m.start(), m.end())
    text = "".join(work)
    for pattern, reason in (
        (_STRONG, "strong emphasis"),
        (_STRIKE, "strike-through"),
        (_EMPH_STAR, "emphasis"),
        (_EMPH_UNDER, "emphasis"),
    ):
        for m in pattern.finditer(text):
            width = m.start(2) - m.start()
            yield _edit(base + m.start(), base + m.start(2), reason)
            yield _edit(base + m.end(2), base + m.end(2) + width, reason)
            mask(m.start(), m.start(2))
            mask(m.end(2), m.end())
        text = "".join(work)


def markdown_edits(text: str) -> Iterator[Edit]:
    """Every edit that strips the Markdown markup of ``text`` (source offsets)."""
    pos = 0
    m = _FRONT_MATTER.match(text)
    if m:
        yield _edit(0, m.end(), "front matter")
        pos = m.end()
    fence: str | None = None
    previous_text = False  # the line before held paragraph text (for setext headings)
    for lm in _LINE.finditer(text, pos):
        if lm.start() == lm.end():
            break
        start = lm.start()
        raw = lm.group()
        line = raw.rstrip("\r\n")
        end = start + len(line)
        fm = _FENCE.match(line)
        if fence is not None:
            if fm and fm.group(1)[0] == fence[0] and len(fm.group(1)) >= len(fence):
                yield _edit(start, lm.end(), "code fence")
                fence = None
            continue
        if fm:
            fence = fm.group(1)
            yield _edit(start, lm.end(), "code fence")
            previous_text = False
            continue
        if not line.strip():
            previous_text = False
            continue
        if previous_text and _SETEXT.match(line):
            yield _edit(start, lm.end(), "heading underline")
            previous_text = False
            continue
        if _TABLE_RULE.match(line):
            yield _edit(start, lm.end(), "table rule")
            continue
        if _RULE.match(line) or _LINK_DEF.match(line):
            yield _edit(start, end, "horizontal rule" if _RULE.match(line) else "link definition")
            previous_text = False
            continue
        content = 0
        qm = _QUOTE.match(line)
        if qm:
            yield _edit(start, start + qm.end(), "block quote")
            content = qm.end()
        hm = _ATX.match(line[content:])
        if hm:
            width = hm.end()
            yield _edit(start + content, start + content + width, "heading")
            content += width
            cm = _ATX_CLOSE.search(line, content)
            if cm:
                yield _edit(start + cm.start(), end, "heading")
                line = line[: cm.start()]
        else:
            lim = _LIST.match(line[content:])
            if lim:
                yield _edit(start + content, start + content + lim.end(), "list marker")
                content += lim.end()
        yield from _inline(line[content:], start + content)
        previous_text = not hm


@hookimpl
def clean(doc: Document) -> list[Edit]:
    if doc.media_type != MARKDOWN:
        return []
    return list(markdown_edits(doc.text))
