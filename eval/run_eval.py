"""Score docmill's built-in NLP stages: ``make eval`` (or ``python eval/run_eval.py``).

Prints, with the real plugins and the real spaCy model (no Prefect: the stages are
called directly, exactly as the flow's tasks call them):

* sentence exact-match on the Pragmatic Segmenter English golden rules
  (``../shared/eval/golden_rules_en.json``; a case counts when every sentence matches);
* for each annotated sample in ``eval/annotations/*.json`` (the seeds in ``seeds/`` and
  the development set in ``eval/articles/``): sentence exact-match (gold sentences
  found exactly among the predicted ones), entity precision/recall by canonical name
  (named-entity labels only), quote speaker accuracy (gold quotations, matched by
  their first words, with the right speaker), date accuracy (gold DATE mentions,
  matched by text, with the right value), elapsed-time contradictions found (a
  finding that quotes the gold phrase) and false alarms (findings quoting none);
* article text from realistic web pages built around the development set
  (``eval/web_eval.py``): pages refused, precision and recall by words;
* per language (``eval/lang_eval.py``, samples in seven languages and a mixed page):
  the language given, sentence exact-match, entity precision/recall, the plugins
  that skipped the sample for its language; again with a French model if installed;
* the words per second of the extract stage alone (entities, quotes, dates) and of
  the segment stage, over the annotated samples, after the model is loaded.

Annotation format (JSON): ``document`` (path from the project root), ``published``
(ISO date or null; stands in for loader metadata), ``sentences`` (list of str),
``entities`` (list of [canonical, label]), ``quotes`` (list of {starts, speaker}),
``dates`` (list of {text, value}), ``contradictions`` (list of {phrase}: the stated
elapsed time a finding must name; optional). Exit code 1 if an annotation does not fit its
document (a gold sentence that is not in the cleaned text), else 0.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from docmill.engine import stages  # noqa: E402
from docmill.engine.stages import DocState  # noqa: E402
from docmill.plugins import Manager, build_manager  # noqa: E402
from docmill.records import DateMention, Entity, Finding, Quote, Record, Segment  # noqa: E402
from docmill.sources import Source  # noqa: E402
from docmill_builtins.segment_text import paragraphs, sentences  # noqa: E402
from eval import lang_eval  # noqa: E402
from eval.web_eval import report, score_pages  # noqa: E402

GOLDEN = ROOT.parent / "shared" / "eval" / "golden_rules_en.json"
ANNOTATIONS = ROOT / "eval" / "annotations"
NAME_LABELS = frozenset(
    {"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW"}
)


@dataclass
class Tally:
    """Counts behind one score."""

    hit: int = 0
    total: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, ok: bool, what: str) -> None:
        self.total += 1
        self.hit += ok
        if not ok:
            self.misses.append(what)

    @property
    def rate(self) -> float:
        return self.hit / self.total if self.total else 0.0


@dataclass
class Scores:
    """Every figure ``make eval`` prints for the annotated samples."""

    sentences: Tally = field(default_factory=Tally)
    quotes: Tally = field(default_factory=Tally)
    dates: Tally = field(default_factory=Tally)
    contradictions: Tally = field(default_factory=Tally)
    false_alarms: list[str] = field(default_factory=list)
    entity_tp: int = 0
    entity_pred: int = 0
    entity_gold: int = 0
    entity_misses: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.entity_tp / self.entity_pred if self.entity_pred else 0.0

    @property
    def recall(self) -> float:
        return self.entity_tp / self.entity_gold if self.entity_gold else 0.0


def split_sentences(text: str) -> list[str]:
    """The built-in segmenter on a text: paragraphs, then sentences."""
    return [text[s:e] for ps, pe in paragraphs(text) for s, e in sentences(text, ps, pe)]


def golden_rules(path: Path = GOLDEN) -> tuple[int, int, list[int]]:
    """(passed, cases, failing ids) on the golden rules file."""
    cases = json.loads(path.read_text(encoding="utf-8"))["cases"]
    failing = [c["id"] for c in cases if split_sentences(c["text"]) != c["expected"]]
    return len(cases) - len(failing), len(cases), failing


def process(mgr: Manager, path: Path, published: str | None) -> tuple[DocState, dict[str, float]]:
    """Run one document through clean, segment, extract; seconds per stage."""
    source = Source.from_bytes(str(path.relative_to(ROOT)), path.read_bytes(), path)
    state = stages.load_one(mgr, source)
    if state.document is None:
        raise RuntimeError(f"{path}: not loaded ({state.reject})")
    if published is not None:
        state.document = state.document.model_copy(update={"published": published})
    kinds = stages.record_kinds(mgr)
    seconds = {}
    for stage in ("clean", "segment", "extract", "validate"):
        t0 = time.perf_counter()
        stages.run_stage(stage, mgr, [state], kinds)
        seconds[stage] = time.perf_counter() - t0
    if state.reject is not None:
        raise RuntimeError(f"{path}: rejected in {state.reject.stage}: {state.reject.error}")
    return state, seconds


def score_document(
    records: Sequence[Record], cleaned: str, gold: dict[str, Any], scores: Scores
) -> None:
    """Add one annotated document's figures to ``scores``: its records (source offsets)
    and its cleaned text (``DocState.clean.text``, ``docmill.testing.Result.clean.text``)."""
    name = Path(gold["document"]).name
    predicted = [r.text for r in records if isinstance(r, Segment) and r.type == "sentence"]
    for sentence in gold.get("sentences", []):
        if sentence not in cleaned:
            scores.problems.append(f"{name}: gold sentence not in the text: {sentence[:60]!r}")
        scores.sentences.add(sentence in predicted, f"{name}: {sentence[:70]}")

    pred_names = {r.canonical for r in records if isinstance(r, Entity) and r.label in NAME_LABELS}
    gold_names = {c for c, _label in gold.get("entities", [])}
    scores.entity_tp += len(pred_names & gold_names)
    scores.entity_pred += len(pred_names)
    scores.entity_gold += len(gold_names)
    scores.entity_misses += [f"{name}: missed {n}" for n in sorted(gold_names - pred_names)]
    scores.entity_misses += [f"{name}: spurious {n}" for n in sorted(pred_names - gold_names)]

    quotes = [r for r in records if isinstance(r, Quote)]
    for q in gold.get("quotes", []):
        match = [p for p in quotes if p.text.startswith(q["starts"])]
        got = match[0].speaker if match else "(no quotation)"
        scores.quotes.add(got == q["speaker"], f"{name}: {q['starts']} -> {got}")

    dates = {r.text: r.value for r in records if isinstance(r, DateMention)}
    for d in gold.get("dates", []):
        got = dates.get(d["text"], "(not found)")
        scores.dates.add(got == d["value"], f"{name}: {d['text']} -> {got}")
    score_contradictions(records, gold, scores)


def score_contradictions(records: Sequence[Record], gold: dict[str, Any], scores: Scores) -> None:
    """Gold elapsed-time contradictions found (a finding's message quotes the gold phrase),
    and findings that quote none (false alarms)."""
    name = Path(gold["document"]).name
    findings = [
        f for f in records if isinstance(f, Finding) and f.code == "elapsed-time-contradiction"
    ]
    phrases = [c["phrase"] for c in gold.get("contradictions", [])]
    for phrase in phrases:
        hit = any(phrase in f.message for f in findings)
        scores.contradictions.add(hit, f"{name}: contradiction missed: {phrase}")
    for f in findings:
        if not any(p in f.message for p in phrases):
            scores.false_alarms.append(f"{name}: false alarm: {f.message}")


def run(repeat: int = 3, verbose: bool = False) -> int:
    """Print every figure; return the exit code."""
    if GOLDEN.is_file():
        passed, total, failing = golden_rules()
        print(f"golden rules (sentence exact-match): {passed}/{total}  failing ids: {failing}")
    else:
        print(f"golden rules: not available at {GOLDEN}")

    mgr = build_manager()
    annotations = sorted(ANNOTATIONS.glob("*.json"))
    golds = [json.loads(p.read_text(encoding="utf-8")) for p in annotations]
    scores = Scores()
    words = 0
    timing = {"segment": 0.0, "extract": 0.0, "validate": 0.0}
    process(mgr, ROOT / golds[0]["document"], None)  # load the model before timing
    for gold in golds:
        path = ROOT / gold["document"]
        for i in range(repeat):
            state, seconds = process(mgr, path, gold.get("published"))
            for stage in timing:
                timing[stage] += seconds[stage]
            assert state.clean is not None
            words += len(state.clean.text.split())
            if i == 0:
                score_document(state.records, state.clean.text, gold, scores)

    print(f"annotated samples: {len(golds)} documents in {ANNOTATIONS.relative_to(ROOT)}")
    s, q, d = scores.sentences, scores.quotes, scores.dates
    print(f"  sentence exact-match:      {s.hit}/{s.total} = {s.rate:.3f}")
    print(
        f"  entities by canonical name: precision {scores.precision:.3f} "
        f"({scores.entity_tp}/{scores.entity_pred}), recall {scores.recall:.3f} "
        f"({scores.entity_tp}/{scores.entity_gold})"
    )
    print(f"  quote speaker accuracy:    {q.hit}/{q.total} = {q.rate:.3f}")
    print(f"  date accuracy:             {d.hit}/{d.total} = {d.rate:.3f}")
    c = scores.contradictions
    print(
        f"  elapsed-time contradictions: found {c.hit}/{c.total}, "
        f"false alarms {len(scores.false_alarms)}"
    )
    for stage, secs in timing.items():
        rate = words / secs if secs else 0.0
        print(f"  {stage} stage alone: {rate:,.0f} words/s ({words} words, {secs:.2f} s)")
    if verbose:
        misses = [*s.misses, *scores.entity_misses, *q.misses, *d.misses, *c.misses]
        for line in [*misses, *scores.false_alarms]:
            print(f"    - {line}")
    articles = sorted(ROOT.glob("eval/articles/*.txt"))
    for line in report(score_pages(mgr, articles)):
        print(line)
    for line in lang_eval.report(mgr):
        print(line)
    for problem in scores.problems:
        print(f"ANNOTATION PROBLEM: {problem}")
    return 1 if scores.problems else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=3, help="runs per document for timing")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every miss")
    args = parser.parse_args(argv)
    return run(repeat=max(1, args.repeat), verbose=args.verbose)


if __name__ == "__main__":
    raise SystemExit(main())
