"""docmill: documents in, typed and offset-exact records out.

The public API for plugin authors and embedders.
"""

from pipeline.hookspecs import PROJECT, hookimpl, hookspec
from pipeline.records import (
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
from pipeline.sinks import RunInfo, Sink
from pipeline.sources import Source
from pipeline.text import CleanText, EditedText

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
]
