"""Media-type sniffing: what ``Source.media_type`` says before any loader looks.

The rule, in order (:func:`guess_media_type`):

1. An extension that names a *container* format decides: ``message/*`` (``.eml``,
   ``.mht``), ``multipart/*``, ``application/mbox`` and ZIP-based packages
   (``+zip`` types such as ``.epub``, OpenDocument). Such a file wraps documents of
   other types, so its content shows what is *inside* (an e-mail's HTML part, a
   ZIP): sniffing would mislabel the container. Its loader decides what to read.
2. Content that identifies a format by its first bytes: PDF (``%PDF-``), DOCX (a
   ZIP holding ``word/document.xml``; any other ZIP is ``application/zip``), HTML
   (a doctype or ``<html`` at the start, after a BOM and white space).
3. Weaker signs of content — ``%PDF-`` later in the first KiB, ``<html`` after a
   comment or an XML declaration — count unless the extension says text or Markdown.
4. The extension: docmill's table (``.md``, ``.txt``, ``.html``, ``.pdf``, ``.docx`` …),
   then head/body tags at the start for extensions docmill does not know, then
   Python's :mod:`mimetypes` table.
5. No known extension: Markdown when the file opens with YAML front matter or has
   Markdown headings, plain text when it has no NUL byte in its first 8 KiB, else
   ``application/octet-stream`` (the text loader still refuses binary content).
"""

from __future__ import annotations

import io
import mimetypes
import os
import re
import zipfile

#: Extensions docmill knows beyond the ``mimetypes`` table.
EXTENSION_TYPES: dict[str, str] = {
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".txt": "text/plain",
    ".text": "text/plain",
    ".htm": "text/html",
    ".html": "text/html",
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}

DOCX = EXTENSION_TYPES[".docx"]
_HTML_START = (b"<!doctype html", b"<html")
_HTML_TAGS = (b"<head", b"<body", b"<meta ", b"<title>", b"<article")
_FRONT_MATTER = re.compile(
    rb"\A(?:\xef\xbb\xbf)?---[ \t]*\r?\n(?:[^\n]*\n){0,200}?(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)"
)
_MD_HINT = re.compile(rb"^(?:#{1,6} \S|```)", re.MULTILINE)


def extension_type(name: str) -> str | None:
    """The media type a file name's extension names (docmill's table, then mimetypes)."""
    ext = os.path.splitext(name)[1].lower()
    return EXTENSION_TYPES.get(ext) or (mimetypes.guess_type(name)[0] if ext else None)


def is_container(media_type: str | None) -> bool:
    """True for a format that wraps documents of other types (e-mail, MIME, archives)."""
    if not media_type:
        return False
    return (
        media_type.startswith(("message/", "multipart/", "application/vnd.oasis.opendocument."))
        or media_type.endswith("+zip")
        or media_type == "application/mbox"
    )


def guess_media_type(name: str, data: bytes) -> str:
    """The media type of a file named ``name`` holding ``data`` (rule: module docstring)."""
    by_extension = extension_type(name)
    if is_container(by_extension):
        assert by_extension is not None
        return by_extension
    head = data[:1024]
    ext = os.path.splitext(name)[1].lower()
    textual = EXTENSION_TYPES.get(ext, "").startswith("text/")
    if data.startswith(b"%PDF-") or (b"%PDF-" in head and not textual):
        return "application/pdf"
    if data.startswith(b"PK\x03\x04"):
        if _is_docx(data) or ext == ".docx":
            return DOCX  # a damaged Word file: the DOCX loader says why it cannot read it
        return "application/zip"
    lower = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if lower.startswith(_HTML_START):
        return "text/html"
    if not textual and b"<html" in lower[:512]:
        return "text/html"  # after a comment or an XML declaration (XHTML)
    if ext in EXTENSION_TYPES:
        return EXTENSION_TYPES[ext]
    if lower.startswith(b"<") and any(tag in lower for tag in _HTML_TAGS):
        return "text/html"
    if by_extension:
        return by_extension
    if _FRONT_MATTER.match(data) or _MD_HINT.search(data[:4096]):
        return "text/markdown"
    if ext == "" and b"\x00" not in data[:8192]:
        return "text/plain"
    return "application/octet-stream"


def _is_docx(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "word/document.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
