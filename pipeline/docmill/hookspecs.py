"""Every docmill hook, with the contract an implementation must keep.

Implement a hook by decorating a function of the same name with
:data:`hookimpl` in a module registered under the ``docmill`` entry-point group.
An implementation may take any subset of the arguments listed. Spans returned
by ``segment`` and ``extract`` are in *cleaned* offsets; the framework maps them
to source offsets, fills ``doc_id``, ``id``, ``text`` and ``plugin``, validates
them, and turns a failure into an error finding that names the plugin.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import typer
    from pydantic import BaseModel

    from docmill.records import Document, Edit, Finding, Record, Segment
    from docmill.sinks import RunInfo, Sink
    from docmill.sources import Source
    from docmill.text import CleanText

PROJECT = "docmill"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec(firstresult=True)
def load(source: Source) -> Document | None:
    """Turn one input into a document, or return None to leave it to another loader.

    Called once per input file, loaders in order until one returns a document.
    Pick by ``source.media_type`` (sniffed from content, then the extension) and
    return ``Document(media_type=..., text=..., title=...)``; the framework fills
    ``id``, ``source`` and ``sha256``. Raise (with a message a user understands)
    when the input is yours but unreadable: the input becomes a reject naming your
    plugin. No loader accepting an input also makes a reject.
    """


@hookspec
def clean(doc: Document) -> Iterable[Edit] | None:
    """Propose edits on the document's source text.

    Every cleaner sees the same source text (``doc.text``) and returns
    ``Edit(start=, end=, replacement=, reason=)`` in its offsets. The framework
    resolves overlaps deterministically (an earlier, then longer, edit wins),
    applies them, and writes every kept edit to ``edits.jsonl``.
    """


@hookspec
def segment(doc: CleanText) -> Iterable[Segment] | None:
    """Split the cleaned text into paragraphs and sentences.

    Return ``Segment(type="paragraph" | "sentence", start=, end=)`` in offsets of
    ``doc.text`` (cleaned). ``index`` is assigned per type in text order.
    """


@hookspec
def extract(
    doc: CleanText, segments: Sequence[Segment], found: Sequence[Record]
) -> Iterable[Record] | None:
    """Find records in the cleaned text: entities, quotes, dates, or kinds of your own.

    ``segments`` are the document's segments in cleaned offsets; ``found`` holds what
    extractors called earlier returned (cleaned offsets, in call order: use
    ``tryfirst``/``trylast`` to run before or after others), so a quote attributor
    can use the entities. Return spans (subclasses of ``Span``) in cleaned offsets,
    or other ``DocRecord`` subclasses.
    """


@hookspec
def validate(doc: Document, records: Sequence[Record]) -> Iterable[Finding] | None:
    """Check a document's records and return findings.

    ``records`` are final: source offsets, ids filled. Return
    ``Finding(code=, severity=, message=, start=, end=)`` with source offsets.
    """


@hookspec
def export_sink(run: RunInfo) -> Sink | None:
    """Open a sink for a run, or return None.

    Called once per run, before the first document. The sink receives every
    record (documents, spans, findings, rejects) in a deterministic order and is
    closed at the end of the run. Write only below ``run.folder``.
    """


@hookspec
def run_complete(run: RunInfo, manifest: dict[str, Any]) -> None:
    """React to a finished run: every sink is closed and the manifest is final.

    Called once per run, after the last sink is closed and before the run folder
    is published under its final name: ``run.folder`` is still the temporary
    folder and holds every JSONL file; ``manifest`` is what ``manifest.json``
    will contain (do not change it; files you write are not listed in it). Write
    only below ``run.folder`` (the built-in ``export_report`` writes
    ``report.html`` here). An implementation that raises is reported as a warning
    naming the plugin; the run and every other implementation go on.
    """


@hookspec
def record_types() -> Iterable[type[Record]] | None:
    """Declare the record types your plugin produces.

    Each is a subclass of ``Record`` (usually ``Span`` or ``DocRecord``) with a
    literal ``kind``; every declared kind gets its own JSONL file and appears in
    ``docmill schema``. Records of undeclared kinds are refused with a finding.
    """


@hookspec
def settings_model() -> type[BaseModel] | None:
    """Declare a pydantic model for this plugin's settings.

    Users set them in ``docmill.toml`` under ``[plugins.NAME]`` or as
    ``DOCMILL_PLUGINS__NAME__KEY``; they are validated at start-up, and read with
    ``docmill.settings.plugin_settings(NAME, Model)``.
    """


@hookspec
def cli_commands(app: typer.Typer) -> None:
    """Add commands to the ``docmill`` command line (``@app.command()``)."""
