"""Plugin settings: declared models, docmill.toml and env, start-up validation, `docmill config`."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from docmill import CleanText, Document, EditedText
from docmill.cli import EXIT_USAGE, app
from docmill.plugins import build_manager
from docmill.settings import (
    PluginSettingsError,
    check_plugin_settings,
    override_plugin_settings,
    plugin_settings,
)

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


#: A plugin that never names itself: its extractor finds the word its settings name.
WORD_FINDER = """
from typing import Literal

from pydantic import BaseModel

from docmill import Span, hookimpl


class Word(Span):
    kind: Literal["word"] = "word"


class Settings(BaseModel):
    word: str = "harbour"


@hookimpl
def record_types():
    return [Word]


@hookimpl
def settings_model():
    return Settings


@hookimpl
def extract(doc, settings):
    assert isinstance(settings, Settings)
    i = doc.text.find(settings.word)
    return [Word(start=i, end=i + len(settings.word))] if i >= 0 else []
"""


def _doc(text: str) -> CleanText:
    return CleanText(Document(media_type="text/plain", text=text), EditedText(text))


def _found_by(mgr: Any, name: str, text: str) -> list[str]:
    """What plugin ``name``'s extractor finds in ``text``, called as the stages call it."""
    (call,) = [fn for plugin, fn in mgr.ordered("extract") if plugin == name]
    return [text[r.start : r.end] for r in call(doc=_doc(text), segments=[], found=[])]


def test_a_plugin_gets_its_settings_by_the_name_it_is_registered_under(
    here: Path, install_plugin: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same code under two entry-point names (a renamed entry point): each gets
    the settings of its own name, through the ``settings`` argument."""
    install_plugin("finder", WORD_FINDER)
    install_plugin("renamed_finder", WORD_FINDER)
    (here / "docmill.toml").write_text('[plugins.renamed_finder]\nword = "boats"\n')
    text = "The harbour is open; boats are back."
    mgr = build_manager(order={})
    assert _found_by(mgr, "finder", text) == ["harbour"]  # defaults: nothing set for it
    assert _found_by(mgr, "renamed_finder", text) == ["boats"]
    monkeypatch.setenv("DOCMILL_PLUGINS__FINDER__WORD", "open")
    mgr = build_manager(order={})
    assert _found_by(mgr, "finder", text) == ["open"]
    assert _found_by(mgr, "renamed_finder", text) == ["boats"]
    assert {k: v.model_dump() for k, v in mgr.settings().items() if "finder" in k} == {
        "finder": {"word": "open"},
        "renamed_finder": {"word": "boats"},
    }
    with override_plugin_settings({"finder": {"word": "back"}}):
        assert _found_by(mgr, "finder", text) == ["back"]
    assert _found_by(mgr, "finder", text) == ["open"]


def test_settings_are_validated_once_per_manager(
    here: Path, install_plugin: Callable[..., str]
) -> None:
    install_plugin("finder", WORD_FINDER)
    (here / "docmill.toml").write_text('[plugins.finder]\nword = "boats"\n')
    mgr = build_manager(order={})
    first = mgr.settings_of("finder")
    (here / "docmill.toml").write_text('[plugins.finder]\nword = "harbour"\n')
    assert mgr.settings_of("finder") is first  # the manager's, not re-read per call
    assert _found_by(mgr, "finder", "harbour boats") == ["boats"]
    fresh = build_manager(order={}).settings_of("finder")
    assert fresh is not None and fresh.model_dump() == {"word": "harbour"}
    mgr.settings(reload=True)  # what a run start does on a long-lived manager
    assert _found_by(mgr, "finder", "harbour boats") == ["harbour"]
    assert mgr.settings_of("load_text") is None  # declares no model


def test_a_plugin_whose_settings_fail_to_validate_fails_alone(
    here: Path, install_plugin: Callable[..., str]
) -> None:
    install_plugin("finder", WORD_FINDER)
    (here / "docmill.toml").write_text("[plugins.finder]\nword = 3\n")
    mgr = build_manager(order={})
    with pytest.raises(PluginSettingsError, match=r"'finder'.*word: Input should be a valid"):
        _found_by(mgr, "finder", "harbour")
    # a plugin that takes no settings argument is called as before
    (call,) = [fn for plugin, fn in mgr.ordered("extract") if plugin == "extract_quotes"]
    assert list(call(doc=_doc("No quotes."), segments=[], found=[])) == []
