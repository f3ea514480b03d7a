"""Article text from realistic web pages: precision and recall against the known article.

Every article of the development set (``eval/articles``) is wrapped in a saved page
(``tests/web_pages.py``: navigation, cookie banner, share bar, teasers, comments,
footer; four markups), once whole and once cut to its first sentences up to about 60
words; one long page joins bodies to about 3,000 words. Each page goes through the
real loader. Precision and recall are over word tokens (a bag of lower-cased words,
like the shingle scores of article-extraction benchmarks): the gold text is the
title and the body paragraphs.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from docmill.engine import stages
from docmill.plugins import Manager
from docmill.sources import Source
from tests.web_pages import article_page, menus_only_page

_WORD = re.compile(r"\w+")
_SENTENCE = re.compile(r"(?<=[.!?”])\s+(?=[A-Z“])")
SHORT_WORDS = 60
LONG_WORDS = 3000


@dataclass
class PageScores:
    """Word overlap of extracted and gold article text over all pages."""

    pages: int = 0
    rejected: list[str] = field(default_factory=list)
    modes: Counter[str] = field(default_factory=Counter)
    overlap: int = 0
    extracted: int = 0
    gold: int = 0
    menus_refused: bool = False

    @property
    def precision(self) -> float:
        return self.overlap / self.extracted if self.extracted else 0.0

    @property
    def recall(self) -> float:
        return self.overlap / self.gold if self.gold else 0.0


def words(text: str) -> Counter[str]:
    return Counter(_WORD.findall(text.lower()))


def article(path: Path) -> tuple[str, list[str]]:
    """(title, body paragraphs) of a development-set article."""
    blocks = [b.strip() for b in path.read_text(encoding="utf-8").split("\n\n") if b.strip()]
    return blocks[0], blocks[1:]


def first_sentences(paragraphs: list[str], limit: int) -> list[str]:
    """Whole sentences from the start, as many as fit in about ``limit`` words."""
    out: list[str] = []
    count = 0
    for paragraph in paragraphs:
        kept = []
        for sentence in _SENTENCE.split(paragraph):
            n = len(sentence.split())
            if count and count + n > limit:
                break
            kept.append(sentence)
            count += n
        if kept:
            out.append(" ".join(kept))
        if count >= limit or len(kept) < len(_SENTENCE.split(paragraph)):
            break
    return out


def pages(articles: list[Path]) -> list[tuple[str, str, list[str], int]]:
    """(name, title, body, layout) of every page the eval builds."""
    out = []
    long_body: list[str] = []
    for i, path in enumerate(articles):
        title, body = article(path)
        out.append((path.stem, title, body, i))
        out.append((f"{path.stem}-short", title, first_sentences(body, SHORT_WORDS), i + 1))
        if sum(len(p.split()) for p in long_body) < LONG_WORDS:
            long_body += body
    if long_body:
        out.append(("long-read", "A Year in Local News", long_body, 0))
    return out


def score_pages(mgr: Manager, articles: list[Path]) -> PageScores:
    scores = PageScores()
    for name, title, body, layout in pages(articles):
        html = article_page(title, body, "2024-05-01", layout)
        state = stages.load_one(mgr, Source.from_bytes(f"{name}.html", html.encode(), None))
        scores.pages += 1
        if state.document is None:
            scores.rejected.append(name)
            continue
        scores.modes[str(state.document.meta.get("extraction"))] += 1
        got, gold = words(state.document.text), words("\n".join([title, *body]))
        scores.overlap += sum((got & gold).values())
        scores.extracted += sum(got.values())
        scores.gold += sum(gold.values())
    menus = stages.load_one(mgr, Source.from_bytes("menus.html", menus_only_page().encode(), None))
    scores.menus_refused = menus.document is None
    return scores


def report(scores: PageScores) -> list[str]:
    """The lines ``make eval`` prints for the web pages."""
    modes = ", ".join(f"{k} {v}" for k, v in sorted(scores.modes.items()))
    return [
        f"web pages: {scores.pages} article pages (60 to {LONG_WORDS:,} words), "
        f"{len(scores.rejected)} refused {scores.rejected or ''}; extraction: {modes}",
        f"  article text by words: precision {scores.precision:.3f}, recall {scores.recall:.3f}",
        f"  menus-and-banners page refused: {scores.menus_refused}",
    ]
