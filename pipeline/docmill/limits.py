"""What one input may expand to: limits checked before (and while) it is parsed.

``max_bytes`` bounds the file as read; a compressed container (a .docx is a zip,
a PDF holds compressed streams) can unpack to hundreds of times that, and a
document of a few MB of text can hold one endless line. :class:`Limits` bounds
what an input turns into, and travels with every :class:`~docmill.sources.Source`
(``source.limits``) so a loader can refuse a bomb *before* handing it to a parser:

- ``max_expanded`` — bytes a container's members (or a PDF's streams) unpack to;
- ``max_ratio`` — how many times its packed size one member over
  :data:`RATIO_FLOOR` bytes may unpack to (a zip bomb's signature);
- ``max_pages`` — pages of a paginated input;
- ``max_text`` — characters of the text a loader extracts;
- ``max_line`` — characters between two line breaks of that text (the longest
  paragraph: what sentence splitting and NER must hold at once).

An input over a limit raises :class:`LimitExceeded`, whose message says what
the input would expand to and which setting to raise; raised in a loader it
becomes the input's reject, like any loader error. The framework checks
``max_text`` and ``max_line`` on every loaded document itself
(:meth:`Limits.check_text`), so a loader only checks what it can see earlier.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass

__all__ = [
    "DEFAULT_LIMITS",
    "RATIO_FLOOR",
    "LimitExceeded",
    "Limits",
]

#: Members that unpack to no more than this are not held to ``max_ratio``
#: (small, repetitive XML parts compress well and cost nothing).
RATIO_FLOOR = 1_000_000

#: Bytes inflated at a time while a zip member is counted.
_CHUNK = 1 << 20

_LINE_BREAK = re.compile(r"[\n\r\u2028\u2029\x0b\x0c\x1c-\x1e\x85]")


class LimitExceeded(ValueError):
    """An input is over one of the :class:`Limits`; the message names the setting to raise."""

    def __init__(self, what: str, setting: str) -> None:
        super().__init__(what)
        self.setting = setting


def _mb(n: float) -> str:
    return f"{n / 1_000_000:,.1f} MB" if n >= 1_000_000 else f"{n:,.0f} bytes"


def _packed_bytes(data: bytes, info: zipfile.ZipInfo) -> bytes:
    """A member's compressed bytes, found through its local header."""
    at = info.header_offset
    name_length, extra_length = struct.unpack_from("<HH", data, at + 26)
    start = at + 30 + name_length + extra_length
    return data[start : start + info.compress_size]


def _inflated_size(packed: bytes, cap: int) -> int:
    """How many bytes raw-deflate ``packed`` inflates to, counting no further than ``cap + 1``."""
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    size, pending = 0, packed
    try:
        while pending and size <= cap:
            size += len(inflater.decompress(pending, _CHUNK))
            pending = inflater.unconsumed_tail
        if size <= cap and not inflater.eof:
            size += len(inflater.flush())
    except zlib.error:
        return size  # damaged data: the parser's CRC check reports it
    return size


@dataclass(frozen=True)
class Limits:
    """The expansion limits of a run (docmill's settings of the same names)."""

    #: Characters of extracted text a document may have.
    max_text: int = 20_000_000
    #: Characters one line (paragraph) of that text may have.
    max_line: int = 1_000_000
    #: Bytes the members of a container (or the streams of a PDF) may unpack to, in all.
    max_expanded: int = 100_000_000
    #: Times its packed size one member over :data:`RATIO_FLOOR` bytes may unpack to.
    max_ratio: float = 100.0
    #: Pages a paginated input (PDF) may have.
    max_pages: int = 10_000

    def check_zip(self, data: bytes, what: str = "zip container") -> None:
        """Refuse a zip archive whose members would unpack past ``max_expanded`` or ``max_ratio``.

        First the sizes the central directory declares (no member read), then each
        compressed member is inflated a chunk at a time and counted, never held, and
        refused as soon as it gives more than it declares: Python's :mod:`zipfile`
        (what python-docx and most parsers read through) truncates a member to its
        declared size, but only after inflating it whole, so a header that lies about
        its size would otherwise unpack a bomb in memory. Not a zip at all: nothing to
        check (the parser reports that).
        """
        try:
            members = zipfile.ZipFile(io.BytesIO(data)).infolist()
        except (zipfile.BadZipFile, ValueError, OSError, EOFError):
            return
        total = 0
        for info in members:
            total += info.file_size
            if total > self.max_expanded:
                raise LimitExceeded(
                    f"the {what} would unpack to at least {_mb(total)} ({len(members)} members, "
                    f"{_mb(len(data))} packed), over the limit of {_mb(self.max_expanded)} "
                    "(raise max_expanded to read it)",
                    "max_expanded",
                )
            packed = max(info.compress_size, 1)
            ratio = info.file_size / packed
            if info.file_size > RATIO_FLOOR and ratio > self.max_ratio:
                raise LimitExceeded(
                    f"{info.filename!r} in the {what} would unpack to {_mb(info.file_size)} "
                    f"from {_mb(packed)}, {ratio:,.0f} times its packed size, over the limit "
                    f"of {self.max_ratio:g} (a decompression bomb? raise max_ratio to read it)",
                    "max_ratio",
                )
        for info in members:
            if info.compress_type != zipfile.ZIP_DEFLATED:
                continue
            if _inflated_size(_packed_bytes(data, info), info.file_size) > info.file_size:
                raise LimitExceeded(
                    f"{info.filename!r} in the {what} unpacks to more than the "
                    f"{info.file_size:,} bytes it declares: a damaged or hostile archive "
                    "(a decompression bomb?)",
                    "max_expanded",
                )

    def check_expanded(self, size: int, what: str) -> None:
        """Refuse when ``size`` bytes unpacked so far (``what``: "the PDF's streams") are over."""
        if size > self.max_expanded:
            raise LimitExceeded(
                f"{what} unpack to more than {_mb(self.max_expanded)}, the limit "
                "(raise max_expanded to read it)",
                "max_expanded",
            )

    def check_pages(self, pages: int, what: str = "document") -> None:
        if pages > self.max_pages:
            raise LimitExceeded(
                f"the {what} has {pages:,} pages, over the limit of {self.max_pages:,} "
                "(raise max_pages to read it)",
                "max_pages",
            )

    def check_text(self, text: str | int) -> None:
        """Refuse a text over ``max_text`` characters, or with a line over ``max_line``.

        An ``int``: only the length so far (a loader stopping early).
        """
        length = text if isinstance(text, int) else len(text)
        if length > self.max_text:
            what = f"is {length:,}" if isinstance(text, str) else f"is {length:,} so far and more"
            raise LimitExceeded(
                f"the text {what} characters, over the limit of {self.max_text:,} "
                "(raise max_text to read it)",
                "max_text",
            )
        if isinstance(text, int) or length <= self.max_line:
            return
        longest, start = 0, 0
        for brk in _LINE_BREAK.finditer(text):
            longest = max(longest, brk.start() - start)
            start = brk.end()
        longest = max(longest, length - start)
        if longest > self.max_line:
            raise LimitExceeded(
                f"the text has a line (paragraph) of {longest:,} characters, over the limit "
                f"of {self.max_line:,}: sentence splitting and entity recognition work a "
                "paragraph at a time (raise max_line to read it)",
                "max_line",
            )


#: The limits when nothing is configured.
DEFAULT_LIMITS = Limits()
