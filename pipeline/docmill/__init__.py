"""docmill: documents in, typed and offset-exact records out.

The public API for plugin authors and embedders: everything a plugin needs is
importable from here (the built-in plugins import nothing else).
"""

from docmill.hookspecs import PROJECT, hookimpl, hookspec
from docmill.metadata import iso_date, language_tag, person, plain
from docmill.records import (
    SCHEMA_VERSION,
    DateMention,
    DocRecord,
    Document,
    Edit,
    Entity,
    Finding,
    Quote,
    Record,
    Reject,
    Segment,
    Span,
)
from docmill.report import write_report
from docmill.sinks import RunInfo, Sink
from docmill.sources import Source
from docmill.text import CleanText, EditedText

__all__ = [
    "PROJECT",
    "SCHEMA_VERSION",
    "CleanText",
    "DateMention",
    "DocRecord",
    "Document",
    "Edit",
    "EditedText",
    "Entity",
    "Finding",
    "Quote",
    "Record",
    "Reject",
    "RunInfo",
    "Segment",
    "Sink",
    "Source",
    "Span",
    "hookimpl",
    "hookspec",
    "iso_date",
    "language_tag",
    "person",
    "plain",
    "write_report",
]
