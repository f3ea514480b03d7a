"""Soak ``docmill serve``: a small folder at a short interval for a while, watched from outside.

Usage: .venv/bin/python scripts/soak_serve.py [--minutes 60] [--interval 10] [--sample 10]
                                              [--light] [--work DIR] [--json FILE]

Starts ``docmill serve`` as an operator would (its own local Prefect server,
``.docmill/prefect`` under the work folder, no PREFECT_API_URL), samples the
process tree of the command (RSS summed over every process, and their count)
every ``--sample`` seconds, stops it with Ctrl-C after ``--minutes`` and reads
the server's database. Prints the samples per tenth of the time and a summary:
runs completed / failed / still pending, runs that started more than one
interval late, runs skipped, RSS drift after warm-up (mean of the last tenth
against the first tenth after the one with the first complete run), process
counts, and any process left behind. ``--light`` disables the spaCy entity
extractor (the serve machinery under test, not the model). Not a test: it takes
as long as you tell it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ("central_bank_rates.txt", "harbour_bridge_reopens.txt", "school_robotics_team.md")


def _tree(root: psutil.Process) -> list[psutil.Process]:
    try:
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _rss(procs: list[psutil.Process]) -> int:
    total = 0
    for proc in procs:
        try:
            total += proc.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total


def _runs(db_path: Path, interval: float) -> dict[str, Any]:
    db = sqlite3.connect(db_path, timeout=30)
    try:
        rows = db.execute(
            "select state_type, state_name, start_time, expected_start_time from flow_run"
            " where deployment_id is not null"
        ).fetchall()
    finally:
        db.close()
    counts: dict[str, int] = {}
    late = 0
    delays = []
    for state, name, start, expected in rows:
        key = f"{state}/{name}"
        counts[key] = counts.get(key, 0) + 1
        if start and expected:
            delay = (datetime.fromisoformat(start) - datetime.fromisoformat(expected))
            delays.append(delay.total_seconds())
            late += delay.total_seconds() > interval
    return {
        "states": dict(sorted(counts.items())),
        "started_late": late,
        "start_delay_s": {
            "median": round(statistics.median(delays), 1) if delays else None,
            "max": round(max(delays), 1) if delays else None,
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--interval", type=float, default=10.0)
    parser.add_argument("--sample", type=float, default=10.0)
    parser.add_argument("--light", action="store_true", help="disable extract_entities")
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None, help="write the figures here too")
    args = parser.parse_args()

    work = args.work or Path(tempfile.mkdtemp(prefix="docmill-soak-"))
    corpus, out = work / "corpus", work / "out"
    corpus.mkdir(parents=True, exist_ok=True)
    for name in SEEDS:
        shutil.copy(ROOT / "seeds" / name, corpus)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API_")}
    env.update(PREFECT_HOME=str(work / "client-home"), DOCMILL_SERVER_PORT="0")
    if args.light:
        env["DOCMILL_DISABLE_PLUGINS"] = "extract_entities"
    docmill = Path(sys.executable).with_name("docmill")
    log_path = work / "serve.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [str(docmill), "serve", str(corpus), "--interval", f"{args.interval:g}",
             "--out", str(out)],
            cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    root = psutil.Process(proc.pid)
    seen: dict[int, psutil.Process] = {}
    samples: list[dict[str, float]] = []
    t0 = time.monotonic()
    end = t0 + args.minutes * 60
    try:
        while time.monotonic() < end and proc.poll() is None:
            procs = _tree(root)
            for p in procs:
                seen.setdefault(p.pid, p)
            runs = sum(1 for m in out.glob("*/manifest.json") if not m.parent.name.startswith("."))
            samples.append({"t": round(time.monotonic() - t0, 1), "rss_mb": _rss(procs) / 2**20,
                            "procs": len(procs), "run_folders": runs})
            time.sleep(max(0.0, min(args.sample, end - time.monotonic())))
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
        try:
            code = proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            code = proc.wait()
    _, alive = psutil.wait_procs([p for p in seen.values() if p.pid != proc.pid], timeout=30)

    tenth = max(1, len(samples) // 10)
    windows = [samples[i:i + tenth] for i in range(0, len(samples), tenth)]
    table = [
        {
            "minute": round(w[0]["t"] / 60, 1),
            "rss_mb_min": round(min(s["rss_mb"] for s in w)),
            "rss_mb_mean": round(statistics.mean(s["rss_mb"] for s in w)),
            "rss_mb_max": round(max(s["rss_mb"] for s in w)),
            "procs_min": min(int(s["procs"]) for s in w),
            "procs_max": max(int(s["procs"]) for s in w),
            "run_folders": int(w[-1]["run_folders"]),
        }
        for w in windows
    ]
    # warm-up: until the first run folder is complete (server start, first run's imports)
    steady = [w for w in table if w["run_folders"] > 0][1:] or table
    figures = {
        "ran_minutes": round((samples[-1]["t"] if samples else 0) / 60, 1),
        "interval_s": args.interval,
        "light": args.light,
        "exit_code": code,
        "run_folders": sum(1 for m in out.glob("*/manifest.json")),
        "runs_per_minute_after_warmup": round(
            (steady[-1]["run_folders"] - steady[0]["run_folders"])
            / max(0.1, steady[-1]["minute"] - steady[0]["minute"]), 2
        ),
        "runs": _runs(work / ".docmill" / "prefect" / "prefect.db", args.interval),
        "rss_drift_after_warmup": round(
            steady[-1]["rss_mb_mean"] / steady[0]["rss_mb_mean"] - 1, 3
        ),
        "rss_mb_range_after_warmup": [min(w["rss_mb_min"] for w in steady),
                                      max(w["rss_mb_max"] for w in steady)],
        "procs_range_after_warmup": [min(w["procs_min"] for w in steady),
                                     max(w["procs_max"] for w in steady)],
        "left_behind": [" ".join(p.cmdline()[:3]) for p in alive],
        "work": str(work),
        "per_tenth": table,
    }
    text = json.dumps(figures, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0 if code == 0 and not alive else 1


if __name__ == "__main__":
    sys.exit(main())
