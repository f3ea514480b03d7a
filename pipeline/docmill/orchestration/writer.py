"""The flow process's side of a run: sinks, duplicate inputs, counts, timings, manifest.

Batches come back from the tasks in input order and are written here, one
document at a time, by every sink of the run (JSONL and the plugins' own); a
document reused from an earlier run (:mod:`docmill.runs.cache`) is written the
same way. No Prefect here.

When every sink of the run is an encoded sink (the built-in JSONL one), a
document a worker process finished is written from the lines that worker
encoded (:func:`docmill.sinks.encode`): the records a stage changed stay packed
on its state (:func:`docmill.engine.workers.protocol.settle`) and are never
rebuilt here. With any other sink, every sink gets the records.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from docmill.engine import STAGES, stages
from docmill.engine.stages import DocState
from docmill.engine.workers.protocol import encoded, settle
from docmill.plugins import Manager, __version__
from docmill.records import SCHEMA_VERSION, Record
from docmill.runs.cache import Reused
from docmill.runs.folder import RunFolder
from docmill.runs.languages import LanguageCounts
from docmill.runs.manifest import Manifest
from docmill.sinks import EncodedSink, RunInfo, Sink

#: The stages whose seconds a manifest records, in the order they run: the
#: document stages, then the sinks writing their records.
TIMED_STAGES = (*STAGES, "export")


class RunWriter:
    """Book-keeping of one run in the flow process: sinks, dedup, counts, timings."""

    def __init__(self, mgr: Manager, folder: RunFolder) -> None:
        self.mgr = mgr
        self.folder = folder
        self.kinds = stages.record_kinds(mgr)
        self.info = RunInfo(run_id=folder.run_id, folder=folder.tmp, kinds=self.kinds)
        self.sinks: list[Sink] = []
        for _name, fn in mgr.ordered("export_sink"):
            sink = fn(run=self.info)
            if sink is not None:
                self.sinks.append(sink)
        #: The sinks, when every one of them takes encoded lines (else None).
        self.encoded_sinks: list[EncodedSink] | None = None
        if all(isinstance(sink, EncodedSink) for sink in self.sinks):
            self.encoded_sinks = [sink for sink in self.sinks if isinstance(sink, EncodedSink)]
        self.counts: dict[str, int] = dict.fromkeys(self.kinds, 0)
        self.timings: dict[str, float] = dict.fromkeys(TIMED_STAGES, 0.0)
        self.inputs: list[dict[str, Any]] = []
        self.seen: dict[str, str] = {}
        self.reused = 0
        self.languages = LanguageCounts()

    def write_reused(self, entry: Reused) -> None:
        """Write a document's records taken from an earlier run (see docmill.runs.cache)."""
        t0 = time.perf_counter()
        records = entry.records(self.kinds)
        self.seen[entry.sha256] = entry.source
        self._write(records)
        self.inputs.append(
            {
                "source": entry.source,
                "sha256": entry.sha256,
                "status": "document",
                "id": entry.doc_id,
            }
        )
        self.reused += 1
        self.timings["export"] += time.perf_counter() - t0

    def write(self, states: list[DocState]) -> None:
        """Write processed inputs; a later input with an earlier one's bytes is a reject."""
        t0 = time.perf_counter()
        for state in states:
            if state.alive and state.sha256 in self.seen:
                state.fail(
                    "load",
                    stages.FRAMEWORK,
                    f"same content as {self.seen[state.sha256]} (a duplicate input)",
                )
            elif state.alive:
                self.seen[state.sha256] = state.source
            lines = encoded(state) if state.alive and self.encoded_sinks is not None else None
            if lines is not None and state.document is not None:
                for sink in self.encoded_sinks or ():
                    sink.write_encoded(lines.lines)
                for kind, n in lines.counts.items():
                    self.counts[kind] = self.counts.get(kind, 0) + n
                self.languages.add_document(state.document, lines.skipped)
            else:
                self._write(settle(state).output())
            self.inputs.append(
                {
                    "source": state.source,
                    "sha256": state.sha256 or None,
                    "status": "document" if state.alive else "reject",
                    "id": state.document.id if state.alive and state.document else None,
                }
            )
        self.timings["export"] += time.perf_counter() - t0

    def _write(self, records: list[Record]) -> None:
        for sink in self.sinks:
            sink.write(records)
        for r in records:
            self.counts[r.kind] = self.counts.get(r.kind, 0) + 1
        self.languages.add(records)

    def close(self) -> None:
        """Close every sink (its files are complete afterwards)."""
        t0 = time.perf_counter()
        for sink in self.sinks:
            sink.close()
        self.timings["export"] += time.perf_counter() - t0

    def manifest(self, started: datetime, batch_size: int, n_inputs: int) -> Manifest:
        """The run's manifest so far: everything but ``cache`` and ``hashes``."""
        finished = datetime.now(UTC)
        return Manifest(
            run_id=self.folder.run_id,
            schema_version=SCHEMA_VERSION,
            docmill_version=__version__,
            started=started,
            finished=finished,
            seconds=round((finished - started).total_seconds(), 3),
            batch_size=batch_size,
            inputs=self.inputs,
            n_inputs=n_inputs,
            documents=self.counts.get("document", 0),
            rejects=self.counts.get("reject", 0),
            plugins=self.mgr.versions(),
            counts=dict(sorted(self.counts.items())),
            files={kind: t.file_name() for kind, t in sorted(self.kinds.items())},
            timings={k: round(v, 4) for k, v in self.timings.items()},
            languages=self.languages.info(),
        )
