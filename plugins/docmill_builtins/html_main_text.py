"""The main text of a web page: trafilatura's precision pass first, its recall pass when that
finds nothing or too little.

The precision pass leaves menus, banners and teasers out best, but on some markup it
finds nothing at all in a short real article (text in inline elements, a body of a
few dozen words beside a heavy page). Then trafilatura runs again favouring recall,
and its result is taken only when it holds prose: blocks of at least
:data:`PROSE_WORDS` words with a sentence end in them, :data:`MIN_PROSE` words in all.
A page of menus and banners gives menu items in recall mode, never prose, so it is
still refused. :func:`main_text` says which pass was used (the loader records it in
the document's ``meta["extraction"]``).
"""

from __future__ import annotations

import re
from typing import Any

#: Below this many words the precision pass found "too little" and recall is tried.
ENOUGH_WORDS = 50
#: A block counts as prose with at least this many words and a sentence end.
PROSE_WORDS = 8
#: Recall's result is used only with at least this many words of prose.
MIN_PROSE = 25
_SENTENCE_END = re.compile(r"\w[.!?…][”\"’')\]]*(?:\s|$)")


def _extract(html: str, precision: bool) -> Any:
    import trafilatura

    result = trafilatura.bare_extraction(
        html,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        include_images=False,
        deduplicate=False,
        favor_precision=precision,
        favor_recall=not precision,
        fast=precision,
    )
    return None if result is None or isinstance(result, dict) else result


def _words(result: Any) -> int:
    return len((result.text or "").split()) if result is not None else 0


def prose_words(text: str) -> int:
    """Words in the blocks of ``text`` (one per line) that read as sentences, not menu items."""
    total = 0
    for line in text.splitlines():
        n = len(line.split())
        if n >= PROSE_WORDS and _SENTENCE_END.search(line):
            total += n
    return total


def main_text(html: str) -> tuple[Any, str]:
    """(trafilatura's document or None, "precision" or "recall")."""
    # Precision over recall, and no fallback extractors: a page of menus and
    # banners must come out empty (a reject), not as a document of menu items.
    precise = _extract(html, precision=True)
    if _words(precise) >= ENOUGH_WORDS:
        return precise, "precision"
    recall = _extract(html, precision=False)
    prose = prose_words(recall.text or "") if recall is not None else 0
    if prose >= MIN_PROSE and _words(recall) > _words(precise):
        return recall, "recall"
    return precise, "precision"
