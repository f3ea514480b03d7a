"""What the per-document time limit costs: stage work in a worker process vs in-process.

Runs the five stages (real built-in plugins, spaCy included) over the seeds, copied
``--copies`` times with a distinct last line each, through
:func:`docmill.engine.worker.run_guarded` with a time limit (worker process) and with
``time_limit=0`` (in-process), alternating, after one warm-up of each. Prints the
worker's start-up time and seconds per document both ways. No Prefect involved:
the flow adds the same task overhead to both.

    .venv/bin/python scripts/bench_guard.py [--copies 8] [--rounds 3] [--batch 64]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from docmill.engine import stages, worker
from docmill.plugins import build_manager
from docmill.sources import discover

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "in"
        folder.mkdir()
        for seed in sorted((ROOT / "seeds").iterdir()):
            for i in range(args.copies):
                text = seed.read_text(encoding="utf-8") + f"\n\nCopy {i}.\n"
                (folder / f"{seed.stem}-{i}{seed.suffix}").write_text(text, encoding="utf-8")
        items = discover([folder])
        mgr = build_manager()
        kinds = stages.record_kinds(mgr)

        def run(limit: float) -> float:
            t0 = time.perf_counter()
            for i in range(0, len(items), args.batch):
                states = worker.run_guarded(
                    "load", mgr, items[i : i + args.batch], kinds,
                    disable=(), only=None, time_limit=limit, max_bytes=50_000_000,
                )
                for stage in ("clean", "segment", "extract", "validate"):
                    states = worker.run_guarded(
                        stage, mgr, states, kinds,
                        disable=(), only=None, time_limit=limit, max_bytes=0,
                    )
            return time.perf_counter() - t0

        t0 = time.perf_counter()
        worker.prestart((), None)
        worker._IDLE[0].wait_ready()
        startup = time.perf_counter() - t0
        run(60.0)
        run(0.0)  # warm-up: model loaded in both processes
        guarded, direct = [], []
        for _ in range(args.rounds):
            guarded.append(run(60.0))
            direct.append(run(0.0))
        n = len(items)
        g, d = statistics.median(guarded), statistics.median(direct)
        print(f"documents: {n} (batch {args.batch}), rounds: {args.rounds}")
        print(
            f"worker start-up (imports + plugins, overlapped with Prefect): {startup:.2f} s"
        )
        print(f"in-process:     {d:.3f} s  ({1000 * d / n:.2f} ms/document)")
        print(f"worker process: {g:.3f} s  ({1000 * g / n:.2f} ms/document)")
        per_doc, share = 1000 * (g - d) / n, 100 * (g / d - 1)
        print(f"overhead:       {g - d:+.3f} s  ({per_doc:+.2f} ms/document, {share:+.1f}%)")


if __name__ == "__main__":
    main()
