"""What exporters write to: a run's context and the sink protocol."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple, Protocol, runtime_checkable

from docmill.language import SKIP_CODE
from docmill.records import Finding, Record


@dataclass(frozen=True)
class RunInfo:
    """The run an exporter writes for.

    ``folder`` is the run's temporary folder: it is renamed to its final name
    only after every sink is closed and the manifest is written, so a sink writes
    there and nowhere else. ``kinds`` maps every registered record kind to its type.
    """

    run_id: str
    folder: Path
    kinds: dict[str, type[Record]]


@runtime_checkable
class Sink(Protocol):
    """Receives the records of a run, document by document, in a deterministic order."""

    def write(self, records: Sequence[Record]) -> None:
        """Write a batch of records (any kinds, already sorted)."""

    def close(self) -> None:
        """Flush and close; called once, after the last :meth:`write`."""


@runtime_checkable
class EncodedSink(Sink, Protocol):
    """A sink that also takes a document's records already encoded as JSONL lines.

    A worker process encodes each finished document (:func:`encode`), so when every
    sink of a run is one of these the flow process writes those bytes and never
    rebuilds the records. A run with any other sink gives every sink records.
    """

    def write_encoded(self, lines: Mapping[str, bytes]) -> None:
        """Write one document's records: kind -> their lines (:attr:`Encoded.lines`)."""


def jsonl_line(record: Record) -> bytes:
    """A record's line in its JSONL file: pydantic-core's JSON of it, then ``\\n``.

    The same bytes as orjson of ``model_dump(mode="json")`` (tests/test_records.py
    checks it) at a third of the cost.
    """
    return record.__pydantic_serializer__.to_json(record) + b"\n"


class Encoded(NamedTuple):
    """One document's records as the JSONL sink writes them, and what a manifest counts."""

    #: Kind -> the lines of its records, in the order they are written.
    lines: dict[str, bytes]
    #: Kind -> how many records of it.
    counts: dict[str, int]
    #: The plugin of each ``language-skipped`` finding, in order.
    skipped: tuple[str, ...]


def encode(records: Sequence[Record]) -> Encoded:
    """Encode one document's records (in written order) for :meth:`EncodedSink.write_encoded`."""
    parts: dict[str, list[bytes]] = {}
    skipped: list[str] = []
    for record in records:
        parts.setdefault(record.kind, []).append(jsonl_line(record))
        if isinstance(record, Finding) and record.code == SKIP_CODE:
            skipped.append(record.plugin)
    return Encoded(
        {kind: b"".join(lines) for kind, lines in parts.items()},
        {kind: len(lines) for kind, lines in parts.items()},
        tuple(skipped),
    )
