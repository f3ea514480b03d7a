"""``make bench``: docmill end to end against the best hand-written spaCy script.

For each corpus scale (about 1 MB and 10 MB of news-like articles; 50 MB with
``--large``; see :mod:`bench.corpus`) this runs, back to back, in fresh processes:

* ``baseline``: :mod:`bench.baseline` (read files, ``nlp.pipe`` with the same model,
  components and batch size, orjson lines out), one process;
* ``docmill``: ``docmill run CORPUS --out FRESH --full`` (ephemeral Prefect API,
  default plugins, default settings);

and on the 10 MB corpus (``--workers-scale``) the same with 2 workers (baseline: 2
processes; docmill: ``--workers 2``, two plugin worker processes, each loading the
model once; with ``--dask`` also ``--runner dask --workers 2``, a local Dask
cluster). It prints documents/s, words/s, MB/s, wall and CPU
seconds, seconds per stage, the peak RSS of the whole process tree (sampled every
50 ms: the command, its children and theirs) and the ratios docmill/baseline;
then the cold start of ``docmill run`` on one small document next to an empty
async Prefect flow's wall time (each in a new process, best of ``--repeats``).

Results also go to ``--work``/results.json. Nothing here asserts a time: the
targets are checked and printed as PASS/MISS.

Then (:mod:`bench.rows`): one ~5 KB article, ``docmill run`` against the bare
script (median of ``--one-repeats`` fresh processes each, alternating), an empty
folder's run, a rerun of the smallest corpus with every document reused, the
stages' CPU besides spaCy NER on the smallest corpus (:mod:`bench.profile_stages`
in one process), and one long document (``--long-mb``, 3.9 MB) against the same
text as many files.

    .venv/bin/python bench/run_bench.py [--large] [--scales 1,10] [--skip-workers]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psutil

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import rows  # noqa: E402
from corpus import generate  # noqa: E402

BIN = Path(sys.executable).parent
EMPTY_FLOW = """
import asyncio
from prefect import flow

@flow
async def empty() -> None:
    return None

asyncio.run(empty())
"""


@dataclass
class Measure:
    """One command's run: wall and CPU seconds, peak RSS of its process tree, its stages."""

    name: str
    wall: float
    cpu: float
    peak_rss_mb: float
    stages: dict[str, float] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


class TreeSampler(threading.Thread):
    """Peak summed RSS of a process and all its descendants, sampled every ``interval``."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.root = psutil.Process(pid)
        self.interval = interval
        self.peak = 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            try:
                procs = [self.root, *self.root.children(recursive=True)]
            except psutil.Error:
                break
            total = 0
            for p in procs:
                with contextlib.suppress(psutil.Error):
                    total += p.memory_info().rss
            self.peak = max(self.peak, total)
            self._done.wait(self.interval)

    def stop(self) -> None:
        self._done.set()
        self.join()


def measure(name: str, cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[Measure, str]:
    """Run ``cmd``; returns its measure and its standard output (stderr is passed through)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, text=True)
    sampler = TreeSampler(proc.pid)
    sampler.start()
    out, _ = proc.communicate()
    wall = time.perf_counter() - t0
    sampler.stop()
    if proc.returncode not in (0, 3):
        raise SystemExit(f"{name} failed with exit code {proc.returncode}: {' '.join(cmd)}")
    # CPU: the command and every descendant it waited for (getrusage of children)
    return Measure(name, wall, _children_cpu(), sampler.peak / 1e6), out


_last_children_cpu = [0.0]


def _children_cpu() -> float:
    import resource

    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = ru.ru_utime + ru.ru_stime
    delta = total - _last_children_cpu[0]
    _last_children_cpu[0] = total
    return delta


def bench_env(work: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PREFECT_HOME=str(work / "prefect"),
        DO_NOT_TRACK="1",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_LOGGING_LEVEL="WARNING",
        # this checkout's code, whichever checkout the venv was installed from
        PYTHONPATH=os.pathsep.join(str(ROOT / d) for d in ("pipeline", "plugins", ".")),
        # a busy shared machine can take longer than Prefect's default 20 s
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="180",
    )
    for key in list(env):
        if key.startswith("DOCMILL_") or key == "PREFECT_API_URL":
            del env[key]  # the defaults, whatever the caller's shell has
    return env


