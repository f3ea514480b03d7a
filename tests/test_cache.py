"""Incremental reruns through the real flow: what is reused, what is redone, same bytes."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from docmill.runs import cache
from docmill.runs.manifest import read_manifest
from docmill.runs.summary import summary_rows
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


@pytest.fixture
def counted(
    tmp_path: Path, install_plugin: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, Path]:
    """(corpus of 3 seeds, log of the documents that went through extract)."""
    log = tmp_path / "seen.log"
    monkeypatch.setenv("DOCMILL_TEST_SEEN_LOG", str(log))
    install_plugin("seen_counter", COUNTER)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in sorted(p.name for p in SEEDS.iterdir())[:3]:
        shutil.copy(SEEDS / name, corpus / name)
    return corpus, log


def test_rerun_reuses_unchanged_documents_and_redoes_the_rest(
    run_flow: Run,
    tmp_path: Path,
    counted: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    corpus, log = counted
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


# --- verified reuse: an earlier run's records are checked before they are copied ---

#: Another extractor that empties the file named in DOCMILL_TEST_DAMAGE when it sees a
#: document: an earlier run damaged while this run is under way.
DAMAGER = """
import os
from pathlib import Path
from docmill.hookspecs import hookimpl

@hookimpl
def extract(doc):
    target = os.environ.get("DOCMILL_TEST_DAMAGE")
    if target:
        Path(target).write_bytes(b"")
    return []
"""


def _tamper(path: Path) -> None:
    """Change one value inside a record (as a bad disk, a sync tool or an edit would)."""
    data = path.read_bytes()
    assert b'"label":"PERSON"' in data
    path.write_bytes(data.replace(b'"label":"PERSON"', b'"label":"ORG"', 1))


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


DAMAGE: dict[str, Callable[[Path], None]] = {
    "tampered": _tamper,
    "truncated": _truncate,
    "deleted": Path.unlink,
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_earlier_run_is_never_reused_and_the_run_says_so(
    run_flow: Run, tmp_path: Path, counted: tuple[Path, Path], damage: str
) -> None:
    corpus, log = counted
    out = tmp_path / "out"
    clean = run_flow([corpus], out, time_limit=0)
    expected = clean.jsonl_bytes()
    DAMAGE[damage](clean.folder / "entities.jsonl")

    with pytest.warns(cache.ReuseWarning) as caught:
        again = run_flow([corpus], out, time_limit=0)
    (message,) = [str(w.message) for w in caught if w.category is cache.ReuseWarning]
    assert str(clean.folder) in message and "entities.jsonl" in message
    assert "not reused" in message
    # every document of the damaged run went through the stages again
    assert len(_seen(log)) == 3 + 3
    assert again.summary["cache"]["reused"] == 0
    assert again.summary["cache"]["damaged"] == 3
    assert ("damaged in earlier runs", "3") in summary_rows(read_manifest(again.folder))
    # and the damage did not propagate: the bytes the clean run wrote
    assert again.jsonl_bytes() == expected


def test_a_damaged_newest_run_gives_way_to_an_older_sound_one(
    run_flow: Run, tmp_path: Path, counted: tuple[Path, Path]
) -> None:
    corpus, log = counted
    out = tmp_path / "out"
    first = run_flow([corpus], out, time_limit=0)
    second = run_flow([corpus], out, time_limit=0)
    assert second.summary["cache"]["reused"] == 3
    _tamper(second.folder / "entities.jsonl")
    with pytest.warns(cache.ReuseWarning, match=second.folder.name):
        third = run_flow([corpus], out, time_limit=0)
    assert (third.summary["cache"]["reused"], third.summary["cache"]["damaged"]) == (3, 0)
    assert len(_seen(log)) == 3
    assert third.jsonl_bytes() == first.jsonl_bytes()


def test_an_unreadable_earlier_run_is_skipped_with_a_warning(
    run_flow: Run, tmp_path: Path, counted: tuple[Path, Path]
) -> None:
    corpus, log = counted
    out = tmp_path / "out"
    first = run_flow([corpus], out, time_limit=0)
    manifest = first.folder / "manifest.json"
    manifest.write_bytes(manifest.read_bytes()[:100])
    with pytest.warns(cache.ReuseWarning, match=rf"{first.folder.name} cannot be read .*not JSON"):
        again = run_flow([corpus], out, time_limit=0)
    assert again.summary["cache"]["reused"] == 0
    assert len(_seen(log)) == 6
    assert again.jsonl_bytes() == first.jsonl_bytes()


def test_records_changed_after_the_check_are_processed_again(
    run_flow: Run,
    tmp_path: Path,
    counted: tuple[Path, Path],
    install_plugin: Callable[..., str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    corpus, log = counted
    install_plugin("damager", DAMAGER)
    out = tmp_path / "out"
    first = run_flow([corpus], out, time_limit=0)
    expected = run_flow([corpus], tmp_path / "fresh", time_limit=0).jsonl_bytes()
    # a new first input: the reused ones are copied only after it went through extract,
    # where the damager empties the earlier run's entities.jsonl (after the check; it is
    # the only document that goes through extract)
    newest = sorted(SEEDS.iterdir())[-1]
    shutil.copy(newest, corpus / f"0_new{newest.suffix}")
    monkeypatch.setenv("DOCMILL_TEST_DAMAGE", str(first.folder / "entities.jsonl"))
    with pytest.warns(cache.ReuseWarning, match="changed since it was checked"):
        again = run_flow([corpus], out, time_limit=0)
    assert (again.summary["cache"]["reused"], again.summary["cache"]["damaged"]) == (0, 3)
    assert len(_seen(log)) == 6 + 4
    new = again.jsonl_bytes()
    for name, data in expected.items():  # the 3 old documents' lines, byte for byte
        assert all(line in new[name].splitlines() for line in data.splitlines()), name
