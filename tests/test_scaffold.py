"""`docmill plugins new`: a package that installs, is listed at once, and passes its test."""

from __future__ import annotations

import importlib
import inspect
import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from docmill.cli import EXIT_USAGE, app
from docmill.scaffold import STAGES, ScaffoldError, render, scaffold
from tests.plugin_venv import Venv

runner = CliRunner()


@pytest.mark.parametrize("stage", STAGES)
def test_every_stage_scaffold_passes_its_own_test(
    stage: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = f"demo_{stage}"
    folder = scaffold(name, stage, tmp_path)
    assert folder.name == f"docmill-demo-{stage}"
    pyproject = (folder / "pyproject.toml").read_text()
    assert f'{name} = "docmill_{name}"' in pyproject and "docmill>=" in pyproject
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.syspath_prepend(str(folder / "tests"))
    try:
        tests = importlib.import_module(f"test_{name}")
        functions = [
            f for n, f in inspect.getmembers(tests, inspect.isfunction) if n.startswith("test_")
        ]
        assert functions
        for test in functions:
            test()
    finally:
        for module in (f"docmill_{name}", f"test_{name}"):
            sys.modules.pop(module, None)


def test_bad_names_stages_and_existing_folders_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ScaffoldError, match="lowercase"):
        render("Money-Plugin", "extract")
    with pytest.raises(ScaffoldError, match="no scaffold for stage"):
        render("money", "segment")
    result = runner.invoke(app, ["plugins", "new", "2fast", "--dir", str(tmp_path)])
    assert result.exit_code == EXIT_USAGE and "lowercase" in result.output
    ok = runner.invoke(app, ["plugins", "new", "tariffs", "--dir", str(tmp_path)])
    assert ok.exit_code == 0, ok.output
    again = runner.invoke(app, ["plugins", "new", "tariffs", "--dir", str(tmp_path)])
    assert again.exit_code == EXIT_USAGE and "already exists" in again.output


@pytest.mark.slow
def test_scaffold_installs_is_listed_at_once_and_its_test_passes(tmp_path: Path) -> None:
    venv = Venv(tmp_path / "venv")
    venv.sh("docmill plugins new tariffs --stage extract", cwd=tmp_path)
    package = tmp_path / "docmill-tariffs"
    listed = venv.sh(
        "pip install --quiet -e docmill-tariffs && docmill plugins --hook extract", cwd=tmp_path
    )
    rows = {row["name"]: row for row in json.loads(listed.stdout)}
    assert rows["tariffs"]["status"] == "active"
    assert rows["tariffs"]["hooks"] == ["extract", "record_types", "settings_model"]
    assert rows["tariffs"]["requires"].startswith("<")
    tested = venv.sh("pytest -q", cwd=package)
    assert "2 passed" in tested.stdout
