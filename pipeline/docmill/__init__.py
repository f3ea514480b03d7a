"""docmill: documents in, typed and offset-exact records out.

The public API for plugin authors and embedders: everything a plugin needs is
importable from here (the built-in plugins import nothing else).
"""

from typing import TYPE_CHECKING, Any

from docmill.as_is import validates_as_is
from docmill.hookspecs import PROJECT, hookimpl, hookspec
from docmill.limits import LimitExceeded, Limits
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
from docmill.runs.manifest import Manifest
from docmill.runs.read import Run, read_run
from docmill.sinks import RunInfo, Sink
from docmill.sources import Source
from docmill.text import CleanText, EditedText

if TYPE_CHECKING:
    from docmill.engine.failures import PluginError
    from docmill.orchestration.api import run

#: Names loaded on first use: importing docmill (as every plugin does) does not
#: load the engine and the flow behind ``docmill.run``.
_LAZY = {"PluginError": "docmill.engine.failures", "run": "docmill.orchestration.api"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'docmill' has no attribute {name!r}")


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
    "LimitExceeded",
    "Limits",
    "Manifest",
    "PluginError",
    "Quote",
    "Record",
    "Reject",
    "Run",
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
    "read_run",
    "run",
    "validates_as_is",
    "write_report",
]
