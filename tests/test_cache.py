"""Incremental reruns through the real flow: what is reused, what is redone, same bytes."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import SEEDS, RunResult

pytestmark = pytest.mark.flow

Run = Callable[..., RunResult]

#: An extractor that writes the id of every document it sees to a log file: the
#: proof that a document did, or did not, go through the stages again.
COUNTER = """
import os
from pathlib import Path
from docmill.hookspecs import hookimpl

@hookimpl
def extract(doc):
    with Path(os.environ["DOCMILL_TEST_SEEN_LOG"]).open("a") as fh:
        fh.write(doc.id + "\\n")
    return []
"""


def _seen(log: Path) -> list[str]:
    return log.read_text().split() if log.exists() else []


def test_rerun_reuses_unchanged_documents_and_redoes_the_rest(
    run_flow: Run,
    tmp_path: Path,
    install_plugin: Callable[..., str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    log = tmp_path / "seen.log"
    monkeypatch.setenv("DOCMILL_TEST_SEEN_LOG", str(log))
    install_plugin("seen_counter", COUNTER)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in sorted(p.name for p in SEEDS.iterdir())[:3]:
        shutil.copy(SEEDS / name, corpus / name)
    out = tmp_path / "out"

    first = run_flow([corpus], out, time_limit=0)
    assert first.summary["cache"]["reused"] == 0
    assert first.summary["cache"]["reprocessed"] == 3
    assert len(_seen(log)) == 3

    # nothing changed: every document is reused, none goes through the stages
    second = run_flow([corpus], out, time_limit=0)
    assert second.summary["cache"] == {**first.summary["cache"], "reused": 3, "reprocessed": 0}
    assert len(_seen(log)) == 3
    assert second.jsonl_bytes() == first.jsonl_bytes()
    assert [i["id"] for i in second.summary["inputs"]] == [i["id"] for i in first.summary["inputs"]]

    # one file changed: only that one is processed again
    changed = sorted(corpus.iterdir())[1]
    changed.write_text(changed.read_text() + "\nThe council met again on Friday.\n")
    third = run_flow([corpus], out, time_limit=0)
    assert (third.summary["cache"]["reused"], third.summary["cache"]["reprocessed"]) == (2, 1)
    new_id = next(i["id"] for i in third.summary["inputs"] if i["source"].endswith(changed.name))
    assert _seen(log)[3:] == [new_id]

    # the reused records are byte-identical to a full run's
    full = run_flow([corpus], out, time_limit=0, full=True)
    assert full.summary["cache"]["full"] is True
    assert full.summary["cache"]["reused"] == 0
    assert len(_seen(log)) == 4 + 3
    assert third.jsonl_bytes() == full.jsonl_bytes()

    # a plugin disabled: everything it touched is redone
    fewer = run_flow([corpus], out, time_limit=0, disable=["extract_dates"])
    assert fewer.summary["cache"]["reused"] == 0
    assert len(_seen(log)) == 7 + 3
    assert fewer.records("date") == []
    assert fewer.summary["cache"]["fingerprint"] != full.summary["cache"]["fingerprint"]

    # a library or model package upgraded (a new spaCy model finds other entities):
    # everything is redone, though no plugin changed
    site = tmp_path / "site"
    dist = site / "fakelib-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: fakelib\nVersion: 1.0\n")
    monkeypatch.syspath_prepend(str(site))
    before = run_flow([corpus], out, time_limit=0)
    assert len(_seen(log)) == 10 + 3
    dist = dist.rename(site / "fakelib-1.1.dist-info")
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: fakelib\nVersion: 1.1\n")
    upgraded = run_flow([corpus], out, time_limit=0)
    assert upgraded.summary["cache"]["reused"] == 0
    assert len(_seen(log)) == 13 + 3
    assert upgraded.summary["cache"]["fingerprint"] != before.summary["cache"]["fingerprint"]
    assert upgraded.jsonl_bytes() == full.jsonl_bytes()


def test_duplicate_content_added_before_a_reused_document_is_still_a_duplicate(
    run_flow: Run, tmp_path: Path
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEEDS / "central_bank_rates.txt", corpus / "b_rates.txt")
    out = tmp_path / "out"
    run_flow([corpus], out, time_limit=0)
    shutil.copy(SEEDS / "central_bank_rates.txt", corpus / "a_rates.txt")
    again = run_flow([corpus], out, time_limit=0)
    # a_rates.txt now comes first: it is the document, b_rates.txt the duplicate
    (doc,) = again.records("document")
    assert doc["source"].endswith("a_rates.txt")
    (reject,) = again.records("reject")
    assert reject["source"].endswith("b_rates.txt") and "duplicate" in reject["error"]
    assert again.summary["cache"]["reused"] == 0
