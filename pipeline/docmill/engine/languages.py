"""Language-aware plugins: who is skipped for a document, and the finding that says so.

A plugin declares the languages it handles with the ``languages`` hook
(:meth:`docmill.plugins.Manager.languages`). On a document in any other language,
or one whose language is undetermined (``"und"``), the stages call none of its
document hooks (:data:`DOCUMENT_HOOKS`, through
:func:`~docmill.engine.calls.call_each`), and load adds one ``info`` finding per
such plugin (:func:`skip_findings`), so a user sees why a Portuguese page has no
entities rather than English entities on it. Implemented here once, for every
plugin, built-in or not.
"""

from __future__ import annotations

from docmill.language import MULTIPLE, SKIP_CODE, UNDETERMINED, handles
from docmill.plugins import Manager
from docmill.records import Document, Finding

#: The hooks a plugin is not called for on a document in a language it does not handle.
DOCUMENT_HOOKS = ("clean", "segment", "extract", "validate")


def skipped(mgr: Manager, language: str | None) -> list[tuple[str, frozenset[str]]]:
    """(plugin, the languages it declares) of each plugin with a document hook that
    does not handle ``language``, in name order."""
    declared = mgr.languages()
    if not declared:
        return []
    with_hooks = {name for hook in DOCUMENT_HOOKS for name, _ in mgr.ordered(hook)}
    return [
        (name, codes)
        for name, codes in sorted(declared.items())
        if name in with_hooks and not handles(codes, language)
    ]


def skip_message(plugin: str, language: str | None, codes: frozenset[str]) -> str:
    """What the finding says: ``extract_entities: no support for language 'pt' (handles: en)``."""
    code = language or UNDETERMINED
    if code == UNDETERMINED:
        what = "an undetermined language ('und')"
    elif code == MULTIPLE:
        what = "a text in several languages ('mul')"
    else:
        what = f"language {code!r}"
    listed = ", ".join(sorted(codes)) if len(codes) <= 8 else f"{len(codes)} languages"
    return f"{plugin}: no support for {what} (handles: {listed or 'none'})"


def skip_findings(mgr: Manager, doc: Document) -> list[Finding]:
    """One ``info`` finding per plugin that skips ``doc`` for its language."""
    return [
        Finding(
            doc_id=doc.id,
            plugin=name,
            code=SKIP_CODE,
            severity="info",
            message=skip_message(name, doc.language, codes),
        )
        for name, codes in skipped(mgr, doc.language)
    ]
