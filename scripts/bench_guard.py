"""What the per-document time limit costs: stage work in a worker process vs in-process.

Runs the five stages (real built-in plugins, spaCy included) over the seeds, copied
``--copies`` times with a distinct last line each, through
:class:`docmill.engine.workers.WorkerPool` with a time limit (worker process) and
:func:`docmill.engine.run_stage` (in-process), alternating, after one warm-up of each. Prints the
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

from docmill.engine import STAGES, DocState, record_kinds, run_stage
from docmill.engine.workers import PoolConfig, WorkerPool, WorkerSetup
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
        kinds = record_kinds(mgr)
        pool = WorkerPool(PoolConfig(WorkerSetup(), time_limit=60.0))

        def run(limit: float) -> float:
            t0 = time.perf_counter()
            for i in range(0, len(items), args.batch):
                states = [DocState.of(item) for item in items[i : i + args.batch]]
                for stage in STAGES:
                    if limit > 0:
                        states = pool.run(stage, states, batch=str(i))
                    else:
                        states = run_stage(stage, mgr, states, kinds)
            return time.perf_counter() - t0

        t0 = time.perf_counter()
        pool.prestart(1)
        pool.workers[0].wait_ready()
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
        pool.close()


if __name__ == "__main__":
    main()
