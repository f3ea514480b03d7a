"""Write every record kind to its own JSONL file (``<kind>s.jsonl``), even when empty."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import IO

from docmill import Record, RunInfo, hookimpl


class JsonlSink:
    """One buffered file per record kind, records written in arrival order.

    Also an encoded sink (``docmill.sinks.EncodedSink``): the worker processes
    encode each document's lines with ``docmill.sinks.jsonl_line``, the same bytes
    :meth:`write` writes, and :meth:`write_encoded` writes them as they are.
    """

    def __init__(self, run: RunInfo) -> None:
        self._files: dict[str, IO[bytes]] = {}
        for kind, record_type in sorted(run.kinds.items()):
            self._files[kind] = (run.folder / record_type.file_name()).open("wb", buffering=1 << 20)

    def write(self, records: Sequence[Record]) -> None:
        for record in records:
            fh = self._files[record.kind]
            # pydantic-core's own JSON of the record (docmill.sinks.jsonl_line)
            fh.write(record.__pydantic_serializer__.to_json(record))
            fh.write(b"\n")

    def write_encoded(self, lines: Mapping[str, bytes]) -> None:
        for kind, data in lines.items():
            self._files[kind].write(data)

    def close(self) -> None:
        for fh in self._files.values():
            fh.close()


@hookimpl
def export_sink(run: RunInfo) -> JsonlSink:
    return JsonlSink(run)
