"""docmill.testing: plugins over a text or file, the real validation, and the real flow."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import BaseModel

from docmill import Span, hookimpl
from docmill.settings import PluginSettingsError, plugin_settings
from docmill.testing import PluginFailed, make_manager, run_flow, run_plugins

# A boilerplate line the built-in cleaner removes, so cleaned and source offsets differ.
TEXT = "READ ALSO: Harbour closes\n\nThe\u00a0harbour reopened. A harbour pilot said so.\n"


class Harbour(Span):
    kind: Literal["harbour"] = "harbour"


class HarbourSettings(BaseModel):
    word: str = "harbour"


class HarbourPlugin:
    """Finds a word (a setting) in the cleaned text."""

    @hookimpl
    def record_types(self) -> list[type[Harbour]]:
        return [Harbour]

    @hookimpl
    def settings_model(self) -> type[BaseModel]:
        return HarbourSettings

    @hookimpl
    def extract(self, doc: Any) -> list[Harbour]:
        word = plugin_settings("harbour", HarbourSettings).word
        out, i = [], doc.text.find(word)
        while i >= 0:
            out.append(Harbour(start=i, end=i + len(word)))
            i = doc.text.find(word, i + 1)
        return out


PLUGIN = ("harbour", HarbourPlugin())


class Broken:
    def __init__(self, record: Any) -> None:
        self.record = record

    @hookimpl
    def record_types(self) -> list[type[Harbour]]:
        return [Harbour]

    @hookimpl
    def extract(self, doc: Any) -> list[Any]:
        return [self.record(doc)]


def test_records_by_kind_in_source_offsets_with_ids() -> None:
    result = run_plugins(PLUGIN, text=TEXT)
    found = result.records("harbour")
    assert len(found) == 2
    assert result.document is not None and result.document.text == TEXT
    assert [result.source_text(r) for r in found] == ["harbour", "harbour"]
    assert all(r.plugin == "harbour" and r.id and r.doc_id == result.document.id for r in found)
    assert TEXT.index("READ ALSO") < found[0].start  # mapped past the removed line
    kinds = result.by_kind()
    assert {"document", "edit", "segment", "harbour"} <= set(kinds)
    assert not result.errors


def test_a_file_input(tmp_path: Path) -> None:
    path = tmp_path / "note.md"
    path.write_text("# Title\n\nThe harbour.\n", encoding="utf-8")
    result = run_plugins(PLUGIN, path=path)
    assert result.document is not None and result.document.source == "note.md"
    assert [result.source_text(r) for r in result.records("harbour")] == ["harbour"]


def test_a_failing_plugin_fails_the_test_with_its_error_or_becomes_a_finding() -> None:
    outside = ("broken", Broken(lambda doc: Harbour(start=0, end=len(doc.text) + 5)))
    with pytest.raises(PluginFailed, match=r"extract plugin 'broken' failed.*outside the cleaned"):
        run_plugins(PLUGIN, outside, text=TEXT)
    result = run_plugins(PLUGIN, outside, text=TEXT, strict=False)
    (error,) = result.errors
    assert (error.code, error.plugin) == ("plugin-error", "broken")
    assert len(result.records("harbour")) == 2  # the others' records are kept


def test_an_undeclared_kind_is_refused_as_in_a_real_run() -> None:
    class Stray(Span):
        kind: Literal["stray"] = "stray"

    with pytest.raises(PluginFailed, match="not declared"):
        run_plugins(("stray", Broken(lambda doc: Stray(start=0, end=1))), text=TEXT)


def test_a_plugin_that_cannot_register_names_its_problem() -> None:
    class Typo:
        @hookimpl
        def extrct(self, doc: Any) -> list[Any]:
            return []

    with pytest.raises(PluginFailed, match=r"'typo' is failed.*extrct"):
        make_manager(("typo", Typo()))


def test_an_input_that_makes_no_document(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(PluginFailed, match="no document: load"):
        run_plugins(PLUGIN, path=empty)
    result = run_plugins(PLUGIN, path=empty, strict=False)
    assert result.document is None and result.reject is not None


def test_settings_are_validated_and_hermetic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "docmill.toml").write_text('[plugins.harbour]\nword = "pilot"\n')
    monkeypatch.setenv("DOCMILL_PLUGINS__HARBOUR__WORD", "reopened")
    assert len(run_plugins(PLUGIN, text=TEXT).records("harbour")) == 2  # neither applies
    pilot = run_plugins(PLUGIN, text=TEXT, settings={"harbour": {"word": "pilot"}})
    assert [pilot.source_text(r) for r in pilot.records("harbour")] == ["pilot"]
    with pytest.raises(PluginSettingsError, match=r"'harbour'.*word"):
        run_plugins(PLUGIN, text=TEXT, settings={"harbour": {"word": ["not", "a", "str"]}})
    plugin_settings.cache_clear()


@pytest.mark.flow
def test_run_flow_writes_what_run_plugins_returns(prefect_api: None, tmp_path: Path) -> None:
    article = tmp_path / "in" / "harbour.txt"
    article.parent.mkdir()
    article.write_text(TEXT, encoding="utf-8")
    flow = run_flow([article], tmp_path / "out", PLUGIN)
    assert flow.summary["plugins"]["harbour"] == "0"
    quick = run_plugins(PLUGIN, path=article)
    assert flow.records("harbour") == [r.model_dump(mode="json") for r in quick.records("harbour")]
    (doc,) = flow.records("document")
    assert quick.document is not None and doc["id"] == quick.document.id
