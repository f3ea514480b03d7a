"""What exporters write to: a run's context and the sink protocol."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from docmill.records import Record


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