def run_baseline(
    corpus: Path, work: Path, env: dict[str, str], workers: int, batch: int
) -> Measure:
    out = _fresh(work / "out-baseline")
    cmd = [sys.executable, str(HERE / "baseline.py"), str(corpus), str(out)]
    cmd += ["--workers", str(workers), "--batch-size", str(batch)]
    m, stdout = measure(f"baseline x{workers}", cmd, work, env)
    result = json.loads(stdout.strip().splitlines()[-1])
    m.stages = {k: result[k] for k in ("read", "nlp", "write")}
    m.extra = {"entities": result["entities"]}
    return m


def run_docmill(
    corpus: Path,
    work: Path,
    env: dict[str, str],
    workers: int,
    batch: int | None,
    runner: str = "local",
) -> Measure:
    out = _fresh(work / "out-docmill")
    cmd = [str(BIN / "docmill"), "run", str(corpus), "--out", str(out), "--full"]
    if batch:
        cmd += ["--batch-size", str(batch)]
    if workers > 1:
        cmd += ["--runner", runner, "--workers", str(workers)]
    name = f"docmill x{workers}" if runner == "local" else f"dask x{workers}"
    m, _ = measure(name, cmd, work, env)
    manifest = json.loads(next(out.glob("*/manifest.json")).read_text())
    m.stages = dict(manifest["timings"])
    m.extra = {
        "flow_seconds": manifest["seconds"],
        "entities": manifest["counts"].get("entity", 0),
        "counts": manifest["counts"],
    }
    shutil.rmtree(out)
    return m


