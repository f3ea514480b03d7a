"""Every docmill hook, with the contract an implementation must keep.

Implement a hook by decorating a function of the same name with
:data:`hookimpl` in a module registered under the ``docmill`` entry-point group.
An implementation may take any subset of the arguments listed, by name; an
argument with a default value is never passed (pluggy's rule). docmill calls each
implementation on its own (:meth:`docmill.plugins.Manager.ordered`), so one that
raises costs only its own contribution; for the same reason it refuses wrapper
implementations (``wrapper=True``, ``hookwrapper=True``) at registration.

``settings``: every stage hook (``load``, ``clean``, ``segment``, ``extract``,
``validate``, ``export_sink``, ``run_complete``), and ``languages``, takes an
optional ``settings`` argument: the validated settings of the plugin being called,
an instance of the model its :func:`settings_model` returns (read from ``[plugins.NAME]`` of
``docmill.toml`` or ``DOCMILL_PLUGINS__NAME__KEY``, NAME being the name the plugin
is registered under), or None when it declares no model. A plugin never names
itself to read its settings, so renaming its entry point cannot detach them.

Spans returned by ``segment`` and ``extract`` are in *cleaned* offsets; the
framework maps them to source offsets, fills ``doc_id``, ``id``, ``text`` and
``plugin``, validates them, and turns a failure into an error finding that names
the plugin.
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
def load(source: Source, settings: BaseModel | None) -> Document | None:
    """Turn one input into a document, or return None to leave it to another loader.

    Called once per input file, loaders in order until one returns a document.
    Pick by ``source.media_type`` (sniffed from content, then the extension) and
    return ``Document(media_type=..., text=..., title=...)``; the framework fills
    ``id``, ``source`` and ``sha256``. Raise (with a message a user understands)
    when the input is yours but unreadable: the input becomes a reject naming your
    plugin. No loader accepting an input also makes a reject.

    ``settings`` is this plugin's validated settings (see the module docstring), or
    None when it declares no ``settings_model``.
    """


@hookspec
def clean(doc: Document, settings: BaseModel | None) -> Iterable[Edit] | None:
    """Propose edits on the document's source text.

    Every cleaner sees the same source text (``doc.text``) and returns
    ``Edit(start=, end=, replacement=, reason=)`` in its offsets. The framework
    resolves overlaps deterministically (an earlier, then longer, edit wins),
    applies them, and writes every kept edit to ``edits.jsonl``.

    ``settings`` is this plugin's validated settings (see the module docstring), or
    None when it declares no ``settings_model``.
    """


@hookspec
def segment(doc: CleanText, settings: BaseModel | None) -> Iterable[Segment] | None:
    """Split the cleaned text into paragraphs and sentences.

    Return ``Segment(type="paragraph" | "sentence", start=, end=)`` in offsets of
    ``doc.text`` (cleaned). ``index`` is assigned per type in text order.

    ``settings`` is this plugin's validated settings (see the module docstring), or
    None when it declares no ``settings_model``.
    """


@hookspec
def extract(
    doc: CleanText,
    segments: Sequence[Segment],
    found: Sequence[Record],
    settings: BaseModel | None,
) -> Iterable[Record] | None:
    """Find records in the cleaned text: entities, quotes, dates, or kinds of your own.

    ``segments`` are the document's segments in cleaned offsets; ``found`` holds what
    extractors called earlier returned (cleaned offsets, in call order: use
    ``tryfirst``/``trylast`` to run before or after others), so a quote attributor
    can use the entities. Return spans (subclasses of ``Span``) in cleaned offsets,
    or other ``DocRecord`` subclasses.

    ``settings`` is this plugin's validated settings (see the module docstring), or
    None when it declares no ``settings_model``.
    """


@hookspec
def validate(
    doc: Document, records: Sequence[Record], settings: BaseModel | None
) -> Iterable[Finding] | None:
    """Check a document's records and return findings.

    ``records`` are final: source offsets, ids filled. Return
    ``Finding(code=, severity=, message=, start=, end=)`` with source offsets.

    ``settings`` is this plugin's validated settings (see the module docstring), or
    None when it declares no ``settings_model``.
    """


@hookspec
def export_sink(run: RunInfo, settings: BaseModel | None) -> Sink | None:
    """Open a sink for a run, or return None.

    Called once per run, before the first document. The sink receives every
    record (documents, spans, findings, rejects) in a deterministic order and is
    closed at the end of the run. Write only below ``run.folder``.

    ``settings`` is this plugin's validated settings (see the module docstring), or
    None when it declares no ``settings_model``.
    """


@hookspec
def run_complete(run: RunInfo, manifest: dict[str, Any], settings: BaseModel | None) -> None:
    """React to a finished run: every sink is closed and the manifest is final.

    Called once per run, after the last sink is closed and before the run folder
    is published under its final name: ``run.folder`` is still the temporary
    folder and holds every JSONL file; ``manifest`` is what ``manifest.json``
    will contain (do not change it; files you write are not listed in it). Write
    only below ``run.folder`` (the built-in ``export_report`` writes
    ``report.html`` here). An implementation that raises is reported as a warning
    naming the plugin; the run and every other implementation go on.

    ``settings`` is this plugin's validated settings (see the module docstring), or
    None when it declares no ``settings_model``.
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
    ``DOCMILL_PLUGINS__NAME__KEY`` (NAME: the name the plugin is registered under);
    they are validated once per plugin manager, before a run does any work (a bad
    value or an unknown key stops it), and handed to the plugin's stage hooks as
    their ``settings`` argument, an instance of this model.
    """


@hookspec
def languages(settings: BaseModel | None) -> Iterable[str] | None:
    """Declare the languages your plugin handles, as ISO 639-1 codes (``["en", "fr"]``).

    Implement it when your rules or model work for some languages only. docmill then
    calls none of your document hooks (``clean``, ``segment``, ``extract``,
    ``validate``) on a document in another language, or on one whose language is
    undetermined (``"und"``); instead the document gets one ``info`` finding
    (code ``language-skipped``, ``plugin`` your name) saying so, counted per plugin
    in ``manifest.json`` (``languages``), ``docmill show`` and the report. Return
    None (or do not implement the hook) to take every language; ``"*"`` means the
    same. ``settings`` is this plugin's validated settings, so the answer can follow
    them (``extract_entities`` handles the languages it has a model for). Asked once
    per plugin manager and settings, not per document; ``load`` and ``export_sink``
    are never skipped (the language is known only after load).
    """


@hookspec
def cli_commands(app: typer.Typer) -> None:
    """Add commands to the ``docmill`` command line (``@app.command()``)."""
