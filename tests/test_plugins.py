"""The plugin manager: built-ins as plugins, entry points, disabling, failures."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from docmill.plugins import DEFAULT_PLUGINS, PluginLoadWarning, build_manager


def test_builtins_are_registered_as_plugins_with_their_hooks() -> None:
    mgr = build_manager()
    names = {m.rsplit(".", 1)[1] for m in DEFAULT_PLUGINS}
    listing = {p["name"]: p for p in mgr.listing()}
    assert names <= set(listing)
    assert listing["load_text"]["hooks"] == ["load"]
    assert listing["extract_entities"]["status"] == "active"
    assert "extract" in listing["extract_entities"]["hooks"]


def test_disable_by_name_and_env(monkeypatch: pytest.MonkeyPatch) -> None:
    mgr = build_manager(disable=["extract_dates"])
    assert mgr.infos["extract_dates"].status == "disabled"
    assert "extract_dates" not in [n for n, _ in mgr.ordered("extract")]
    monkeypatch.setenv("DOCMILL_DISABLE_PLUGINS", "clean_boilerplate, extract_entities")
    mgr = build_manager()
    cleaners = [n for n, _ in mgr.ordered("clean")]
    extractors = [n for n, _ in mgr.ordered("extract")]
    assert "clean_boilerplate" not in cleaners and "clean_unicode" in cleaners
    assert "extract_entities" not in extractors and "extract_dates" in extractors


def test_env_lists_the_only_plugins_to_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCMILL_PLUGINS", "load_text,export_jsonl")
    mgr = build_manager()
    assert sorted(mgr.versions()) == ["export_jsonl", "load_text"]
    assert mgr.listing(include_disabled=False) == [
        p for p in mgr.listing() if p["name"] in ("export_jsonl", "load_text")
    ]


def test_entry_point_plugin_is_found_with_its_version(install_plugin: Callable[..., str]) -> None:
    install_plugin(
        "shout",
        """
        from docmill import hookimpl, Finding

        @hookimpl
        def validate(doc):
            return [Finding(code="shout", severity="info", message=doc.title or "")]
        """,
        version="2.0.1",
    )
    mgr = build_manager()
    info = mgr.infos["shout"]
    assert (info.status, info.version, info.hooks) == ("active", "2.0.1", ("validate",))


def test_plugin_that_fails_to_import_is_reported_not_fatal(
    install_plugin: Callable[..., str],
) -> None:
    install_plugin("broken", "import this_module_does_not_exist\n")
    with pytest.warns(PluginLoadWarning, match="broken"):
        mgr = build_manager()
    info = mgr.infos["broken"]
    assert info.status == "failed"
    assert "ModuleNotFoundError" in (info.error or "")
    assert mgr.infos["load_text"].status == "active"


def test_misspelled_hook_and_wrong_argument_are_errors_by_name(
    install_plugin: Callable[..., str],
) -> None:
    install_plugin(
        "typo",
        """
        from docmill import hookimpl

        @hookimpl
        def extrct(doc):
            return []
        """,
    )
    install_plugin(
        "badarg",
        """
        from docmill import hookimpl

        @hookimpl
        def extract(document):
            return []
        """,
    )
    with pytest.warns(PluginLoadWarning):
        mgr = build_manager()
    assert mgr.infos["typo"].status == "failed"
    assert "extrct" in (mgr.infos["typo"].error or "")
    assert mgr.infos["badarg"].status == "failed"
    assert "document" in (mgr.infos["badarg"].error or "")


def test_ordered_follows_tryfirst_and_trylast() -> None:
    mgr = build_manager()
    extract = [n for n, _ in mgr.ordered("extract")]
    # dates are trylast: they read the DATE entities found before them
    assert extract.index("extract_entities") < extract.index("extract_dates")


def test_entry_points_load_after_the_importlib_metadata_backport_is_imported(
    install_plugin: Callable[..., str],
) -> None:
    """dask and distributed import ``importlib_metadata``, whose finder then hands out its
    own EntryPoint class: plugins must still load (regression: they were registered as
    EntryPoint objects and failed with "no attribute '_key'")."""
    importlib_metadata = pytest.importorskip("importlib_metadata")
    install_plugin(
        "after_backport",
        """
        from docmill import hookimpl

        @hookimpl
        def validate(doc):
            return []
        """,
    )
    assert any(
        type(f).__module__.startswith("importlib_metadata") for f in __import__("sys").meta_path
    ), importlib_metadata
    mgr = build_manager()
    info = mgr.infos["after_backport"]
    assert (info.status, info.hooks) == ("active", ("validate",))
