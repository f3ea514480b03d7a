"""Load plain text and Markdown: UTF-8 first, then a detected encoding; binary refused.

The document's text is the file exactly as written (Markdown markup and YAML
front matter included), so every offset points into the user's own file; the
markup is removed later by cleaning edits (:mod:`docmill_builtins.clean_markdown`). The
detected encoding is recorded on the document. Markdown front matter gives
``title``, ``published`` (``date``/``published``), ``author`` (``author``/
``authors``) and ``language`` (``lang``/``language``); every front matter key is
kept in ``meta["front_matter"]``.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from charset_normalizer import from_bytes

from docmill import Document, Source, hookimpl, iso_date, language_tag, person, plain

TEXT_TYPES = ("text/plain", "text/markdown")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
#: YAML front matter: a ``---`` line at the very start, up to a ``---`` or ``...`` line.
FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?\r?\n)?(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.DOTALL)


def decode(data: bytes) -> tuple[str, str]:
    """Decode text bytes: UTF-8 (with or without BOM), else the detected encoding.

    Raises ValueError for content that is not text.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16")
        return text.lstrip("\ufeff"), "utf-16"
    if b"\x00" in data[:8192]:
        raise ValueError("binary content, not text (it contains NUL bytes)")
    try:
        text = data.decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError:
        text, encoding = _detect(data)
    if text.startswith("\ufeff"):
        text = text[1:]
    sample = text[:8192]
    if sample and len(_CONTROL.findall(sample)) / len(sample) > 0.01:
        raise ValueError("binary content, not text (too many control characters)")
    return text, encoding


#: Tie-breaks between equally plausible encodings: what browsers assume for Western text.
_PREFERRED = ("cp1252", "latin_1", "iso8859_15", "utf_16", "cp1250")


def _detect(data: bytes) -> tuple[str, str]:
    matches = list(from_bytes(data))
    if not matches:
        raise ValueError("binary content, not text (no text encoding fits)")
    best = min(m.chaos for m in matches)
    tied = [m for m in matches if m.chaos == best]
    coherent = max(m.coherence for m in tied)
    tied = [m for m in tied if m.coherence == coherent]
    tied.sort(key=lambda m: _PREFERRED.index(m.encoding) if m.encoding in _PREFERRED else 99)
    return str(tied[0]), tied[0].encoding


def title_of(text: str, markdown: bool) -> str | None:
    """The first heading (Markdown) or the first non-empty line, trimmed."""
    for line in text.splitlines():
        if not line.strip():
            continue
        if markdown:
            m = _HEADING.match(line)
            if m:
                return m.group(1) or None
            continue
        return line.strip()[:300]
    if markdown:
        return title_of(text, markdown=False)
    return None


#: One line of the front matter :func:`flat_mapping` reads itself: ``key: value`` at
#: the start of the line, the key a short name, the value one plain scalar on that line
#: that starts with a letter or digit and has no ``#`` (a comment), no ``: `` (a
#: mapping), no tab, control character or non-ASCII character that is not a letter or
#: digit (YAML's other line breaks and BOM), and no trailing ``:``.
_FLAT_LINE = re.compile(r"([A-Za-z_][A-Za-z0-9_-]{0,63}):[ ]+([^\W_](?:[ -\"$-~]|[^\W_])*)")


def flat_mapping(block: str) -> dict[Any, Any] | None:
    """``yaml.safe_load(block)`` for front matter of ``key: value`` lines only, each
    value a plain scalar on its line (the common case, ~20x faster); None for any
    other block, which is left to PyYAML.

    Each key and value is the plain scalar PyYAML's scanner reads there (the
    characters between ``: `` and the line's end, trailing spaces dropped: no
    character in them ends or folds a plain scalar), typed by PyYAML's own resolver
    and constructor (dates, numbers, booleans, nulls), put in a dict in order as
    PyYAML's ``construct_mapping`` does (a repeated key: the last value).
    """
    if not block or not block.endswith("\n") or "\r" in block:
        return None
    lines = block[:-1].split("\n")
    pairs = []
    for line in lines:
        m = _FLAT_LINE.fullmatch(line.rstrip(" "))
        if m is None:
            return None
        value = m.group(2)
        if ": " in value or value.endswith(":") or not _plain_chars(value):
            return None
        pairs.append((m.group(1), value))
    try:
        return _construct(pairs)
    except Exception:  # PyYAML raises it again, as it would have
        return None


def _construct(pairs: list[tuple[str, str]]) -> dict[Any, Any]:
    """The mapping PyYAML builds of plain scalar ``(key, value)`` pairs: each typed by
    its resolver (as its composer does) and made by its safe constructor."""
    constructor, resolver, node = _yaml_parts()
    data: dict[Any, Any] = {}
    for key, value in pairs:
        made = []
        for scalar in (key, value):
            tag = resolver.resolve(node, scalar, (True, False))
            made.append(constructor.yaml_constructors[tag](constructor, node(tag, scalar)))
        data[made[0]] = made[1]
    return data


@cache
def _yaml_parts() -> tuple[Any, Any, Any]:
    """PyYAML's safe constructor, resolver and scalar node class (imported on first use)."""
    from yaml.constructor import SafeConstructor
    from yaml.nodes import ScalarNode
    from yaml.resolver import Resolver

    return SafeConstructor(), Resolver(), ScalarNode


def _plain_chars(value: str) -> bool:
    """Whether every non-ASCII character of ``value`` is a letter or digit."""
    return value.isascii() or all(c.isascii() or c.isalnum() for c in value)


def front_matter(text: str) -> tuple[dict[str, Any], int]:
    """The YAML front matter of a Markdown text as a dict, and where the body starts.

    Returns ``({}, 0)`` when the text has no front matter or it is not a YAML
    mapping (then the block is left as ordinary text).
    """
    m = FRONT_MATTER.match(text)
    if not m:
        return {}, 0
    block = m.group(1) or ""
    data = flat_mapping(block)
    if data is None:
        import yaml

        try:
            data = yaml.safe_load(block)
        except yaml.YAMLError:
            return {}, 0
    if not isinstance(data, dict):
        return ({}, m.end()) if data is None else ({}, 0)
    return {str(k): v for k, v in data.items()}, m.end()


def _first(data: dict[str, Any], *keys: str) -> Any:
    lowered = {k.lower(): v for k, v in data.items()}
    for key in keys:
        if lowered.get(key) not in (None, ""):
            return lowered[key]
    return None


@hookimpl(trylast=True)
def load(source: Source) -> Document | None:
    media_type = source.media_type
    if media_type not in TEXT_TYPES and not (
        media_type.startswith("text/") or media_type == "application/octet-stream"
    ):
        return None
    if media_type == "text/html":
        return None
    text, encoding = decode(source.data)
    if media_type not in TEXT_TYPES:
        media_type = "text/plain"
    if media_type != "text/markdown":
        return Document(
            media_type=media_type,
            text=text,
            title=title_of(text, markdown=False),
            encoding=encoding,
        )
    fields, body_start = front_matter(text)
    title = _first(fields, "title")
    return Document(
        media_type=media_type,
        text=text,
        title=" ".join(str(title).split()) if title else title_of(text[body_start:], markdown=True),
        published=iso_date(_first(fields, "date", "published", "pubdate", "publishdate")),
        author=person(_first(fields, "author", "authors", "byline")),
        language=language_tag(_first(fields, "lang", "language", "locale")),
        encoding=encoding,
        meta={"front_matter": plain(fields)} if fields else {},
    )
