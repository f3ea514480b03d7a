"""Run folders (:mod:`docmill.runs.folder`): what a killed run leaves, and who clears it away."""

from __future__ import annotations

import os
import time
from pathlib import Path

from docmill.runs.folder import RunFolder, remove_stale_partials


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_only_folders_of_dead_runs_are_removed(tmp_path: Path) -> None:
    live = RunFolder(tmp_path, "20260101T000000000000Z-aaaaaa")
    live.create()
    (live.tmp / "documents.jsonl").write_text("{}\n")
    _age(live.tmp, 3600)  # a long run: old, but its process holds the lock
    dead = tmp_path / ".partial-20250101T000000000000Z-bbbbbb"  # a run killed an hour ago
    dead.mkdir()
    (dead / "documents.jsonl").write_text("{}\n")
    _age(dead, 3600)
    young = tmp_path / ".partial-20260101T000000000001Z-cccccc"  # made, not yet locked
    young.mkdir()
    complete = tmp_path / "20240101T000000000000Z-dddddd"
    complete.mkdir()
    _age(complete, 3600)

    assert remove_stale_partials(tmp_path) == [dead]
    assert not dead.exists()
    assert live.tmp.is_dir() and young.is_dir() and complete.is_dir()

    live.abandon()  # ends the run: its folder goes, and so does its lock
    assert not live.tmp.exists()
