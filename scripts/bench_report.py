"""Measure the HTML report at scale: file size against the JSONL, open time in Chromium.

    .venv/bin/python scripts/bench_report.py [RUN] [--docs 1000] [--repeat 5]

Builds a run folder of ``--docs`` documents by repeating the documents of RUN (a
real run folder, default: the latest under outputs/) with their records, each copy
under its own document id and title, writes its report with the code every run
uses, then opens it from disk in Debian's Chromium (Playwright, headless) and
prints, as JSON: the JSONL and report sizes and their ratio; ``ready_ms``, the time
from navigation start to the report's ``docmill-ready`` mark (file read, summary
parsed, overview, filters and every document's section built, the first document
laid out); ``painted_ms``, to the ``docmill-painted`` mark set in the first frame
after that (the open time a user sees); ``open_ms``, the same as wall time seen
from the driver (plus its round trips); and
``section_ms``, the time to lay out one more document when its section is opened.
Medians over ``--repeat`` fresh pages. Not a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from docmill.report import write_report  # noqa: E402
from docmill.runs.atomic import write_json_atomic  # noqa: E402
from docmill.runs.folder import latest_run  # noqa: E402
from docmill.runs.manifest import MANIFEST, read_manifest  # noqa: E402
from scripts.chromium import CHROMIUM, FLAGS  # noqa: E402


def replicate(run: Path, out: Path, n_docs: int) -> Path:
    """A run folder of ``n_docs`` documents: RUN's documents and records, repeated."""
    manifest = read_manifest(run).to_dict()
    files: dict[str, str] = manifest["files"]
    by_doc: dict[str, dict[str, list[dict[str, Any]]]] = {}
    docs: list[dict[str, Any]] = []
    for kind, name in files.items():
        for line in (run / name).read_bytes().splitlines():
            rec = orjson.loads(line)
            if kind == "document":
                docs.append(rec)
            elif "doc_id" in rec:
                by_doc.setdefault(rec["doc_id"], {}).setdefault(kind, []).append(rec)
    if not docs:
        raise SystemExit(f"{run} has no documents")
    folder = out / f"{manifest['run_id']}-x{n_docs}"
    folder.mkdir(parents=True)
    handles = {kind: (folder / name).open("wb") for kind, name in files.items()}
    counts = dict.fromkeys(files, 0)
    for i in range(n_docs):
        src = docs[i % len(docs)]
        doc_id = f"{src['id']}-{i:05d}"
        doc = {**src, "id": doc_id, "title": f"{src.get('title') or src['source']} #{i}"}
        handles["document"].write(orjson.dumps(doc) + b"\n")
        counts["document"] += 1
        for kind, recs in by_doc.get(src["id"], {}).items():
            for rec in recs:
                handles[kind].write(orjson.dumps({**rec, "doc_id": doc_id}) + b"\n")
                counts[kind] += 1
    for fh in handles.values():
        fh.close()
    write_json_atomic(
        folder / MANIFEST,
        {
            **manifest,
            "run_id": folder.name,
            "documents": n_docs,
            "n_inputs": n_docs,
            "counts": counts,
            "inputs": [],
        },
    )
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", nargs="?", type=Path, help="a run folder (default: latest)")
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--chromium", default=CHROMIUM)
    args = parser.parse_args()
    run = args.run or latest_run(ROOT / "outputs")
    if run is None:
        raise SystemExit("no run folder: run `make run` first or pass RUN")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="docmill-bench-") as tmp:
        folder = replicate(run, Path(tmp), args.docs)
        t0 = time.perf_counter()
        report = write_report(folder)
        build_s = time.perf_counter() - t0
        jsonl = sum(p.stat().st_size for p in folder.glob("*.jsonl"))
        ready: list[float] = []
        painted: list[float] = []
        opened: list[float] = []
        section: list[float] = []
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=args.chromium, args=FLAGS)
            for _ in range(args.repeat):
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                t0 = time.perf_counter()
                page.goto(report.as_uri())
                page.wait_for_function("performance.getEntriesByName('docmill-painted').length > 0")
                opened.append((time.perf_counter() - t0) * 1000)
                ready.append(
                    page.evaluate("performance.getEntriesByName('docmill-ready')[0].startTime")
                )
                painted.append(
                    page.evaluate("performance.getEntriesByName('docmill-painted')[0].startTime")
                )
                middle = f"details.doc:nth-of-type({args.docs // 2})"
                section.append(
                    page.evaluate(
                        """(sel) => { const d = document.querySelector(sel);
                        const t = performance.now(); d.open = true;
                        d.dispatchEvent(new Event('toggle'));
                        d.querySelector('.doc-body').getBoundingClientRect();
                        return performance.now() - t; }""",
                        middle,
                    )
                )
                page.close()
            version = browser.version
            browser.close()
        print(
            json.dumps(
                {
                    "source_run": str(run),
                    "documents": args.docs,
                    "chromium": version,
                    "jsonl_bytes": jsonl,
                    "report_bytes": report.stat().st_size,
                    "size_ratio": round(report.stat().st_size / jsonl, 3),
                    "build_report_s": round(build_s, 3),
                    "ready_ms_median": round(statistics.median(ready), 1),
                    "painted_ms_median": round(statistics.median(painted), 1),
                    "open_ms_median": round(statistics.median(opened), 1),
                    "section_ms_median": round(statistics.median(section), 1),
                    "painted_ms_all": [round(x, 1) for x in painted],
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
