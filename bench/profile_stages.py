"""Profile docmill's stage work in one process (no Prefect, no worker): where it goes.

Runs load, clean, segment, extract and validate over every file of a corpus with
the default plugins, as one plugin worker does: its first batch (``--warm-batches``)
outside the measure, where the model loads and the plugins' imports and first-call
set-up happen once per worker (their seconds are printed on their own), then the
collector settled as the worker settles it, then the rest under cProfile (or
with ``--no-profile`` per-plugin clocks); then writes the
JSONL of every record kind (so two versions of the code can be compared with
``cmp``) and prints the seconds attributed to each part of the work as a share
of spaCy NER (``Language.pipe``): cumulative time of the functions listed in
:data:`PARTS`, NER's own time left out of the plugin that calls it.

    .venv/bin/python bench/profile_stages.py CORPUS [--out DIR] [--limit N] [--stats FILE]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

#: (label, (file suffix, function name) ...): cumulative seconds of these functions.
PARTS: dict[str, tuple[tuple[str, str], ...]] = {
    "spaCy NER (Language.pipe)": (("spacy/language.py", "pipe"),),
    "extract_entities (all, NER included)": (("extract_entities.py", "extract"),),
    "segment_text": (("segment_text.py", "segment"),),
    "extract_dates": (("extract_dates.py", "extract"),),
    "extract_quotes": (("extract_quotes.py", "extract"),),
    "elapsed / speakers": (("elapsed.py", "extract"), ("speakers.py", "extract")),
    "clean stage (all cleaners, edits)": (("engine/stages.py", "clean"),),
    "load stage (read, sha256, language)": (("engine/stages.py", "load"),),
    "validate stage (validators)": (("engine/stages.py", "validate"),),
    "framework: span mapping + validation": (("engine/stages.py", "_map_span"),),
    "framework: extract record checks": (("engine/stages.py", "_finish"),),
    "segment stage (all)": (("engine/stages.py", "segment"),),
    "extract stage (all)": (("engine/stages.py", "extract"),),
    "output(): sort records": (("engine/state.py", "output"),),
}


def _cumulative(stats: pstats.Stats, suffix: str, name: str) -> float:
    total = 0.0
    for (path, _line, fn), row in stats.stats.items():  # type: ignore[attr-defined]
        if fn == name and path.endswith(suffix):
            total += row[3]
    return total


#: The clock the per-plugin figures use: wall seconds, or with ``--cpu`` this
#: process's CPU seconds (what a busy machine distorts least).
_clock: Callable[[], float] = time.perf_counter


def _install_clocks(clocks: dict[str, float]) -> None:
    """Seconds per (hook, plugin) and of spaCy NER itself, without a profiler."""
    from spacy.language import Language

    from docmill.plugins import Manager

    pipe = Language.pipe

    def timed_pipe(self: Any, *a: Any, **k: Any) -> Iterator[Any]:
        it = iter(pipe(self, *a, **k))
        while True:
            t0 = _clock()
            try:
                doc = next(it)
            except StopIteration:
                clocks["NER"] = clocks.get("NER", 0.0) + _clock() - t0
                return
            clocks["NER"] = clocks.get("NER", 0.0) + _clock() - t0
            yield doc

    Language.pipe = timed_pipe  # type: ignore[method-assign]
    ordered = Manager.ordered

    def timed_ordered(self: Manager, hook: str) -> list[tuple[str, Callable[..., Any]]]:
        def wrap(key: str, fn: Callable[..., Any]) -> Callable[..., Any]:
            def call(**kw: Any) -> Any:
                t0 = _clock()
                try:
                    return fn(**kw)
                finally:
                    clocks[key] = clocks.get(key, 0.0) + _clock() - t0

            return call

        return [(n, wrap(f"{hook}: {n}", fn)) for n, fn in ordered(self, hook)]

    Manager.ordered = timed_ordered  # type: ignore[method-assign]


def _show_clocks(clocks: dict[str, float], wall: float) -> dict[str, float]:
    """Print the table of seconds per part; returns NER's and the rest's seconds."""
    ner = clocks.get("NER", 0.0) or 1e-9
    print("\n| part | seconds | share of NER |\n|---|---:|---:|")
    print(f"| spaCy NER | {ner:.2f} | 100% |")
    plugins = 0.0
    for key, secs in sorted(clocks.items(), key=lambda kv: -kv[1]):
        if key == "NER" or secs < 0.005:
            continue
        own = secs - ner if key == "extract: extract_entities" else secs
        plugins += secs
        label = f"{key} (besides NER)" if own != secs else key
        print(f"| {label} | {own:.2f} | {100 * own / ner:.0f}% |")
    print(f"| framework (everything not in a plugin) | {wall - plugins:.2f} | "
          f"{100 * (wall - plugins) / ner:.0f}% |")
    print(f"| **all besides NER** | {wall - ner:.2f} | **{100 * (wall - ner) / ner:.0f}%** |")
    return {"ner": ner, "besides_ner": wall - ner, "framework": wall - plugins}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--out", type=Path, default=None, help="write the JSONL here")
    parser.add_argument("--limit", type=int, default=0, help="only the first N files")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument(
        "--warm-batches", type=int, default=1,
        help="batches run before the measured part, as a worker's first (at least one "
        "document is measured)",
    )
    parser.add_argument("--stats", type=Path, default=None, help="save the raw cProfile stats")
    parser.add_argument(
        "--no-profile", action="store_true", help="clocks per plugin and NER instead of cProfile"
    )
    parser.add_argument(
        "--cpu", action="store_true", help="with --no-profile: CPU seconds, not wall seconds"
    )
    parser.add_argument(
        "--json", type=Path, default=None, help="with --no-profile: write the totals here"
    )
    args = parser.parse_args()
    if args.cpu:
        global _clock
        _clock = time.process_time
    clocks: dict[str, float] = {}
    if args.no_profile:
        _install_clocks(clocks)

    from docmill.engine import STAGES, DocState, record_kinds, run_stage
    from docmill.engine.workers.child import settle
    from docmill.plugins import build_manager
    from docmill.sources import discover

    mgr = build_manager()
    kinds = record_kinds(mgr)
    items = discover([str(args.corpus)])
    if args.limit:
        items = items[: args.limit]
    # warm up as a worker does, outside the profile: its first batch (the model, every
    # plugin's imports and first-call set-up: dateparser's tables, the language
    # scorer built after FAST_AFTER detections), then settle() as the worker does
    # after it; the measured part is the steady state a big corpus runs in
    warm_docs = min(args.batch * args.warm_batches, len(items) - 1) if args.warm_batches else 0
    outputs = []
    t0 = _clock()
    for i in range(0, warm_docs, args.batch):
        states = [DocState.of(item) for item in items[i : min(i + args.batch, warm_docs)]]
        for stage in STAGES:
            run_stage(stage, mgr, states, kinds)
        outputs.extend(state.output() for state in states)
    warm_wall = _clock() - t0
    warm_clocks = dict(clocks)
    clocks.clear()
    settle()

    prof = cProfile.Profile()
    t0 = _clock()
    if not args.no_profile:
        prof.enable()
    for i in range(warm_docs, len(items), args.batch):
        states = [DocState.of(item) for item in items[i : i + args.batch]]
        for stage in STAGES:
            run_stage(stage, mgr, states, kinds)
        outputs.extend(state.output() for state in states)
    if not args.no_profile:
        prof.disable()
    wall = _clock() - t0
    measured = len(items) - warm_docs
    print(f"{warm_docs} documents to warm up in {warm_wall:.1f} s, then {measured} measured "
          f"in {wall:.1f} s", file=sys.stderr)

    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        files: dict[str, list[bytes]] = {}
        for records in outputs:
            for r in records:
                files.setdefault(r.kind, []).append(orjson.dumps(r.model_dump(mode="json")))
        for kind, lines in files.items():
            (args.out / f"{kind}s.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    if args.no_profile:
        totals = _show_clocks(clocks, wall)
        warm_ner = warm_clocks.get("NER", 0.0)
        print(f"\nwarm-up ({warm_docs} documents, once per worker: model load, imports, "
              f"first calls): NER {warm_ner:.2f} s, the rest {warm_wall - warm_ner:.2f} s")
        if args.json:
            totals["documents"] = measured
            totals["warm_documents"] = warm_docs
            totals["warm_ner"] = warm_ner
            totals["warm_besides_ner"] = warm_wall - warm_ner
            args.json.write_text(orjson.dumps(totals, option=orjson.OPT_INDENT_2).decode())
        return
    stats = pstats.Stats(prof)
    if args.stats:
        stats.dump_stats(str(args.stats))
    ner = sum(_cumulative(stats, *f) for f in PARTS["spaCy NER (Language.pipe)"])
    print("\n| part | seconds | share of NER |\n|---|---:|---:|")
    for label, funcs in PARTS.items():
        secs = sum(_cumulative(stats, *f) for f in funcs)
        print(f"| {label} | {secs:.2f} | {100 * secs / ner:.0f}% |")
    total = stats.total_tt  # type: ignore[attr-defined]
    print(f"| everything profiled | {total:.2f} | {100 * total / ner:.0f}% |")
    print(f"| **besides NER** | {total - ner:.2f} | **{100 * (total - ner) / ner:.0f}%** |")


if __name__ == "__main__":
    main()
