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

Before any text is extracted, the page count is held to ``max_pages`` and what the
pages' content streams (and the form XObjects they draw) unpack to, together, to
``max_expanded`` (``source.limits``); pypdf's own decompression stops at what is left
of that, so a stream bomb costs no more than the limit. Extraction stops once the
text is over ``max_text``.
"""

from __future__ import annotations

import io
import logging
import re
from typing import Any

from docmill import (
    Document,
    LimitExceeded,
    Limits,
    Source,
    hookimpl,
    iso_date,
    language_tag,
    person,
)

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


#: pypdf's limits on what one stream may decode to (its Configuration fields).
_OUTPUT_LIMITS = (
    "zlib_maximum_output_length",
    "lzw_maximum_output_length",
    "run_length_maximum_output_length",
    "brotli_maximum_output_length",
    "array_based_stream_maximum_output_length",
    "stream_decoding_work_maximum_length",
)


def _decoded_size(stream: Any, limits: Limits, used: int) -> int:
    """``stream`` decoded, with pypdf stopping at what is left of ``max_expanded``."""
    from pypdf import apply_configuration
    from pypdf.errors import LimitReachedError

    left = max(limits.max_expanded - used, 1)
    try:
        with apply_configuration(None, **dict.fromkeys(_OUTPUT_LIMITS, left)):
            return len(stream.get_data())
    except LimitReachedError:
        return left + 1


def _check_streams(reader: Any, limits: Limits) -> None:
    """Hold the page count and the decoded size of every page's streams to the limits."""
    limits.check_pages(len(reader.pages), "PDF")
    used = 0
    seen: set[int] = set()
    for page in reader.pages:
        streams: list[Any] = []
        contents = page.get("/Contents")
        if contents is not None:
            contents = contents.get_object()
            streams.extend(contents if isinstance(contents, list) else [contents])
        resources = page.get("/Resources")
        xobjects = resources.get_object().get("/XObject") if resources is not None else None
        if xobjects is not None:
            for ref in xobjects.get_object().values():
                obj = ref.get_object()
                if obj.get("/Subtype") == "/Form":  # drawn text; images are never decoded
                    streams.append(obj)
        for stream in streams:
            stream = stream.get_object()
            if id(stream) in seen:
                continue
            seen.add(id(stream))
            used += _decoded_size(stream, limits, used)
            limits.check_expanded(used, "the PDF's page content streams")


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
    from pypdf.errors import FileNotDecryptedError, LimitReachedError, PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    limits = source.limits
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
        _check_streams(reader, limits)
        for page in reader.pages:
            if parts:
                pos += len(PAGE_SEPARATOR)
            text = _page_text(page.extract_text() or "")
            parts.append(text)
            pages.append([pos, pos + len(text)])
            pos += len(text)
            limits.check_text(pos)
    except FileNotDecryptedError:
        raise ValueError("the PDF is encrypted and needs a password (not supported)") from None
    except LimitExceeded:
        raise
    except LimitReachedError as exc:  # one of pypdf's own limits (a stream, a page tree)
        raise LimitExceeded(
            f"the PDF is over one of pypdf's limits ({exc}); it may be a decompression bomb",
            "max_expanded",
        ) from None
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
