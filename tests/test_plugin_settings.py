"""Plugin settings: declared models, docmill.toml and env, start-up validation, `docmill config`."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from docmill.cli import EXIT_USAGE, app
from docmill.plugins import build_manager
from docmill.settings import PluginSettingsError, check_plugin_settings, plugin_settings

runner = CliRunner()

PLUGIN = """
from pydantic import BaseModel, Field

from docmill import hookimpl


class Settings(BaseModel):
    threshold: float = Field(default=0.5, ge=0, le=1)
    labels: list[str] = ["ORG"]


@hookimpl
def settings_model():
    return Settings
"""


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty current folder, no DOCMILL_* variables, a fresh settings cache."""
    for key in [k for k in os.environ if k.startswith("DOCMILL_")]:
        monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    plugin_settings.cache_clear()
    yield tmp_path
    plugin_settings.cache_clear()


def _checked() -> dict[str, object]:
    mgr = build_manager(order={})
    return {
        k: v.model_dump() for k, v in check_plugin_settings(mgr.ordered("settings_model")).items()
    }


def test_toml_then_env_with_json_values(
    here: Path, install_plugin: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    install_plugin("scorer", PLUGIN)
    assert _checked()["scorer"] == {"threshold": 0.5, "labels": ["ORG"]}
    (here / "docmill.toml").write_text('[plugins.scorer]\nthreshold = 0.8\nlabels = ["PERSON"]\n')
    plugin_settings.cache_clear()
    assert _checked()["scorer"] == {"threshold": 0.8, "labels": ["PERSON"]}
    monkeypatch.setenv("DOCMILL_PLUGINS__SCORER__THRESHOLD", "0.25")
    monkeypatch.setenv("DOCMILL_PLUGINS__SCORER__LABELS", '["GPE", "LOC"]')
    plugin_settings.cache_clear()
    assert _checked()["scorer"] == {"threshold": 0.25, "labels": ["GPE", "LOC"]}


def test_bad_values_and_misspelled_keys_fail_with_plugin_and_field(
    here: Path, install_plugin: Callable[..., str]
) -> None:
    install_plugin("scorer", PLUGIN)
    (here / "docmill.toml").write_text("[plugins.scorer]\nthreshold = 3\n")
    with pytest.raises(PluginSettingsError, match=r"'scorer'.*threshold: Input should be less"):
        _checked()
    (here / "docmill.toml").write_text("[plugins.scorer]\nthreshhold = 0.3\n")
    plugin_settings.cache_clear()
    with pytest.raises(
        PluginSettingsError,
        match=r"'scorer'.*unknown setting\(s\) threshhold \(known: labels, threshold\)",
    ):
        _checked()


def test_docmill_config_shows_every_plugins_settings(
    here: Path, install_plugin: Callable[..., str]
) -> None:
    install_plugin("scorer", PLUGIN)
    (here / "docmill.toml").write_text("[plugins.scorer]\nthreshold = 0.9\n")
    shown = runner.invoke(app, ["config"])
    assert shown.exit_code == 0, shown.output
    plugins = json.loads(shown.stdout)["plugins"]
    assert plugins["scorer"] == {"threshold": 0.9, "labels": ["ORG"]}
    assert "extract_entities" in plugins


def test_a_bad_setting_stops_a_run_before_any_work(
    here: Path, install_plugin: Callable[..., str]
) -> None:
    install_plugin("scorer", PLUGIN)
    (here / "in.txt").write_text("Some text.\n")
    (here / "docmill.toml").write_text("[plugins.scorer]\nthreshold = -1\n")
    result = runner.invoke(app, ["run", "in.txt", "--out", "out"])
    assert result.exit_code == EXIT_USAGE
    assert "invalid settings for plugin 'scorer'" in result.output and "threshold" in result.output
    assert not (here / "out").exists()
    # the flow itself checks too, before it creates a run folder (no Prefect call is made)
    from docmill.orchestration import flow

    with pytest.raises(PluginSettingsError, match="scorer"):
        asyncio.run(flow.docmill_flow.fn(paths=["in.txt"], out="out"))
    assert not (here / "out").exists()
