"""The record kinds of a run: docmill's own and those plugins declare."""

from __future__ import annotations

import re

from docmill.engine.calls import as_list
from docmill.plugins import Manager
from docmill.records import CORE_RECORD_TYPES, Record

#: What a record kind may be: it becomes a file name in the run folder.
_KIND = re.compile(r"[a-z][a-z0-9_]{0,63}")


def record_kinds(mgr: Manager) -> dict[str, type[Record]]:
    """Every record kind: the core ones and those plugins declare."""
    kinds: dict[str, type[Record]] = {t.kind_name(): t for t in CORE_RECORD_TYPES}
    for name, fn in mgr.ordered("record_types"):
        try:
            declared = as_list(name, "record_types", fn())
        except Exception:
            continue
        for t in declared:
            if not (isinstance(t, type) and issubclass(t, Record)):
                continue
            try:
                kind = t.kind_name()
            except TypeError:  # no literal kind: its records are refused as undeclared
                continue
            if _KIND.fullmatch(kind):  # a kind names a file: never a path
                kinds.setdefault(kind, t)
    return kinds
