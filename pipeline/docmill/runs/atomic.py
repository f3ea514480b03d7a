"""Atomic file writes: a reader sees a file's old content or its new, never a part."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

import orjson

#: How docmill writes JSON files (manifest.json): indented by two, keys sorted.
JSON_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS


def fsync_path(path: Path) -> None:
    """Flush a file's (or a folder's) contents to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:  # some file systems cannot fsync a folder; the rename still is atomic
        pass
    finally:
        os.close(fd)


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write ``path`` through a uniquely named temporary file, flushed, then a rename.

    Readers see the old content or the new, never a part; two writers (threads or
    processes) never share a temporary file.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def json_bytes(data: Any) -> bytes:
    """``data`` as docmill writes JSON files: :data:`JSON_OPTIONS`, a final newline."""
    return orjson.dumps(data, option=JSON_OPTIONS) + b"\n"


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON to ``path`` (:func:`json_bytes`) through a temporary file and a rename."""
    write_bytes_atomic(path, json_bytes(data))
