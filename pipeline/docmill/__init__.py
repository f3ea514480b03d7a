"""docmill: documents in, typed and offset-exact records out.

The public API for plugin authors and embedders.
"""

from docmill.hookspecs import PROJECT, hookimpl, hookspec
from docmill.orchestration.api import run
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
    "run",
]
