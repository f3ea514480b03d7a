"""Measure incremental reruns: a full run, a rerun with nothing changed, and the fixed cost.

Usage: .venv/bin/python scripts/bench_rerun.py [N_DOCS] [WORKDIR]

Builds N_DOCS (default 1,000) distinct documents from seeds/ (each seed article
plus a numbered closing line), then, in one process against one Prefect API:
a run over an empty folder (the fixed cost of any run, best of two), a full run,
a rerun with nothing changed, and a rerun after changing one file. Prints the
times and the ratio the issue asks for:

    (rerun - empty) / (full - empty)    # must stay <= 5 %
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def build_corpus(folder: Path, n: int) -> None:
    seeds = sorted(p for p in (ROOT / "seeds").iterdir() if p.is_file())
    folder.mkdir(parents=True)
    for i in range(n):
        seed = seeds[i % len(seeds)]
        text = seed.read_text(encoding="utf-8")
        (folder / f"{i:05d}_{seed.name}").write_text(
            f"{text.rstrip()}\n\nArchive reference {i:05d}.\n", encoding="utf-8"
        )


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    work = Path(sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp(prefix="docmill-bench-"))
    corpus, empty, out = work / "corpus", work / "empty", work / "out"
    shutil.rmtree(work, ignore_errors=True)
    build_corpus(corpus, n)
    empty.mkdir()

    from docmill.orchestration.environment import configure

    configure()  # docmill's Prefect defaults, before Prefect is imported
    from docmill.orchestration.flow import docmill_flow

    def timed(paths: list[Path], **kwargs: object) -> tuple[float, dict[str, object]]:
        t0 = time.perf_counter()
        summary = asyncio.run(docmill_flow(paths=[str(p) for p in paths], out=str(out), **kwargs))
        return time.perf_counter() - t0, summary

    timed([empty])  # warm-up: the temporary API, imports
    t_empty = min(timed([empty])[0], timed([empty])[0])
    t_full, full = timed([corpus], full=True)
    t_rerun, rerun = timed([corpus])
    changed = sorted(corpus.iterdir())[n // 2]
    changed.write_text(changed.read_text(encoding="utf-8") + "\nCorrection appended.\n")
    t_one, one = timed([corpus])
    ratio = (t_rerun - t_empty) / (t_full - t_empty)
    result = {
        "documents": n,
        "empty_run_s": round(t_empty, 2),
        "full_run_s": round(t_full, 2),
        "rerun_nothing_changed_s": round(t_rerun, 2),
        "rerun_one_changed_s": round(t_one, 2),
        "reused": [rerun["cache"]["reused"], one["cache"]["reused"]],  # type: ignore[index]
        "ratio_beyond_fixed_cost": round(ratio, 4),
        "full_documents": full["documents"],
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
