"""How a run picks its task runner: settings (docmill.toml, DOCMILL_*), flags winning."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from docmill.cli import EXIT_USAGE, app
from docmill.orchestration.runners import RunnerOptions
from docmill.settings import Settings


def test_flags_win_over_settings_and_address_means_dask(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "docmill.toml").write_text('runner = "dask"\nworkers = 3\n')
    from_file = RunnerOptions.from_settings(Settings())
    assert (from_file.runner, from_file.workers, from_file.batches_in_flight) == ("dask", 3, 6)

    monkeypatch.setenv("DOCMILL_WORKERS", "4")
    assert RunnerOptions.from_settings(Settings()).workers == 4
    flagged = RunnerOptions.from_settings(Settings(), runner="local", workers=None, in_flight=2)
    assert (flagged.runner, flagged.workers, flagged.batches_in_flight) == ("local", 4, 2)

    (tmp_path / "docmill.toml").write_text("")
    remote = RunnerOptions.from_settings(Settings(), address="tcp://10.0.0.5:8786")
    assert (remote.runner, remote.address) == ("dask", "tcp://10.0.0.5:8786")
    monkeypatch.delenv("DOCMILL_WORKERS")
    local = RunnerOptions.from_settings(Settings())
    # locally: one plugin process, and one batch more in flight to keep it busy
    assert (local.processes, local.plugin_workers, local.batches_in_flight) == (1, 1, 2)
    dask = RunnerOptions.from_settings(Settings(), runner="dask")
    assert (dask.processes, dask.plugin_workers, dask.batches_in_flight) == (2, 1, 4)


def test_an_unknown_runner_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Some text.\n")
    result = CliRunner().invoke(app, ["run", str(tmp_path / "a.txt"), "--runner", "ray"])
    assert result.exit_code == EXIT_USAGE
    assert "unknown runner 'ray'" in result.output
