"""Inputs: finding the files a run reads, and what a loader is handed."""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

#: Extensions docmill knows beyond the ``mimetypes`` table.
_EXTRA_TYPES = {
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".txt": "text/plain",
    ".text": "text/plain",
    ".htm": "text/html",
    ".html": "text/html",
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def guess_media_type(name: str, data: bytes) -> str:
    """Media type by content sniffing first, file extension second."""
    head = data[:1024].lstrip()
    lower = head.lower()
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"PK\x03\x04") and name.lower().endswith(".docx"):
        return _EXTRA_TYPES[".docx"]
    if lower.startswith((b"<!doctype html", b"<html")) or b"<html" in lower[:512]:
        return "text/html"
    ext = os.path.splitext(name)[1].lower()
    if ext in _EXTRA_TYPES:
        return _EXTRA_TYPES[ext]
    guessed, _ = mimetypes.guess_type(name)
    return guessed or "application/octet-stream"


@dataclass(frozen=True)
class Source:
    """One input as a loader sees it: its bytes, a display name and a media type guess.

    ``name`` is relative (the folder argument's name and the path below it, or the
    file's name): outputs never carry the machine's absolute paths.
    """

    name: str
    data: bytes
    media_type: str
    path: Path | None = field(default=None, compare=False)

    @classmethod
    def from_bytes(cls, name: str, data: bytes, path: Path | None = None) -> Source:
        """Build a source, guessing its media type from content and name."""
        return cls(name=name, data=data, media_type=guess_media_type(name, data), path=path)


@dataclass(frozen=True, order=True)
class InputFile:
    """A file found for a run: its display name and where it is."""

    name: str
    path: Path = field(compare=False)


def _is_hidden(part: str) -> bool:
    return part.startswith(".") and part not in (".", "..")


def discover(paths: Iterable[str | Path], exclude: Iterable[Path] = ()) -> list[InputFile]:
    """Every input file under ``paths`` (files and folders, recursive), sorted by name.

    Hidden files and folders and the folders in ``exclude`` (the output folder) are
    skipped inside folders; a file named explicitly is always taken. Raises
    ``FileNotFoundError`` for a path that does not exist.
    """
    excluded = {p.resolve() for p in exclude}
    found: dict[str, InputFile] = {}
    for raw in paths:
        path = Path(raw)
        if not path.exists() and not path.is_symlink():
            raise FileNotFoundError(f"no such file or folder: {raw}")
        if path.is_dir():
            root_name = path.resolve().name or "input"
            for item in _walk(path, excluded):
                rel = item.relative_to(path).as_posix()
                name = f"{root_name}/{rel}"
                found.setdefault(name, InputFile(name, item))
        else:
            found.setdefault(path.name, InputFile(path.name, path))
    return sorted(found.values())


def _walk(root: Path, excluded: set[Path]) -> Iterator[Path]:
    seen: set[tuple[int, int]] = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        here = Path(dirpath)
        try:
            st = here.stat()
        except OSError:
            continue
        if (st.st_dev, st.st_ino) in seen:
            dirnames[:] = []
            continue
        seen.add((st.st_dev, st.st_ino))
        dirnames[:] = sorted(
            d for d in dirnames if not _is_hidden(d) and (here / d).resolve() not in excluded
        )
        for name in sorted(filenames):
            if not _is_hidden(name):
                yield here / name
