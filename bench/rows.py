"""The benchmark's fixed-cost and long-document rows (see :mod:`run_bench`).

* ``one document``: ``docmill run ONE.md --out FRESH`` (a new user's default
  settings) against :mod:`baseline` on the same file, each in a fresh process,
  the median of ``repeats`` of each, run alternately so both see the same load;
* ``empty run``: ``docmill run EMPTY --out FRESH`` (median);
* ``rerun``: ``docmill run CORPUS --out SAME`` a second time, every document
  reused from the first run: its wall time beyond an empty run's;
* ``stage work besides NER``: :mod:`profile_stages` ``--no-profile --cpu`` on a
  corpus, in one process (no Prefect, no worker): CPU seconds of spaCy NER and
  of everything else the stages do, and their ratio, past the first batch (the
  once-per-worker set-up, shown on its own: what a big corpus pays per document);
* ``long document``: one long plain-text document (the articles' bodies one after
  another, :func:`corpus.long_document`) against the same pieces as many files,
  ``docmill run --full`` both, back to back: wall time, words/s and their ratio.

Each returns plain numbers; :func:`run_bench.main` prints and stores them.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from corpus import long_document

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent


def _fresh(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def _docmill(args: list[str]) -> list[str]:
    return [str(BIN / "docmill"), "run", *args]


def one_document(
    measure: Any, work: Path, env: dict[str, str], corpus: Path, repeats: int
) -> dict[str, Any]:
    """Median wall (and CPU) seconds of docmill and the bare script on one ~5 KB article."""
    one = _fresh(work / "one-doc")
    article = min(corpus.glob("*.md"), key=lambda p: abs(p.stat().st_size - 5_000))
    shutil.copy(article, one / article.name)
    # not measured: a first run (what a server reused across runs starts, if any)
    measure("warm-up", _docmill([str(one), "--out", str(_fresh(work / "out-one"))]), work, env)
    script: list[Any] = []
    docmill: list[Any] = []
    for _ in range(repeats):
        out = _fresh(work / "out-one-script")
        cmd = [sys.executable, str(HERE / "baseline.py"), str(one), str(out)]
        script.append(measure("script, one document", cmd, work, env)[0])
        out = _fresh(work / "out-one")
        docmill.append(measure("docmill, one document", _docmill([str(one), "--out", str(out)]),
                               work, env)[0])
    return {
        "bytes": article.stat().st_size,
        "repeats": repeats,
        "script_wall": statistics.median(m.wall for m in script),
        "docmill_wall": statistics.median(m.wall for m in docmill),
        "script_cpu": statistics.median(m.cpu for m in script),
        "docmill_cpu": statistics.median(m.cpu for m in docmill),
        "script_walls": [round(m.wall, 2) for m in script],
        "docmill_walls": [round(m.wall, 2) for m in docmill],
    }


def empty_and_rerun(
    measure: Any, work: Path, env: dict[str, str], corpus: Path, repeats: int
) -> dict[str, Any]:
    """An empty folder's run (median), and a rerun of ``corpus`` whose documents are all reused."""
    empty = _fresh(work / "empty")
    walls = []
    for _ in range(repeats):
        out = _fresh(work / "out-empty")
        walls.append(measure("empty run", _docmill([str(empty), "--out", str(out)]), work, env)[0])
    out = _fresh(work / "out-rerun")
    first = measure("first run", _docmill([str(corpus), "--out", str(out)]), work, env)[0]
    again = measure("rerun", _docmill([str(corpus), "--out", str(out)]), work, env)[0]
    shutil.rmtree(out)
    empty_wall = statistics.median(m.wall for m in walls)
    return {
        "documents": len(list(corpus.glob("*.md"))),
        "empty_wall": empty_wall,
        "first_wall": first.wall,
        "rerun_wall": again.wall,
        "rerun_beyond_empty": again.wall - empty_wall,
    }


def besides_ner(corpus: Path, work: Path, env: dict[str, str]) -> dict[str, Any]:
    """CPU seconds of the stages' work besides spaCy NER, and of NER, in one process."""
    out = work / "besides-ner.json"
    out.unlink(missing_ok=True)
    cmd = [sys.executable, str(HERE / "profile_stages.py"), str(corpus), "--no-profile",
           "--cpu", "--json", str(out)]
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    totals: dict[str, Any] = json.loads(out.read_text())
    totals["share"] = totals["besides_ner"] / totals["ner"]
    return totals


