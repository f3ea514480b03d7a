"""Reading JSONL, the format of every record file in a run folder: one reader for all.

A record file holds one JSON object per line, each ending in ``\\n``. Readers
here either skip blank lines (:func:`read_dicts`, :func:`read_models`: what a
consumer wants) or hand back every line with its byte offset
(:func:`lines_with_offsets`: for byte-range indexes and for ``docmill validate``,
which must see a blank line as an error). A line that is not a JSON object raises
:class:`JsonlError` naming the file and the line number.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


class JsonlError(ValueError):
    """A line of a JSONL file is not a JSON object."""


def parse_object(line: bytes, where: str = "line") -> dict[str, Any]:
    """The JSON object on ``line``; :class:`JsonlError` (prefixed by ``where``) if it is none."""
    try:
        data = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise JsonlError(f"{where}: not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise JsonlError(f"{where}: a JSON {type(data).__name__}, not an object")
    return data


def lines_with_offsets(path: Path) -> Iterator[tuple[int, bytes]]:
    """``(byte offset, line)`` for every line of ``path``, blank ones too, newline kept.

    The offset is where the line starts: ``offset + len(line)`` is where the next
    one does, so callers can record byte ranges and seek back to them.
    """
    pos = 0
    with path.open("rb") as fh:
        for line in fh:
            yield pos, line
            pos += len(line)


def read_dicts(path: Path, *, missing_ok: bool = False) -> Iterator[dict[str, Any]]:
    """Every non-blank line of ``path`` as a dict, in file order.

    A missing file raises ``FileNotFoundError`` unless ``missing_ok`` (then it reads
    as empty). Lazy: one line is held at a time.
    """
    if missing_ok and not path.is_file():
        return
    with path.open("rb") as fh:
        for number, line in enumerate(fh, start=1):
            if line.strip():
                yield parse_object(line, f"{path}, line {number}")


def read_models(path: Path, model: type[M]) -> Iterator[M]:
    """Every non-blank line of ``path`` validated as ``model`` (pydantic's JSON parser).

    A line that does not validate raises pydantic's ``ValidationError``.
    """
    with path.open("rb") as fh:
        for line in fh:
            if line.strip():
                yield model.model_validate_json(line)
