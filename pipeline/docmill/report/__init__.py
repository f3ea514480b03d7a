"""The HTML report of a run: one self-contained ``report.html`` in the run folder.

The report is built from the run folder alone (``manifest.json`` plus the JSONL
files it lists), so the built-in plugin ``export_report`` (at the end of every
run) and ``docmill report RUN`` (afterwards) write the same file from the same
inputs. Contracts:

- Self-contained and safe (:mod:`docmill.report.page`): CSS, script and data are
  inline; a Content-Security-Policy forbids every network request and lets only
  the report's own script run. Document text is data, never markup: JSON inside
  ``<script type="application/json">`` with every ``<`` escaped, put on the page
  with ``textContent`` / ``setAttribute`` only.
- Each record kind says what is drawn: a span kind's
  :attr:`~docmill.records.Record.report_fields` are shown on its spans (a
  plugin's ``money`` span with ``("amount", "currency")`` shows both). A kind
  whose model is unknown (no ``kinds`` given and no installed plugin declares it)
  is drawn with its offsets alone.
- Lazy: the page opens on a small summary block (run, totals, one line per
  document, :mod:`docmill.report.overview`); each document's text, spans and
  findings are a JSON block of their own (:mod:`docmill.report.bodies`), parsed
  and laid out only when the document's section is opened, so a run of 1,000
  documents opens quickly. The embedded data is smaller than the JSONL it comes
  from (segments are left out, field names, kinds and plugin names are not repeated).
- Streamed: :func:`write_report` reads the run twice and holds one document at
  a time; memory is the per-document summaries plus one document.
- Deterministic: the same run folder gives a byte-identical report, the same bytes
  as :func:`render` of :func:`report_data` (which builds it all in memory).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from docmill.hashing import sha256_file
from docmill.records import Record
from docmill.report.bodies import document_bodies
from docmill.report.overview import SKIPPED_KINDS, read_overview
from docmill.report.page import page_pieces, render
from docmill.runs.manifest import Manifest, NotARunError, read_manifest, write_manifest
from docmill.runs.read import Run

__all__ = [
    "REPORT",
    "SKIPPED_KINDS",
    "NotARunError",
    "render",
    "report_data",
    "write_report",
]

REPORT = "report.html"


def _run(folder: Path, manifest: Manifest | None, kinds: Mapping[str, type[Record]] | None) -> Run:
    return Run(folder, manifest if manifest is not None else read_manifest(folder), kinds)


def report_data(
    folder: Path,
    manifest: Manifest | None = None,
    kinds: Mapping[str, type[Record]] | None = None,
) -> dict[str, Any]:
    """Everything the report shows, read from a run folder (``manifest`` given or read).

    ``kinds`` maps plugins' kinds to their models (see :func:`docmill.runs.read.read_run`).
    ``docs`` holds one small summary per document (in the order of
    ``documents.jsonl``: title, source, counts per kind and severity) and
    ``bodies`` the matching text, spans and findings (:mod:`docmill.report.bodies`).
    Totals per entity label, plugin and severity are computed here, so the page
    needs no pass over the bodies to open. Segments are counted, not embedded.
    Records whose ``doc_id`` names no document are left out.

    This holds every document's text in memory at once: for tests and tools.
    :func:`write_report` streams the same data instead. Raises
    :class:`NotARunError` for a folder without ``manifest.json``.
    """
    overview = read_overview(_run(folder, manifest, kinds))
    return {**overview.summary, "bodies": list(document_bodies(overview))}


def write_report(
    folder: Path,
    manifest: Manifest | None = None,
    kinds: Mapping[str, type[Record]] | None = None,
) -> Path:
    """Write ``report.html`` into ``folder`` (atomically) and return its path.

    Streams: two passes over the run's JSONL files, the page written piece by
    piece. The bytes are those of ``render(report_data(folder, manifest, kinds))``.
    Raises :class:`NotARunError` for a folder without ``manifest.json`` (and
    writes nothing); a failure leaves the previous report and no temporary file.

    In a finished run (``manifest`` not given: read from the folder) whose
    manifest records the report's sha256, a report that comes out different (a
    newer docmill draws it differently) gets its new sha256 written into the
    manifest, so ``docmill validate`` still passes: the records it is drawn from
    are unchanged and still checked.
    """
    finished = manifest is None
    run = _run(folder, manifest, kinds)
    overview = read_overview(run)
    path = folder / REPORT
    tmp = folder / f".{REPORT}.{os.getpid()}.tmp"
    try:
        with tmp.open("w", encoding="utf-8") as fh:
            for piece in page_pieces(overview.summary, document_bodies(overview)):
                fh.write(piece)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    hashes = run.manifest.hashes
    if finished and hashes is not None and REPORT in hashes:
        digest = sha256_file(path)
        if digest != hashes[REPORT]:
            update = {"hashes": {**hashes, REPORT: digest}}
            write_manifest(folder, run.manifest.model_copy(update=update))
    return path
