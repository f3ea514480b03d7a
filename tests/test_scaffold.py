"""`docmill plugins new`: packages of every kind that install, are listed and pass their tests."""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from docmill.cli import EXIT_USAGE, app
from docmill.scaffold import HOOKS, KINDS, ScaffoldError, next_steps, render, scaffold
from tests.plugin_venv import Venv, harness_api_url

runner = CliRunner()


@pytest.mark.parametrize("kind", KINDS)
def test_a_hyphenated_name_makes_a_package_of_every_kind(kind: str) -> None:
    files = render("my-plugin", kind)
    assert set(files) == {
        "pyproject.toml",
        "README.md",
        "docmill_my_plugin.py",
        "tests/test_my_plugin.py",
    }
    pyproject = files["pyproject.toml"]
    assert 'name = "docmill-my-plugin"' in pyproject
    assert 'my_plugin = "docmill_my_plugin"' in pyproject and "docmill>=" in pyproject
    module = files["docmill_my_plugin.py"]
    compile(module, "docmill_my_plugin.py", "exec")
    compile(files["tests/test_my_plugin.py"], "test_my_plugin.py", "exec")
    assert re.search(rf"^def {HOOKS[kind]}\(", module, re.MULTILINE), module
    assert f"docmill plugins --hook {HOOKS[kind]}" in files["README.md"]


@pytest.mark.parametrize("kind", KINDS)
def test_the_next_steps_printed_are_commands_that_work(kind: str) -> None:
    steps = next_steps("tariffs", kind)
    assert steps[0] == "pip install -e docmill-tariffs"
    (listing,) = [s for s in steps if s.startswith("docmill plugins --hook")]
    listed = runner.invoke(app, shlex.split(listing)[1:])
    assert listed.exit_code == 0, listed.output
    assert isinstance(json.loads(listed.stdout), list)
    if kind == "segment":  # a segmenter replaces the built-in one: the hint says how
        assert any("-p no:segment_text" in s for s in steps)


def test_bad_names_kinds_and_existing_folders_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ScaffoldError, match="lowercase"):
        render("Money-Plugin", "extract")
    with pytest.raises(ScaffoldError, match="lowercase"):
        render("money-", "extract")
    with pytest.raises(ScaffoldError, match="no scaffold for 'sink'"):
        render("money", "sink")
    result = runner.invoke(app, ["plugins", "new", "2fast", "--dir", str(tmp_path)])
    assert result.exit_code == EXIT_USAGE and "lowercase" in result.output
    ok = runner.invoke(app, ["plugins", "new", "my-tariffs", "--dir", str(tmp_path)])
    assert ok.exit_code == 0, ok.output
    assert (tmp_path / "docmill-my-tariffs" / "docmill_my_tariffs.py").is_file()
    assert f"pip install -e {tmp_path / 'docmill-my-tariffs'}" in ok.output
    again = runner.invoke(app, ["plugins", "new", "my_tariffs", "--dir", str(tmp_path)])
    assert again.exit_code == EXIT_USAGE and "already exists" in again.output
    with pytest.raises(ScaffoldError, match="already exists"):
        scaffold("my-tariffs", "load", tmp_path)


@pytest.mark.flow
@pytest.mark.slow
def test_every_kind_installs_is_listed_and_passes_its_tests(
    prefect_api: None, tmp_path: Path
) -> None:
    venv = Venv(tmp_path / "venv", harness_api_url())
    folders = []
    for kind in KINDS:  # the command itself, in this process (the tutorial runs it in a venv)
        made = runner.invoke(
            app, ["plugins", "new", f"demo-{kind}", "--stage", kind, "--dir", str(tmp_path)]
        )
        assert made.exit_code == 0, made.output
        folders.append(f"docmill-demo-{kind}")
    installs = " ".join(f"-e {name}" for name in folders)
    # The packages' build requirements installed once, for the six builds to share (pip
    # would install them anew in an isolated environment for each); pip still checks that
    # what each pyproject.toml requires is there.
    (requires,) = {
        tuple(tomllib.loads((tmp_path / f / "pyproject.toml").read_text())["build-system"]
              ["requires"])
        for f in folders
    }
    listed = venv.sh(
        f"pip install --quiet {shlex.join(requires)}"
        f" && pip install --quiet --no-deps --no-build-isolation --check-build-dependencies"
        f" {installs} && docmill plugins",
        cwd=tmp_path,
        timeout=900,
    )
    rows = {row["name"]: row for row in json.loads(listed.stdout)}
    for kind in KINDS:
        row = rows[f"demo_{kind}"]
        assert row["status"] == "active", row
        assert HOOKS[kind] in row["hooks"]
        assert row["requires"].startswith("<")
    # A docmill.toml where pytest runs must not leak into the tests' settings: read, its
    # unknown keys would stop every run and every settings check.
    (tmp_path / "docmill.toml").write_text(
        "".join(f"[plugins.demo_{kind}]\nno_such_key = 1\n" for kind in KINDS)
    )
    tests = " ".join(f"{name}/tests" for name in folders)
    tested = venv.sh(f"pytest -q {tests}", cwd=tmp_path, timeout=900)
    summary = tested.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"=* ?\d+ passed in .*", summary), tested.stdout
    assert int(summary.strip("= ").split()[0]) >= 2 * len(KINDS)
