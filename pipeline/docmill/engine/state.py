"""DocState: one input on its way through the stages.

A state is made from its input before load (:meth:`DocState.of`) and every stage
maps states to states: load fills ``document`` from ``input``, clean fills
``clean`` and ``edits``, segment ``segments``, extract and validate ``records``.
A stage that cannot go on sets ``reject``; a rejected state passes every later
stage untouched.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from docmill.records import Document, Edit, Record, Reject, Segment, sort_key
from docmill.sources import InputFile, Source
from docmill.text import CleanText


@dataclass
class DocState:
    """One input on its way through the stages."""

    source: str
    sha256: str = ""
    document: Document | None = None
    clean: CleanText | None = None
    edits: list[Edit] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)  # cleaned offsets
    found: list[Record] = field(default_factory=list)  # cleaned offsets, as returned
    records: list[Record] = field(default_factory=list)  # final: source offsets
    reject: Reject | None = None
    #: What load reads (a file found for the run, or bytes in hand); None once loaded.
    input: InputFile | Source | None = None

    @classmethod
    def of(cls, item: InputFile | Source) -> DocState:
        """The state of an input before load."""
        return cls(item.name, input=item)

    @property
    def alive(self) -> bool:
        """Not rejected: the next stage runs on it (after load, it has a document)."""
        return self.reject is None

    def fail(self, stage: str, plugin: str, error: str, traceback: str | None = None) -> None:
        """Reject this input: ``stage`` could not go on because of ``plugin``."""
        self.reject = Reject(
            source=self.source,
            stage=stage,
            plugin=plugin,
            error=error,
            sha256=self.sha256,
            traceback=traceback,
        )

    def output(self) -> list[Record]:
        """Every record of this input, in the order they are written."""
        if self.reject is not None:
            return [self.reject]
        assert self.document is not None, "output() of a state that was never loaded"
        return [self.document, *sorted(self.records, key=sort_key)]
