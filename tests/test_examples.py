"""examples/docmill-money, installed as a real distribution, runs through the real flow."""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from docmill.plugins import build_manager
from docmill.runs.lineage import trace
from tests.conftest import ROOT, SEEDS, RunResult, check_offsets

EXAMPLE = ROOT / "examples" / "docmill-money"

ARTICLE = (
    "Acme buys Widgets Ltd\n\n"
    "Acme Corp agreed to pay $1.2 billion, or 300 euros a share, the company said.\n"
)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The example built and installed with pip (once per module) on sys.path."""
    target = tmp_path_factory.mktemp("site")
    source = tmp_path_factory.mktemp("src") / EXAMPLE.name  # setuptools writes build/ there
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("build", "*.egg-info"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--disable-pip-version-check",
            "--target",
            str(target),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    from docmill.orchestration import manager

    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(target))
        importlib.invalidate_caches()
        manager.get_manager.cache_clear()
        yield target
        sys.modules.pop("docmill_money", None)
    manager.get_manager.cache_clear()


def test_the_installed_example_is_an_active_plugin(installed: Path) -> None:
    mgr = build_manager(order={})
    info = mgr.infos["money"]
    assert (info.status, info.version, info.requires) == ("active", "0.1.0", "<0.2,>=0.1")
    assert info.module == "docmill_money"
    assert Path(sys.modules["docmill_money"].__file__ or "").parent == installed  # not the source
    assert "money" in [name for name, _ in mgr.ordered("extract")]


@pytest.mark.flow
def test_the_example_in_real_runs_traceable_and_reproducible(
    installed: Path, run_flow: Callable[..., RunResult], tmp_path: Path
) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "acme.txt").write_text(ARTICLE, encoding="utf-8")
    (inputs / "rates.txt").write_bytes((SEEDS / "central_bank_rates.txt").read_bytes())
    first = run_flow([inputs], tmp_path / "out")
    money = first.records("money")
    amounts = {(m["text"], m["currency"], m["amount"]) for m in money}
    assert {("$1.2 billion", "USD", 1.2e9), ("300 euros", "EUR", 300.0)} <= amounts
    assert all(m["plugin"] == "money" for m in money)
    assert check_offsets(first) >= len(money)
    assert first.summary["plugins"]["money"] == "0.1.0"

    # Lineage: every line of every JSONL file traces to a plugin, its version and the run.
    traced = 0
    for path in sorted(first.folder.glob("*.jsonl")):
        for number in range(1, len(path.read_bytes().splitlines()) + 1):
            lineage = trace(path, number)
            assert lineage.run_id == first.summary["run_id"]
            assert lineage.plugin_version
            traced += 1
    assert traced == sum(first.summary["counts"].values())

    # ... while a second run writes byte-identical JSONL under another run id.
    second = run_flow([inputs], tmp_path / "out")
    assert second.summary["run_id"] != first.summary["run_id"]
    assert second.jsonl_bytes() == first.jsonl_bytes()


def test_trace_refuses_what_it_cannot_trace(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from docmill.cli import EXIT_USAGE, app

    loose = tmp_path / "moneys.jsonl"
    loose.write_text('{"kind":"money","plugin":"money"}\n')
    runner = CliRunner()
    not_a_run = runner.invoke(app, ["trace", f"{loose}:1"])
    assert not_a_run.exit_code == EXIT_USAGE and "not a complete run folder" in not_a_run.output
    (tmp_path / "manifest.json").write_text(
        '{"run_id": "r1", "docmill_version": "0.1.0", "plugins": {"money": "0.1.0"}}'
    )
    traced = runner.invoke(app, ["trace", str(loose)])
    assert traced.exit_code == 0, traced.output
    assert '"plugin_version": "0.1.0"' in traced.stdout and '"run_id": "r1"' in traced.stdout
    past_the_end = runner.invoke(app, ["trace", f"{loose}:2"])
    assert past_the_end.exit_code == EXIT_USAGE and "has 1 lines" in past_the_end.output
    loose.write_text('{"kind":"money","plugin":"gone"}\n')
    unknown = runner.invoke(app, ["trace", f"{loose}:1"])
    assert (
        unknown.exit_code == EXIT_USAGE
        and "'gone' is not among the run's plugins" in unknown.output
    )
