"""Load Word documents (.docx): paragraphs, headings and tables in reading order.

python-docx reads the body; each non-empty paragraph, and each table row (cells
joined by " | "), becomes one block, blocks separated by a blank line.
Headings stay in the text and are listed in ``meta["headings"]`` with their
level and ``[start, end]`` offsets. Core properties give title, author,
language and dates: ``published`` is the ``created`` date (Word has no
publication date field), ``meta`` keeps created/modified and the rest.

A .docx is a zip archive: before python-docx unpacks it, the sizes its members
declare are held to ``max_expanded`` and ``max_ratio`` (``source.limits``), so a
zip bomb is refused in milliseconds instead of filling the memory.
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

from docmill import Document, Source, hookimpl, iso_date, language_tag, person

#: The media type this loader claims (what docmill sniffs for a Word file).
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

_SPACE = re.compile(r"[ \t\u00a0]+")
_HEADING_STYLE = re.compile(r"^(?:Heading\s*(\d)|Title)$", re.IGNORECASE)


def _one_line(text: str) -> str:
    return " ".join(_SPACE.sub(" ", line).strip() for line in text.splitlines()).strip()


def _heading_level(style_id: str | None, names: dict[str, str]) -> int | None:
    """0 for a Title paragraph, n for "Heading n", None for body text."""
    if not style_id:
        return None
    m = _HEADING_STYLE.match(names.get(style_id, style_id).strip())
    if not m:
        return None
    return int(m.group(1)) if m.group(1) else 0


@hookimpl
def load(source: Source) -> Document | None:
    if source.media_type != DOCX:
        return None
    source.limits.check_zip(source.data, "Word document")
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table

    try:
        word = docx.Document(io.BytesIO(source.data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ValueError(f"not a readable Word (.docx) document ({exc})") from None
    # style id -> name once per document (python-docx looks styles up per paragraph)
    style_names = {st.style_id: st.name or "" for st in word.styles if st.style_id}
    blocks: list[str] = []
    headings: list[dict[str, Any]] = []
    pos = 0

    def add(text: str) -> int:
        nonlocal pos
        if blocks:
            pos += 2
        start = pos
        blocks.append(text)
        pos += len(text)
        return start

    for item in word.iter_inner_content():
        if isinstance(item, Table):
            for row in item.rows:
                cells: list[str] = []
                for cell in row.cells:
                    value = _one_line(cell.text)
                    if value and (not cells or cells[-1] != value):  # merged cells repeat
                        cells.append(value)
                if cells:
                    add(" | ".join(cells))
            continue
        text = _one_line(item.text)
        if not text:
            continue
        start = add(text)
        level = _heading_level(item._p.style, style_names)
        if level is not None:
            headings.append({"level": level, "start": start, "end": start + len(text)})
    props = word.core_properties
    meta: dict[str, Any] = {}
    if headings:
        meta["headings"] = headings
    for key in ("created", "modified"):
        when = getattr(props, key, None)
        if when is not None:
            meta[key] = when.isoformat()
    for key in ("subject", "keywords", "category", "last_modified_by"):
        prop = getattr(props, key, None)
        if prop:
            meta[key] = str(prop)
    text = "\n\n".join(blocks)
    title = (props.title or "").strip() or None
    if title is None and headings:
        first = headings[0]
        title = text[first["start"] : first["end"]]
    return Document(
        media_type=DOCX,
        text=text,
        title=title,
        author=person(props.author),
        published=iso_date(props.created),
        language=language_tag(props.language),
        meta=meta,
    )
