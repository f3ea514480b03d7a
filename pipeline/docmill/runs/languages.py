"""The ``languages`` entry of a manifest: documents per language, skips per plugin.

Counted from the records as they are written (fresh or reused alike): each
document's ``language``, and each ``language-skipped`` finding (a plugin that
declares other languages, see the ``languages`` hook) under its plugin and the
document's language.
"""

from __future__ import annotations

from collections.abc import Iterable

from docmill.language import SKIP_CODE, UNDETERMINED
from docmill.records import Document, Finding, Record
from docmill.runs.manifest import LanguageInfo


class LanguageCounts:
    """Running counts for :class:`~docmill.runs.manifest.LanguageInfo`."""

    def __init__(self) -> None:
        self.documents: dict[str, int] = {}
        self.skipped: dict[str, dict[str, int]] = {}
        self._language: dict[str, str] = {}  # doc id -> language

    def add(self, records: Iterable[Record]) -> None:
        """Count one batch of written records (a document precedes its findings)."""
        for record in records:
            if isinstance(record, Document):
                language = record.language or UNDETERMINED
                self._language[record.id] = language
                self.documents[language] = self.documents.get(language, 0) + 1
            elif isinstance(record, Finding) and record.code == SKIP_CODE:
                language = self._language.get(record.doc_id, UNDETERMINED)
                per = self.skipped.setdefault(record.plugin, {})
                per[language] = per.get(language, 0) + 1

    def add_document(self, document: Document, skipped: Iterable[str]) -> None:
        """Count one document from what its records hold: as :meth:`add` of its document
        and its ``language-skipped`` findings, whose plugins ``skipped`` lists."""
        language = document.language or UNDETERMINED
        self._language[document.id] = language
        self.documents[language] = self.documents.get(language, 0) + 1
        for plugin in skipped:
            per = self.skipped.setdefault(plugin, {})
            per[language] = per.get(language, 0) + 1

    def info(self) -> LanguageInfo:
        """The counts so far, keys sorted."""
        return LanguageInfo(
            documents=dict(sorted(self.documents.items())),
            skipped={
                plugin: dict(sorted(per.items())) for plugin, per in sorted(self.skipped.items())
            },
        )
