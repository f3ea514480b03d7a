"""Load PDF files: the text layer page by page, with the page numbers kept.

pypdf reads each page's text; a blank line is put where a line ends a
paragraph (a short line ending a sentence, or a heading), pages are joined
with a blank line, and
``meta["pages"]`` records where each page lies in the document's text as
``[start, end]`` offsets (page ``n`` is item ``n - 1``), so the framework can put a
``page`` on every paragraph and sentence. Title, author and creation date come
from the PDF's document information. A PDF without a text layer (a scan) is
refused with "no text layer (OCR not supported)"; one that needs a password to
open is refused as encrypted. A PDF that is encrypted only against editing
(it opens without a password in any viewer) is read, and marked in ``meta``.
"""

from __future__ import annotations

import io
import logging
import re
from typing import Any

from docmill import Document, Source, hookimpl, iso_date, language_tag, person

PDF_TYPE = "application/pdf"
PAGE_SEPARATOR = "\n\n"

_SPACES = re.compile(r"[ \t]+\n")
_MANY_BLANKS = re.compile(r"\n{3,}")


def _page_text(raw: str) -> str:
    """A page's text with a blank line where a paragraph ends (see :func:`_paragraphs`)."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    text = _SPACES.sub("\n", text)
    return _MANY_BLANKS.sub("\n\n", _paragraphs(text)).strip()


_ENDS_SENTENCE = re.compile(r"[.!?:;\"”’)\]]$")
_STARTS_BLOCK = re.compile(r"^[\"“‘(\[]?[A-Z0-9]")


def _paragraphs(text: str) -> str:
    """Mark paragraph ends in a page's text, which pypdf gives as lines only.

    A line ends a paragraph when it is clearly shorter than the page's full lines and
    ends a sentence, or is very short (a heading) and the next line starts anew.
    Other line breaks stay as they are; the segmenter reads them as spaces.
    """
    lines = text.split("\n")
    widths = sorted(len(line.strip()) for line in lines if line.strip())
    if len(widths) < 3:
        return text
    full = widths[int(len(widths) * 0.9) - 1 if len(widths) >= 10 else -1]
    out: list[str] = []
    for i, line in enumerate(lines):
        out.append(line)
        after = lines[i + 1].strip() if i + 1 < len(lines) else ""
        bare = line.strip()
        if not bare or not after:
            continue
        if (len(bare) < 0.85 * full and _ENDS_SENTENCE.search(bare)) or (
            len(bare) < 0.6 * full and _STARTS_BLOCK.match(after)
        ):
            out.append("")
    return "\n".join(out)


def _info(reader: Any) -> dict[str, Any]:
    try:
        info = reader.metadata
    except Exception:  # a damaged info dictionary must not cost the text
        return {}
    if info is None:
        return {}
    out: dict[str, Any] = {}
    for key in ("/Title", "/Author", "/Subject", "/Keywords", "/Creator", "/Producer"):
        value = info.get(key)
        if value is not None and str(value).strip():
            out[key[1:].lower()] = " ".join(str(value).split())
    for key in ("/CreationDate", "/ModDate"):
        value = info.get(key)
        if value is not None:
            out[key[1:].lower()] = str(value)
    return out


def _declared_language(reader: Any) -> str | None:
    """The document catalog's ``/Lang`` (the language a PDF declares), if any."""
    try:
        return language_tag(str(reader.trailer["/Root"].get("/Lang") or ""))
    except Exception:  # a damaged catalog must not cost the text
        return None


@hookimpl
def load(source: Source) -> Document | None:
    if source.media_type != PDF_TYPE:
        return None
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(source.data))
    except (PdfReadError, ValueError, OSError) as exc:
        raise ValueError(f"not a readable PDF ({exc})") from None
    meta: dict[str, Any] = {}
    if reader.is_encrypted:
        try:
            opened = bool(reader.decrypt(""))
        except Exception:  # pypdf raises various errors for unsupported encryption
            opened = False
        if not opened:
            raise ValueError("the PDF is encrypted and needs a password (not supported)")
        meta["encrypted"] = True
    parts: list[str] = []
    pages: list[list[int]] = []
    pos = 0
    try:
        for page in reader.pages:
            if parts:
                pos += len(PAGE_SEPARATOR)
            text = _page_text(page.extract_text() or "")
            parts.append(text)
            pages.append([pos, pos + len(text)])
            pos += len(text)
    except FileNotDecryptedError:
        raise ValueError("the PDF is encrypted and needs a password (not supported)") from None
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"not a readable PDF ({exc})") from None
    text = PAGE_SEPARATOR.join(parts)
    if not text.strip():
        raise ValueError(
            f"no text layer (OCR not supported): none of its {len(pages)} page(s) has text"
        )
    info = _info(reader)
    meta["pages"] = pages
    meta["page_count"] = len(pages)
    for key in ("subject", "keywords", "creator", "producer", "creationdate", "moddate"):
        if key in info:
            meta[key] = info[key]
    return Document(
        media_type=PDF_TYPE,
        text=text,
        title=info.get("title") or None,
        author=person(info.get("author")),
        published=iso_date(info.get("creationdate")),
        language=_declared_language(reader),
        meta=meta,
    )
