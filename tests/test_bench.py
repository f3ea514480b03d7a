"""The benchmark's parts stay runnable: corpus, baseline script, process-tree sampler.

No timing is asserted here (speed is measured by ``make bench``); these tests keep
bench/ from rotting: the corpus is deterministic and realistic in size, the
baseline writes what it reports, and peak RSS covers grandchildren.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from corpus import generate  # noqa: E402
from run_bench import measure  # noqa: E402


def test_corpus_is_deterministic_news_sized_markdown(tmp_path: Path) -> None:
    a = generate(tmp_path / "a", 0.05)
    b = generate(tmp_path / "b", 0.05)
    assert a == b
    files_a = sorted((tmp_path / "a").glob("*.md"))
    files_b = sorted((tmp_path / "b").glob("*.md"))
    assert [f.name for f in files_a] == [f.name for f in files_b]
    assert all(x.read_bytes() == y.read_bytes() for x, y in zip(files_a, files_b, strict=True))
    assert a["documents"] == len(files_a) >= 5
    assert a["bytes"] >= 50_000
    for f in files_a:
        text = f.read_text(encoding="utf-8")
        assert 500 <= len(text.encode()) <= 21_000
        assert text.startswith("---\ntitle: ") and "\ndate: " in text and "“" in text
    # a different size is a different corpus in the same folder
    c = generate(tmp_path / "a", 0.02)
    assert c["documents"] < a["documents"] == len(files_a)
    assert len(list((tmp_path / "a").glob("*.md"))) == c["documents"]


def test_baseline_writes_one_line_per_entity_it_reports(tmp_path: Path) -> None:
    generate(tmp_path / "corpus", 0.01)
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "baseline.py"), str(tmp_path / "corpus"), str(out)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    lines = [
        orjson.loads(line)
        for f in sorted(out.glob("entities-*.jsonl"))
        for line in f.read_bytes().splitlines()
    ]
    assert report["documents"] == len(list((tmp_path / "corpus").glob("*.md")))
    assert report["entities"] == len(lines) > 0
    assert {"PERSON", "ORG", "GPE"} <= {e["label"] for e in lines}
    texts = {f.name: f.read_text(encoding="utf-8") for f in (tmp_path / "corpus").glob("*.md")}
    assert all(texts[e["doc"]][e["start"] : e["end"]] == e["text"] for e in lines)


def test_peak_rss_counts_the_whole_process_tree(tmp_path: Path) -> None:
    # a child that starts a grandchild holding 200 MB: the peak must include it
    grandchild = "b = bytearray(200_000_000); import time; time.sleep(1.0)"
    child = (
        "import subprocess, sys; "
        f"subprocess.run([sys.executable, '-c', {grandchild!r}], check=True); print('done')"
    )
    m, out = measure("tree", [sys.executable, "-c", child], tmp_path, dict(os.environ))
    assert out.strip() == "done"
    assert m.peak_rss_mb >= 200
    assert m.wall >= 1.0 and m.cpu > 0


def test_besides_ner_row_reports_ner_and_the_rest_for_every_document(tmp_path: Path) -> None:
    """Every document is run: the first batch (here all but one) as the worker's first,
    its one-off set-up shown apart, the rest measured."""
    import rows  # bench/rows.py

    stats = generate(tmp_path / "corpus", 0.01)
    totals = rows.besides_ner(tmp_path / "corpus", tmp_path, dict(os.environ))
    assert totals["documents"] >= 1
    assert totals["warm_documents"] + totals["documents"] == stats["documents"]
    assert totals["warm_ner"] > 0 and totals["warm_besides_ner"] > 0
    assert totals["ner"] > 0 and totals["besides_ner"] > 0
    assert 0 < totals["framework"] < totals["besides_ner"]
    assert totals["share"] == totals["besides_ner"] / totals["ner"]
    assert any("stage work besides NER" in line for line in rows.show({"besides_ner": totals}))
