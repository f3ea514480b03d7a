"""The plugin manager: built-ins as plugins, entry points, disabling, failures."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest

from docmill import hookspecs
from docmill.plugins import DEFAULT_PLUGINS, PluginLoadWarning, build_manager
from tests.conftest import SEEDS

HOOKS = (
    "clean, cli_commands, export_sink, extract, languages, load, record_types, run_complete, "
    "segment, settings_model, validate"
)


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
    with pytest.warns(PluginLoadWarning) as caught:
        mgr = build_manager()
    assert mgr.infos["typo"].status == "failed"
    assert mgr.infos["typo"].error == (
        f"extrct is not a docmill hook (did you mean 'extract'? hooks: {HOOKS})"
    )
    assert mgr.infos["badarg"].status == "failed"
    assert mgr.infos["badarg"].error == (
        "extract takes 'document', which is not an argument of hook 'extract' "
        "(did you mean 'doc'? arguments of extract: doc, segments, found, settings)"
    )
    messages = [str(w.message) for w in caught]
    assert f"docmill plugin 'typo' skipped: {mgr.infos['typo'].error}" in messages
    assert f"docmill plugin 'badarg' skipped: {mgr.infos['badarg'].error}" in messages


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


@pytest.mark.parametrize("marker", ["wrapper=True", "hookwrapper=True"])
def test_wrapper_implementations_are_refused_with_the_reason(
    install_plugin: Callable[..., str], marker: str
) -> None:
    """docmill calls each implementation on its own: a wrapper would run as a plain
    function (its ``yield`` never resumed), so it is refused at registration."""
    install_plugin(
        "wrapping",
        f"""
        from docmill import hookimpl

        @hookimpl({marker})
        def extract(doc):
            result = yield
            return result
        """,
    )
    with pytest.warns(PluginLoadWarning) as caught:
        mgr = build_manager()
    info = mgr.infos["wrapping"]
    assert info.status == "failed" and info.hooks == ()
    assert info.error is not None
    assert info.error.startswith(f"extract is a hook wrapper (@hookimpl({marker}))")
    assert "calls each extract implementation on its own" in info.error
    assert "use a plain @docmill.hookimpl" in info.error
    assert "wrapping" not in [name for name, _ in mgr.ordered("extract")]
    assert any(str(w.message).startswith("docmill plugin 'wrapping' skipped") for w in caught)


def test_firstresult_is_read_from_the_hookspec() -> None:
    mgr = build_manager(order={})
    assert mgr.firstresult("load") is True
    for hook in mgr.hook_names():
        assert mgr.firstresult(hook) is bool(getattr(hookspecs, hook).docmill_spec["firstresult"])
    assert [h for h in mgr.hook_names() if mgr.firstresult(h)] == ["load"]
    with pytest.raises(KeyError, match="no such docmill hook: 'lod'"):
        mgr.firstresult("lod")


def test_hook_named_functions_without_hookimpl_are_warned_about(
    install_plugin: Callable[..., str],
) -> None:
    module = install_plugin(
        "unmarked",
        """
        from os.path import join as validate  # imported, not the plugin's own: no warning

        from docmill import hookimpl


        def clean(doc):
            return []


        def extract(doc):
            return []


        @hookimpl
        def segment(doc):
            return []
        """,
    )
    with pytest.warns(PluginLoadWarning) as caught:
        mgr = build_manager()
    info = mgr.infos["unmarked"]
    assert (info.status, info.hooks) == ("active", ("segment",))
    (warning,) = [w for w in caught if "'unmarked'" in str(w.message)]
    assert str(warning.message) == (
        "docmill plugin 'unmarked' defines clean, extract without @docmill.hookimpl: "
        "they are not called"
    )
    assert warning.filename == importlib.import_module(module).__file__
    assert warning.lineno == 7  # def clean
    assert "unmarked" not in [name for name, _ in mgr.ordered("clean")]


def test_hook_arguments_with_a_default_are_warned_about(
    install_plugin: Callable[..., str],
) -> None:
    install_plugin(
        "defaults",
        """
        from docmill import hookimpl

        @hookimpl
        def extract(doc, settings=None):
            return []
        """,
    )
    with pytest.warns(PluginLoadWarning, match=r"'defaults' declares extract\(settings=...\)"):
        mgr = build_manager()
    assert mgr.infos["defaults"].status == "active"


def test_a_load_warning_is_shown_once_per_process_at_the_plugin(
    install_plugin: Callable[..., str], tmp_path: Path
) -> None:
    module = install_plugin("fails_once", "x = 1\nimport this_module_does_not_exist\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = build_manager()
        second = build_manager()
    shown = [w for w in caught if "'fails_once'" in str(w.message)]
    assert len(shown) == 1
    assert shown[0].filename == str(tmp_path / "site-packages" / f"{module}.py")
    assert shown[0].lineno == 2  # the failing import, not docmill's code
    # each manager still knows what went wrong with it
    for mgr in (first, second):
        assert mgr.infos["fails_once"].status == "failed"
        assert [w.message for w in mgr.warnings if "'fails_once'" in w.message] == [
            str(shown[0].message)
        ]


@pytest.mark.flow
@pytest.mark.slow
def test_a_failing_plugin_is_reported_once_by_a_whole_cli_run(
    install_plugin: Callable[..., str], tmp_path: Path
) -> None:
    """The command line, the flow and the plugin workers each build a manager: the
    user still reads the problem once."""
    module = install_plugin("broken_once", "import this_module_does_not_exist\n")
    site = tmp_path / "site-packages"  # where install_plugin writes
    assert (site / f"{module}.py").is_file()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "DOCMILL_"))}
    env.update(
        PREFECT_HOME=str(tmp_path / "prefect"),
        DOCMILL_BACKGROUND_SERVER="false",  # no server outliving the test
        PYTHONPATH=os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]),
    )
    docmill = Path(sys.executable).with_name("docmill")
    done = subprocess.run(
        [str(docmill), "run", str(SEEDS / "central_bank_rates.txt"), "--out", "out"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if "broken_once" in line]
    assert lines == [
        "warning: docmill plugin 'broken_once' skipped: ModuleNotFoundError: "
        "No module named 'this_module_does_not_exist'"
    ], done.stderr
    assert "1 documents, 0 rejects" in done.stderr


def test_the_builtins_import_only_the_public_surface() -> None:
    """The built-ins are plugins like any other: ``from docmill import ...`` only
    (helpers of their own package aside), so they show what a plugin may rely on."""
    import ast

    import docmill
    import docmill_builtins

    folder = Path(docmill_builtins.__file__).parent
    files = sorted(folder.glob("*.py"))
    assert len(files) > len(DEFAULT_PLUGINS)
    for file in files:
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [a.name for a in node.names]
                if node.module == "docmill":
                    assert set(names) <= set(docmill.__all__), (file.name, names)
                else:
                    assert not node.module.startswith("docmill."), (file.name, node.module)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    assert not alias.name.startswith("docmill."), (file.name, alias.name)