def _fresh(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def cold_start(work: Path, env: dict[str, str], corpus: Path, repeats: int) -> dict[str, float]:
    """Best-of wall time: an empty async Prefect flow, and docmill on one small document."""
    one = _fresh(work / "one")
    smallest = min(corpus.glob("*.md"), key=lambda p: p.stat().st_size)
    shutil.copy(smallest, one / smallest.name)
    empty, cold = [], []
    for _ in range(repeats):
        m, _ = measure("empty flow", [sys.executable, "-c", EMPTY_FLOW], work, env)
        empty.append(m.wall)
        out = _fresh(work / "out-one")
        cmd = [str(BIN / "docmill"), "run", str(one), "--out", str(out)]
        m, _ = measure("docmill one", cmd, work, env)
        cold.append(m.wall)
    return {"empty_flow": min(empty), "docmill_one": min(cold), "bytes": smallest.stat().st_size}


def rates(m: Measure, stats: dict[str, Any]) -> dict[str, float]:
    return {
        "docs_s": stats["documents"] / m.wall,
        "words_s": stats["words"] / m.wall,
        "mb_s": stats["bytes"] / 1e6 / m.wall,
    }


def show(m: Measure, stats: dict[str, Any]) -> None:
    r = rates(m, stats)
    stages = ", ".join(f"{k} {v:.1f}" for k, v in m.stages.items())
    print(
        f"  {m.name:<12} {r['docs_s']:7.1f} docs/s {r['words_s']:9.0f} words/s "
        f"{r['mb_s']:6.3f} MB/s  wall {m.wall:7.1f} s  cpu {m.cpu:7.1f} s  "
        f"peak RSS {m.peak_rss_mb:7.0f} MB"
    )
    print(f"  {'':<12} stages (s): {stages}")


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", action="store_true", help="also the 50 MB corpus")
    parser.add_argument("--scales", default=None, help="comma-separated MB (default 1,10)")
    parser.add_argument("--workers-scale", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-workers", action="store_true")
    parser.add_argument(
        "--dask", action="store_true", help="also 2 workers as a local Dask cluster"
    )
    parser.add_argument(
        "--baseline-scales",
        default=None,
        help="comma-separated MB at which to run the baseline (default: every scale)",
    )
    parser.add_argument("--skip-cold", action="store_true")
    parser.add_argument(
        "--long-mb", type=float, default=3.9,
        help="size of the one-long-document row, MB of text (0: skip it)",
    )
    parser.add_argument(
        "--long-time-limit", type=float, default=None,
        help="time_limit for both sides of the long-document row (default: the setting's)",
    )
    parser.add_argument(
        "--one-repeats", type=int, default=3,
        help="fresh processes per side for the one-document row (median; 0: skip the "
        "one-document, empty-run and rerun rows)",
    )
    parser.add_argument("--repeats", type=int, default=2, help="cold-start runs (best of)")
    parser.add_argument("--batch-size", type=int, default=None, help="docmill --batch-size")
    parser.add_argument("--nlp-batch", type=int, default=64, help="baseline nlp.pipe batch")
    parser.add_argument("--work", type=Path, default=ROOT / ".docmill" / "bench")
    args = parser.parse_args()
    scales = [float(s) for s in (args.scales or "1,10").split(",")]
    if args.large and 50.0 not in scales:
        scales.append(50.0)
    work: Path = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    env = bench_env(work)
    print(
        f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} CPUs, "
        f"{psutil.virtual_memory().total / 2**30:.0f} GiB, Python {platform.python_version()}, "
        f"load {os.getloadavg()[0]:.1f}"
    )
    results: dict[str, Any] = {"scales": {}, "machine": platform.platform()}
    corpora = {mb: generate(work / f"corpus-{mb:g}mb", mb) for mb in scales}
    # warm-up, not measured: creates Prefect's database under the bench's PREFECT_HOME
    measure("warm-up", [sys.executable, "-c", EMPTY_FLOW], work, env)
    for mb in scales:
        corpus = work / f"corpus-{mb:g}mb"
        stats = corpora[mb]
        print(
            f"\ncorpus {mb:g} MB: {stats['documents']} documents, {stats['words']:,} words, "
            f"{stats['bytes'] / 1e6:.1f} MB"
        )
        with_baseline = args.baseline_scales is None or mb in [
            float(x) for x in args.baseline_scales.split(",")
        ]
        entry: dict[str, Any] = {"stats": stats}
        if with_baseline:
            base = run_baseline(corpus, work, env, 1, args.nlp_batch)
            show(base, stats)
            entry["baseline"] = asdict(base)
        dm = run_docmill(corpus, work, env, 1, args.batch_size)
        show(dm, stats)
        entry["docmill"] = asdict(dm)
        if with_baseline:
            entry["ratio"] = ratio = base.wall / dm.wall
            entry["cpu_ratio"] = base.cpu / dm.cpu
            print(f"  ratio docmill/baseline words/s: {ratio:.2f} (cpu {base.cpu / dm.cpu:.2f})")
        if not args.skip_workers and mb == args.workers_scale and with_baseline:
            base2 = run_baseline(corpus, work, env, args.workers, args.nlp_batch)
            show(base2, stats)
            dm2 = run_docmill(corpus, work, env, args.workers, args.batch_size)
            show(dm2, stats)
            entry["baseline_workers"] = asdict(base2)
            entry["docmill_workers"] = asdict(dm2)
            entry["speedup"] = dm.wall / dm2.wall
            entry["baseline_speedup"] = base.wall / base2.wall
            print(
                f"  speed-up with {args.workers} workers: docmill {entry['speedup']:.2f}x, "
                f"baseline {entry['baseline_speedup']:.2f}x"
            )
            if args.dask:
                dk = run_docmill(corpus, work, env, args.workers, args.batch_size, "dask")
                show(dk, stats)
                entry["dask_workers"] = asdict(dk)
                entry["dask_speedup"] = dm.wall / dk.wall
                print(f"  speed-up with a {args.workers}-worker Dask cluster: "
                      f"{entry['dask_speedup']:.2f}x")
        results["scales"][f"{mb:g}"] = entry
    if not args.skip_cold:
        smallest = work / f"corpus-{scales[0]:g}mb"
        cold = cold_start(work, env, smallest, args.repeats)
        results["cold"] = cold
        print(
            f"\ncold start (best of {args.repeats}): empty async Prefect flow "
            f"{cold['empty_flow']:.1f} s, docmill run on one {cold['bytes']} B document "
            f"{cold['docmill_one']:.1f} s ({cold['docmill_one'] / cold['empty_flow']:.2f}x)"
        )
    smallest_corpus = work / f"corpus-{min(scales):g}mb"
    if args.one_repeats > 0:
        results["one_document"] = rows.one_document(
            measure, work, env, smallest_corpus, args.one_repeats
        )
        results["empty_rerun"] = rows.empty_and_rerun(
            measure, work, env, smallest_corpus, max(1, args.one_repeats // 2)
        )
    results["besides_ner"] = rows.besides_ner(smallest_corpus, work, env)
    if args.long_mb > 0:
        big = max(
            [mb for mb in scales if mb >= args.long_mb * 1.05] or [10.0 * -(-args.long_mb // 9)]
        )
        if big not in corpora:
            corpora[big] = generate(work / f"corpus-{big:g}mb", big)
        results["long"] = rows.long_document_row(
            measure, work, env, work / f"corpus-{big:g}mb", args.long_mb, args.long_time_limit
        )
    for line in rows.show(results):
        print(line)
    rows.stop_server(env)
    print("\ntargets:")
    for key, entry in results["scales"].items():
        if key == "10" and "ratio" in entry:
            print(f"  words/s >= 0.9x baseline on 10 MB: {entry['ratio']:.2f} "
                  f"{verdict(entry['ratio'] >= 0.9)}")
            if "cpu_ratio" in entry:
                print(f"  CPU-seconds ratio >= 0.9 on 10 MB: {entry['cpu_ratio']:.2f} "
                      f"{verdict(entry['cpu_ratio'] >= 0.9)}")
        if "speedup" in entry:
            print(f"  {args.workers} workers >= 1.7x one: {entry['speedup']:.2f} "
                  f"{verdict(entry['speedup'] >= 1.7)}")
    s = results["scales"]
    if "1" in s and "50" in s:
        growth = s["50"]["docmill"]["peak_rss_mb"] / s["1"]["docmill"]["peak_rss_mb"] - 1
        ok = verdict(growth <= 0.10)
        print(f"  peak RSS growth 1 -> 50 MB <= 10%: {100 * growth:+.1f}% {ok}")
    if "1" in s and "10" in s:
        growth = s["10"]["docmill"]["peak_rss_mb"] / s["1"]["docmill"]["peak_rss_mb"] - 1
        print(f"  (peak RSS growth 1 -> 10 MB: {100 * growth:+.1f}%)")
    if "one_document" in results:
        o = results["one_document"]
        r = o["docmill_wall"] / o["script_wall"]
        print(f"  one-document run <= 2.0x the script's wall time: {r:.2f} {verdict(r <= 2.0)}")
    if "besides_ner" in results:
        share = results["besides_ner"]["share"]
        print(f"  stage work besides NER < 20% of NER: {100 * share:.0f}% "
              f"{verdict(share < 0.2)}")
    if "long" in results:
        r = results["long"]["ratio"]
        print(f"  one long document <= 1.3x the same text as many files: {r:.2f} "
              f"{verdict(r <= 1.3)}")
    for key, entry in results["scales"].items():
        if key != "10" and "cpu_ratio" in entry:
            print(f"  ({key} MB: words/s ratio {entry['ratio']:.2f}, "
                  f"CPU-seconds ratio {entry['cpu_ratio']:.2f})")
    if "cold" in results:
        c = results["cold"]
        print(f"  cold run within 3x an empty flow: {c['docmill_one'] / c['empty_flow']:.2f} "
              f"{verdict(c['docmill_one'] <= 3 * c['empty_flow'])}")
    (work / "results.json").write_text(json.dumps(results, indent=2))
    (work / "results.md").write_text(markdown(results))
    print(f"\nresults: {work / 'results.json'}, {work / 'results.md'}")


def markdown(results: dict[str, Any]) -> str:
    """The figures as Markdown tables (for docs/performance.md)."""
    lines = [
        "| corpus | run | docs/s | words/s | MB/s | wall s | CPU s | peak RSS MB | "
        "stages (s) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for key, entry in results["scales"].items():
        stats = entry["stats"]
        for name in (
            "baseline", "docmill", "baseline_workers", "docmill_workers", "dask_workers"
        ):
            if name not in entry:
                continue
            m = Measure(**entry[name])
            r = rates(m, stats)
            stages = ", ".join(f"{k} {v:.1f}" for k, v in m.stages.items())
            lines.append(
                f"| {key} MB ({stats['documents']} docs, {stats['words']:,} words) | {m.name} "
                f"| {r['docs_s']:.1f} | {r['words_s']:,.0f} | {r['mb_s']:.3f} | {m.wall:.1f} "
                f"| {m.cpu:.1f} | {m.peak_rss_mb:,.0f} | {stages} |"
            )
    lines.append("")
    for key, entry in results["scales"].items():
        if "ratio" in entry:
            lines.append(
                f"- {key} MB: docmill/baseline words/s **{entry['ratio']:.2f}** "
                f"(CPU seconds: {entry['cpu_ratio']:.2f})"
            )
        if "speedup" in entry:
            lines.append(
                f"- {key} MB, 2 workers: docmill speed-up **{entry['speedup']:.2f}x**, "
                f"baseline {entry['baseline_speedup']:.2f}x"
            )
        if "dask_speedup" in entry:
            lines.append(f"- {key} MB, 2-worker Dask cluster: **{entry['dask_speedup']:.2f}x**")
    if "cold" in results:
        c = results["cold"]
        lines.append(
            f"- cold start: empty async Prefect flow {c['empty_flow']:.1f} s, `docmill run` on "
            f"one {c['bytes']} B document {c['docmill_one']:.1f} s "
            f"(**{c['docmill_one'] / c['empty_flow']:.2f}x**)"
        )
    lines.extend(rows.show(results))
    return "\n".join(lines) + "\n"



if __name__ == "__main__":
    main()