def long_document_row(
    measure: Any,
    work: Path,
    env: dict[str, str],
    corpus: Path,
    megabytes: float,
    time_limit: float | None = None,
) -> dict[str, Any]:
    """One long document against the same text as many files (``docmill run --full``)."""
    long_dir = _fresh(work / "long-doc")
    pieces = work / "long-pieces"
    stats = long_document(corpus, long_dir / "long.txt", megabytes, pieces)
    rows: dict[str, Any] = {"stats": stats, "time_limit": time_limit}
    if time_limit is not None:  # until the default budget grows with a document's size
        env = {**env, "DOCMILL_TIME_LIMIT": str(time_limit)}
    for name, folder in (("many files", pieces), ("one long document", long_dir)):
        out = _fresh(work / "out-long")
        m = measure(name, _docmill([str(folder), "--out", str(out), "--full"]), work, env)[0]
        manifest = next(out.glob("*/manifest.json"), None)
        counts: dict[str, int] = {}
        if manifest is not None:
            counts = json.loads(manifest.read_text())["counts"]
        rows[name] = {"wall": m.wall, "cpu": m.cpu, "peak_rss_mb": m.peak_rss_mb,
                      "words_s": stats["words"] / m.wall, "counts": counts}
        shutil.rmtree(out)
    rows["ratio"] = rows["one long document"]["wall"] / rows["many files"]["wall"]
    return rows


def show(results: dict[str, Any]) -> list[str]:
    """Printable lines (Markdown list items) for whichever of the rows ran."""
    lines = []
    if "one_document" in results:
        o = results["one_document"]
        lines.append(
            f"- one {o['bytes']:,} B article, fresh processes, median of {o['repeats']}: bare "
            f"script {o['script_wall']:.1f} s wall ({o['script_cpu']:.1f} CPU-s), "
            f"`docmill run` {o['docmill_wall']:.1f} s ({o['docmill_cpu']:.1f} CPU-s): "
            f"**{o['docmill_wall'] / o['script_wall']:.2f}x** the script's wall time"
        )
    if "empty_rerun" in results:
        e = results["empty_rerun"]
        lines.append(
            f"- empty folder: {e['empty_wall']:.1f} s; rerun of {e['documents']} unchanged "
            f"documents: {e['rerun_wall']:.1f} s (first run {e['first_wall']:.1f} s), "
            f"**{e['rerun_beyond_empty']:+.1f} s** beyond an empty run"
        )
    if "besides_ner" in results:
        b = results["besides_ner"]
        lines.append(
            f"- stage work besides NER ({b['documents']} documents, one process, CPU): "
            f"{b['besides_ner']:.1f} s (framework {b['framework']:.1f} s) against spaCy NER "
            f"{b['ner']:.1f} s: **{100 * b['share']:.0f}%** of NER; before them, once per "
            f"worker, the first {b['warm_documents']} documents: NER {b['warm_ner']:.1f} s, "
            f"the rest {b['warm_besides_ner']:.1f} s (model load, imports, first calls)"
        )
    if "long" in results:
        lg = results["long"]
        st = lg["stats"]
        many, one = lg["many files"], lg["one long document"]
        lines.append(
            f"- one long document ({st['bytes'] / 1e6:.1f} MB, {st['words']:,} words) "
            f"{one['wall']:.1f} s ({one['words_s']:,.0f} words/s, peak RSS "
            f"{one['peak_rss_mb']:,.0f} MB, {one['counts'].get('entity', 0):,} entities, "
            f"{one['counts'].get('reject', 0)} rejects) against the same text as "
            f"{st['documents']} files {many['wall']:.1f} s ({many['words_s']:,.0f} words/s, "
            f"peak RSS {many['peak_rss_mb']:,.0f} MB): **{lg['ratio']:.2f}x**"
            + (f" (time_limit {lg['time_limit']:g} s for both)" if lg.get("time_limit") else "")
        )
    return lines


def stop_server(env: dict[str, str]) -> None:
    """Stop a local Prefect server docmill may have started for the bench's runs
    (``docmill server stop``, where this docmill has it): none is left running."""
    cmd = [str(BIN / "docmill"), "server", "stop"]
    with contextlib.suppress(OSError, subprocess.TimeoutExpired):
        subprocess.run(cmd, env=env, capture_output=True, timeout=60, check=False)
