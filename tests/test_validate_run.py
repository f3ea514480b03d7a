"""``docmill validate RUN`` on a real run folder, intact and tampered with in each way it checks."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from docmill.cli import EXIT_INVALID, app
from docmill.engine.stages import record_kinds
from docmill.plugins import build_manager
from docmill.runs.validate import RunInvalid, validate_run
from tests.conftest import SEEDS, RunResult

pytestmark = pytest.mark.flow


@pytest.fixture
def run_folder(run_flow: Callable[..., RunResult], tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("central_bank_rates.txt", "school_robotics_team.md"):
        shutil.copy(SEEDS / name, corpus / name)
    (corpus / "empty.txt").write_bytes(b"")  # one reject too
    return run_flow([corpus], tmp_path / "out", time_limit=0).folder


def _copy(folder: Path, tmp_path: Path, name: str) -> Path:
    return Path(shutil.copytree(folder, tmp_path / name))


def _rewrite(folder: Path, file_name: str, edit: Callable[[list[bytes]], list[bytes]]) -> None:
    """Change a JSONL file and record its new sha256, so only the check under test fails."""
    path = folder / file_name
    path.write_bytes(b"".join(line + b"\n" for line in edit(path.read_bytes().splitlines())))
    manifest = orjson.loads((folder / "manifest.json").read_bytes())
    manifest["hashes"][file_name] = hashlib.sha256(path.read_bytes()).hexdigest()
    (folder / "manifest.json").write_bytes(orjson.dumps(manifest))


def _first_changed(lines: list[bytes], **changes: object) -> list[bytes]:
    record = orjson.loads(lines[0])
    for key, value in changes.items():
        if value is None:
            record.pop(key)
        else:
            record[key] = value
    return [orjson.dumps(record), *lines[1:]]


def _check(folder: Path) -> dict[str, int]:
    return validate_run(folder, record_kinds(build_manager()))


def test_a_fresh_run_validates(run_folder: Path) -> None:
    manifest = orjson.loads((run_folder / "manifest.json").read_bytes())
    checked = _check(run_folder)
    assert checked == {k: n for k, n in manifest["counts"].items() if k in checked}
    assert checked["document"] == 2 and checked["reject"] == 1
    assert set(manifest["hashes"]) >= set(manifest["files"].values())
    result = CliRunner().invoke(app, ["validate", str(run_folder)])
    assert result.exit_code == 0, result.output
    assert "ok" in result.output


def test_each_mismatch_is_named(run_folder: Path, tmp_path: Path) -> None:
    # a byte changed after the run: the hash says so, and the CLI exits 4
    changed = _copy(run_folder, tmp_path, "changed")
    path = changed / "entities.jsonl"
    path.write_bytes(path.read_bytes().replace(b'"label":"', b'"label":"X', 1))
    with pytest.raises(RunInvalid, match=r"entities\.jsonl: sha256 .* differs"):
        _check(changed)
    result = CliRunner().invoke(app, ["validate", str(changed)])
    assert result.exit_code == EXIT_INVALID
    assert "entities.jsonl" in result.output and "sha256" in result.output

    # a record that no longer fits its schema (hash updated to match)
    broken = _copy(run_folder, tmp_path, "broken")
    _rewrite(broken, "entities.jsonl", lambda ls: _first_changed(ls, label=None))
    with pytest.raises(RunInvalid, match=r"entities\.jsonl, line 1: not a valid entity: label"):
        _check(broken)

    # a record of another kind in the file
    wrong_kind = _copy(run_folder, tmp_path, "wrong_kind")
    _rewrite(wrong_kind, "dates.jsonl", lambda ls: _first_changed(ls, kind="entity"))
    with pytest.raises(RunInvalid, match=r"dates\.jsonl, line 1: kind 'entity'"):
        _check(wrong_kind)

    # a line lost: the count no longer matches the manifest
    short = _copy(run_folder, tmp_path, "short")
    _rewrite(short, "segments.jsonl", lambda ls: ls[:-1])
    with pytest.raises(RunInvalid, match=r"segments\.jsonl: \d+ records, the manifest counts"):
        _check(short)

    # a span pointing at a document that is not in the run
    orphan = _copy(run_folder, tmp_path, "orphan")
    _rewrite(orphan, "segments.jsonl", lambda ls: _first_changed(ls, doc_id="0" * 16))
    with pytest.raises(RunInvalid, match="is not a document of the run"):
        _check(orphan)

    # a file gone
    missing = _copy(run_folder, tmp_path, "missing")
    (missing / "quotes.jsonl").unlink()
    with pytest.raises(RunInvalid, match=r"quotes\.jsonl: listed in the manifest but missing"):
        _check(missing)

    # not a run folder at all
    with pytest.raises(RunInvalid, match=r"no manifest\.json"):
        _check(tmp_path)
