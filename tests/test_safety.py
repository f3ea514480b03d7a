"""Safety: nothing written outside the output folder, no machine paths in outputs,
plugins only from entry points and the built-in list, broken plugins named at start-up.
"""

from __future__ import annotations

import json
import os
import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from docmill.cli import EXIT_OK, EXIT_REJECTS, app
from docmill.engine import stages
from docmill.plugins import PluginLoadWarning, build_manager
from docmill.runs.folder import latest_run
from docmill.runs.manifest import read_manifest
from tests.conftest import SEEDS

runner = CliRunner()

#: A would-be plugin planted in the input folder: importing it leaves a mark.
PLANTED = """
from pathlib import Path
Path(__file__).with_name("IMPORTED").write_text("planted code ran")
from docmill import hookimpl

@hookimpl
def extract(doc):
    return []
"""


def _plant(folder: Path) -> None:
    """Every way an input folder could try to get code loaded as a docmill plugin."""
    for rel in ("plugins/evil.py", "plugins/__init__.py", "docmill_evil.py", "conftest.py"):
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(PLANTED.replace("IMPORTED", f"IMPORTED-{rel.replace('/', '_')}"))
    dist = folder / "docmill_evil-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: docmill-evil\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[docmill]\nevil = docmill_evil\n")
    (folder / "docmill.toml").write_text('[plugins.evil]\nenabled = true\n')


@pytest.mark.flow
def test_cli_run_from_a_hostile_folder_loads_no_planted_code_and_writes_only_its_run(
    prefect_api: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    install_plugin: Callable[..., str],
) -> None:
    install_plugin("kaput", "raise RuntimeError('kaput at import')\n")
    install_plugin(
        "badsig",
        """
        from docmill import hookimpl

        @hookimpl
        def extract(document):
            return []
        """,
    )
    work = tmp_path / "work dir"
    inputs = work / "-inputs"
    inputs.mkdir(parents=True)
    _plant(work)
    _plant(inputs)
    for seed in ("central_bank_rates.txt", "river_cleanup_volunteers.md"):
        shutil.copy(SEEDS / seed, inputs / seed)
    monkeypatch.chdir(work)
    before = {p for p in tmp_path.rglob("*")}
    result = runner.invoke(app, ["run", "--out", "out", "--", "-inputs"])
    assert result.exit_code in (EXIT_OK, EXIT_REJECTS), result.output
    # broken plugins are named at start-up, and the run goes on without them
    assert "plugin 'kaput' skipped: RuntimeError: kaput at import" in result.output
    (badsig,) = [line for line in result.output.splitlines() if "plugin 'badsig' skipped" in line]
    assert "document" in badsig  # the argument no hook has
    # planted code never ran: plugins come from installed entry points and built-ins only
    assert not list(tmp_path.rglob("IMPORTED*"))
    run = latest_run(work / "out")
    assert run is not None
    manifest = read_manifest(run)
    assert "evil" not in manifest.plugins and "kaput" not in manifest.plugins
    sources = {i.source for i in manifest.inputs}
    assert {"-inputs/conftest.py", "-inputs/plugins/evil.py", "-inputs/docmill_evil.py"} <= sources
    # nothing written outside the output folder
    after = {p for p in tmp_path.rglob("*")}
    new = {p for p in after - before if "__pycache__" not in p.parts}
    assert new and all(p.is_relative_to(work / "out") for p in new), sorted(new)
    # no absolute path of this machine in any output file
    machine = [str(tmp_path), str(Path.home()), os.getcwd(), str(Path(__file__).parent.parent)]
    for path in (work / "out").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for prefix in machine:
                assert prefix.encode() not in data, (path.name, prefix)
                assert json.dumps(prefix)[1:-1].encode() not in data, (path.name, prefix)


def test_a_record_kind_that_is_a_path_never_becomes_a_file(
    install_plugin: Callable[..., str],
) -> None:
    install_plugin(
        "escape",
        textwrap.dedent(
            """
            from typing import Literal
            from docmill import Span, hookimpl

            class Escape(Span):
                kind: Literal["../../escape"] = "../../escape"

            class Shouty(Span):
                kind: Literal["Big/Kind"] = "Big/Kind"

            class NoKind(Span):
                kind: str

            @hookimpl
            def record_types():
                return [Escape, Shouty, NoKind]
            """
        ),
    )
    kinds = stages.record_kinds(build_manager())
    assert not any("/" in k or "." in k for k in kinds)
    assert {t.file_name() for t in kinds.values()} >= {"documents.jsonl", "rejects.jsonl"}
    assert all("/" not in t.file_name() for t in kinds.values())


def test_broken_plugins_are_reported_by_name_by_docmill_plugins(
    install_plugin: Callable[..., str],
) -> None:
    install_plugin("missing_dep", "import this_module_does_not_exist\n")
    install_plugin(
        "typo",
        """
        from docmill import hookimpl

        @hookimpl
        def segmnt(doc):
            return []
        """,
    )
    with pytest.warns(PluginLoadWarning) as caught:
        mgr = build_manager()
    warned = " ".join(str(w.message) for w in caught)
    assert "'missing_dep'" in warned and "'typo'" in warned
    result = runner.invoke(app, ["plugins"])
    rows = {r["name"]: r for r in json.loads(result.stdout)}
    assert rows["missing_dep"]["status"] == "failed"
    assert "No module named 'this_module_does_not_exist'" in rows["missing_dep"]["error"]
    assert rows["typo"]["status"] == "failed" and "segmnt" in rows["typo"]["error"]
    assert mgr.infos["segment_text"].status == "active"
