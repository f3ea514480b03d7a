"""manifest.json as a format (:mod:`docmill.runs.manifest`): typed, byte-stable, old runs readable.

``tests/fixtures/run-0.1.0`` is a complete run folder written by docmill 0.1.0
(``docmill run`` on main, before the manifest became a model): one short note,
every file as that run wrote it, report.html included.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from docmill.records import CORE_RECORD_TYPES
from docmill.runs.manifest import (
    MANIFEST,
    Manifest,
    ManifestError,
    NotARunError,
    manifest_bytes,
    read_manifest,
    write_manifest,
)
from docmill.runs.validate import RunInvalid, validate_run

OLD_RUN = Path(__file__).parent / "fixtures" / "run-0.1.0"
CORE_KINDS = {t.kind_name(): t for t in CORE_RECORD_TYPES}


def _old_run_edited(tmp_path: Path, **changes: object) -> Path:
    """A copy of the 0.1.0 run whose manifest has ``changes`` (None removes a key)."""
    folder = Path(shutil.copytree(OLD_RUN, tmp_path / OLD_RUN.name))
    data = orjson.loads((folder / MANIFEST).read_bytes())
    for key, value in changes.items():
        if value is None:
            del data[key]
        else:
            data[key] = value
    (folder / MANIFEST).write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2))
    return folder


def test_a_manifest_written_before_the_model_reads_and_writes_back_the_same_bytes(
    tmp_path: Path,
) -> None:
    manifest = read_manifest(OLD_RUN)
    assert manifest.run_id == "20261130T045034699334Z-b94c9d"
    assert manifest.started.tzinfo is not None and manifest.seconds > 0
    assert [(i.source, i.status) for i in manifest.inputs] == [("tiny/note.txt", "document")]
    assert manifest.cache is not None and manifest.cache.reprocessed == 1
    assert manifest.hashes is not None and "documents.jsonl" in manifest.hashes
    assert manifest_bytes(manifest) == (OLD_RUN / MANIFEST).read_bytes()
    write_manifest(tmp_path, manifest)
    assert (tmp_path / MANIFEST).read_bytes() == (OLD_RUN / MANIFEST).read_bytes()


def test_a_run_folder_written_before_the_model_still_validates() -> None:
    from docmill.cli import app

    checked = validate_run(OLD_RUN, CORE_KINDS)
    assert checked["document"] == 1 and checked["entity"] == 4
    result = CliRunner().invoke(app, ["validate", str(OLD_RUN)])
    assert result.exit_code == 0, result.output
    assert "ok" in result.output


def test_a_manifest_without_file_hashes_is_refused_with_what_is_missing(tmp_path: Path) -> None:
    from docmill.cli import EXIT_INVALID, app

    folder = _old_run_edited(tmp_path, hashes=None)
    assert read_manifest(folder).hashes is None  # it reads: only the check needs hashes
    with pytest.raises(RunInvalid, match=r"no 'hashes' entry .*did not record file hashes"):
        validate_run(folder, CORE_KINDS)
    result = CliRunner().invoke(app, ["validate", str(folder)])
    assert result.exit_code == EXIT_INVALID
    assert "no 'hashes' entry" in result.output


def test_a_manifest_missing_fields_or_with_wrong_types_is_refused_naming_them(
    tmp_path: Path,
) -> None:
    folder = _old_run_edited(tmp_path / "a", counts=None, files=None)
    with pytest.raises(ManifestError, match=r"manifest\.json: not a docmill run manifest: "):
        read_manifest(folder)
    with pytest.raises(RunInvalid, match=r"no 'counts', 'files'"):
        validate_run(folder, CORE_KINDS)
    wrong = _old_run_edited(tmp_path / "b", seconds="soon")
    with pytest.raises(ManifestError, match=r"'seconds': Input should be a valid number"):
        read_manifest(wrong)
    (wrong / MANIFEST).write_text("[1, 2]")
    with pytest.raises(ManifestError, match="a JSON list, not a run manifest"):
        read_manifest(wrong)
    (wrong / MANIFEST).write_text("{")
    with pytest.raises(ManifestError, match="not JSON"):
        read_manifest(wrong)


def test_a_folder_without_manifest_is_not_a_run(tmp_path: Path) -> None:
    with pytest.raises(NotARunError, match=r"is not a run folder \(no manifest\.json\)"):
        read_manifest(tmp_path)
    with pytest.raises(RunInvalid, match=r"no manifest\.json"):
        validate_run(tmp_path, CORE_KINDS)


def test_keys_a_newer_docmill_writes_are_kept(tmp_path: Path) -> None:
    folder = _old_run_edited(tmp_path, lineage={"parent": "r0"})
    manifest = read_manifest(folder)
    assert manifest.model_extra == {"lineage": {"parent": "r0"}}
    expected = orjson.loads((folder / MANIFEST).read_bytes())
    assert orjson.loads(manifest_bytes(manifest)) == expected


def test_a_run_in_progress_has_no_hashes_or_cache_entry_yet() -> None:
    # What run_complete implementations receive: the manifest before hashes exist.
    data = orjson.loads((OLD_RUN / MANIFEST).read_bytes())
    del data["hashes"], data["cache"]
    manifest = Manifest.model_validate(data)
    assert manifest.to_dict() == data
