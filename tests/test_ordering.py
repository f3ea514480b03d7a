"""Plugin order per hook from docmill.toml, listing with status and order, version checks."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path
from typing import Any, Literal

import pytest
from typer.testing import CliRunner

from docmill import Document, Span, hookimpl
from docmill.cli import app
from docmill.plugins import PluginLoadWarning, __version__, apply_order, build_manager
from docmill.testing import run_plugins

runner = CliRunner()


class Seen(Span):
    kind: Literal["seen"] = "seen"
    before: int  # how many records earlier extractors had returned


class Extractor:
    @hookimpl
    def record_types(self) -> list[type[Seen]]:
        return [Seen]

    @hookimpl
    def extract(self, doc: Any, found: Any) -> list[Seen]:
        return [Seen(start=0, end=1, before=len(found))]


class Loader:
    @hookimpl
    def load(self, source: Any) -> Document:
        return Document(media_type="text/plain", text=source.data.decode())


def test_apply_order() -> None:
    names = ["a", "b", "c", "d"]
    assert apply_order(names, []) == names
    assert apply_order(names, ["c", "a"]) == ["c", "a", "b", "d"]
    assert apply_order(names, ["...", "a"]) == ["b", "c", "d", "a"]
    assert apply_order(names, ["d", "...", "a"]) == ["d", "b", "c", "a"]
    assert apply_order(names, ["x", "b"]) == ["b", "a", "c", "d"]


def test_order_overrides_tryfirst_and_trylast() -> None:
    default = [n for n, _ in build_manager(order={}).ordered("extract")]
    assert default.index("extract_entities") < default.index("extract_dates")  # dates: trylast
    mgr = build_manager(order={"extract": ["extract_dates", "extract_entities"]})
    ordered = [n for n, _ in mgr.ordered("extract")]
    assert ordered.index("extract_dates") < ordered.index("extract_entities")
    assert mgr.effective_order()["extract"] == ordered


def test_the_stages_follow_the_configured_order() -> None:
    plugins = [("one", Extractor()), ("two", Extractor())]
    for order in (["one", "two"], ["two", "one"]):
        result = run_plugins(*plugins, text="Some text.\n", order={"extract": order})
        seen = {r.plugin: r.before for r in result.records("seen")}  # type: ignore[attr-defined]
        assert seen == {order[0]: 0, order[1]: 1}
    # load is firstresult: the first loader in the order makes the document
    loaders = [("first", Loader()), ("second", Loader())]
    for order in (["first", "..."], ["second", "..."]):
        result = run_plugins(*loaders, text="Text.\n", builtins=(), order={"load": order})
        assert result.document is not None and result.document.plugin == order[0]


def test_order_from_docmill_toml_in_the_listing_and_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "docmill.toml").write_text(
        '[order]\nclean = ["clean_unicode", "..."]\nextract = ["extract_dates"]\n'
    )
    mgr = build_manager()
    assert mgr.ordered("clean")[0][0] == "clean_unicode"
    shown = runner.invoke(app, ["plugins", "order"])
    assert shown.exit_code == 0, shown.output
    order = json.loads(shown.stdout)
    assert order["extract"][0] == "extract_dates" and order["clean"][0] == "clean_unicode"
    listing = runner.invoke(app, ["plugins", "--hook", "extract"])
    rows = {r["name"]: r for r in json.loads(listing.stdout)}
    assert rows["extract_dates"]["order"]["extract"] == 1
    assert rows["extract_dates"]["status"] == "active"


def test_names_that_match_nothing_are_warned_about() -> None:
    with pytest.warns(PluginLoadWarning) as caught:
        build_manager(order={"extract": ["extract_entitys"], "extrct": ["x"]})
    messages = " | ".join(str(w.message) for w in caught)
    assert "'extract_entitys'" in messages and "not installed" in messages
    assert "'extrct', which is not a docmill hook" in messages


def _install(site: Path, name: str, source: str, requires: str | None = None) -> None:
    module = f"docmill_order_test_{name}"
    (site / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    dist = site / f"{module}-2.0.dist-info"
    dist.mkdir()
    meta = f"Metadata-Version: 2.1\nName: {module}\nVersion: 2.0\n"
    if requires:
        meta += f"Requires-Dist: {requires}\n"
    (dist / "METADATA").write_text(meta, encoding="utf-8")
    (dist / "entry_points.txt").write_text(f"[docmill]\n{name} = {module}\n", encoding="utf-8")
    sys.modules.pop(module, None)


def test_plugins_outside_their_docmill_versions_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    plugin = "from docmill import hookimpl\n@hookimpl\ndef clean(doc):\n    return []\n"
    _install(tmp_path, "old_dist", "raise ImportError('must not be imported')\n", "docmill<0.1")
    _install(tmp_path, "fits_dist", plugin, "docmill>=0.1; python_version >= '3'")
    _install(tmp_path, "old_attr", 'docmill_requires = ">=99"\n' + plugin)
    _install(tmp_path, "extra_only", plugin, "docmill<0.1; extra == 'dev'")
    with pytest.warns(PluginLoadWarning, match="refused"):
        mgr = build_manager(order={})
    old = mgr.infos["old_dist"]
    assert old.status == "incompatible" and old.requires == "<0.1"
    assert f"this is docmill {__version__}" in (old.error or "")
    assert "-p no:old_dist" in (old.error or "")
    attr = mgr.infos["old_attr"]
    assert (attr.status, attr.requires) == ("incompatible", ">=99")
    assert "docmill_requires" in (attr.error or "")
    assert mgr.infos["fits_dist"].status == "active"
    assert mgr.infos["extra_only"].status == "active"
    cleaners = [n for n, _ in mgr.ordered("clean")]
    assert "fits_dist" in cleaners and "old_attr" not in cleaners
    listed = runner.invoke(app, ["plugins", "--all"])
    rows = {r["name"]: r for r in json.loads(listed.stdout)}
    assert rows["old_dist"]["status"] == "incompatible" and "error" in rows["old_dist"]


def test_a_plugin_with_two_implementations_of_a_hook_keeps_both() -> None:
    class Twice:
        @hookimpl(specname="extract")
        def first(self, doc: Any, found: Any) -> list[Seen]:
            return [Seen(start=0, end=1, before=len(found))]

        @hookimpl(specname="extract")
        def second(self, doc: Any, found: Any) -> list[Seen]:
            return [Seen(start=1, end=2, before=len(found))]

    plugins = [("twice", Twice()), ("one", Extractor())]
    result = run_plugins(*plugins, text="Some text.\n", order={"extract": ["one", "twice"]})
    seen = sorted((r.plugin, r.before) for r in result.records("seen"))  # type: ignore[attr-defined]
    assert seen == [("one", 0), ("twice", 1), ("twice", 2)]
