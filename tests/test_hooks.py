"""Every hook is documented in docs/hooks.md and called by a real run."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from docmill import hookspecs
from tests.conftest import ROOT, SEEDS, RunResult

HOOKS = sorted(
    name
    for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
    if hasattr(fn, "docmill_spec")
)


def test_hookspecs_are_found() -> None:
    assert {"load", "clean", "segment", "extract", "validate", "export_sink"} <= set(HOOKS)


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_has_docstring_and_docs_section(hook: str) -> None:
    fn = getattr(hookspecs, hook)
    assert fn.__doc__ and len(fn.__doc__.strip()) > 40
    docs = (ROOT / "docs" / "hooks.md").read_text(encoding="utf-8")
    sections = re.findall(r"^## (\w+)$", docs, flags=re.MULTILINE)
    assert hook in sections
    signature = docs.split(f"## {hook}\n", 1)[1].split("\n## ", 1)[0]
    for param in inspect.signature(fn).parameters:
        assert param in signature, f"docs of {hook} do not mention {param}"


EVERY_HOOK_PLUGIN = """
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from docmill import Document, Finding, Segment, Span, hookimpl

CALLS = Path(__file__).with_name("calls.txt")


def called(name, settings=None):
    with CALLS.open("a") as fh:
        fh.write(name + "\\n")
    if settings is not None:  # every stage hook gets this plugin's own validated settings
        assert isinstance(settings, Settings), settings
        with CALLS.with_name("settings.txt").open("a") as fh:
            fh.write(f"{name}={settings.word}\\n")


class Marker(Span):
    kind: Literal["marker"] = "marker"


class Settings(BaseModel):
    word: str = "harbour"


@hookimpl
def record_types():
    called("record_types")
    return [Marker]


@hookimpl
def settings_model():
    called("settings_model")
    return Settings


@hookimpl(tryfirst=True)
def load(source, settings):
    called("load", settings)
    if source.name.endswith(".note"):
        return Document(media_type="text/x-note", text=source.data.decode())
    return None


@hookimpl
def clean(doc, settings):
    called("clean", settings)
    return []


@hookimpl
def segment(doc, settings):
    called("segment", settings)
    return []


@hookimpl
def extract(doc, segments, found, settings):
    called("extract", settings)
    assert segments and all(s.end <= len(doc.text) for s in segments)
    i = doc.text.lower().find(settings.word)
    return [Marker(start=i, end=i + len(settings.word))] if i >= 0 else []


@hookimpl
def validate(doc, records, settings):
    called("validate", settings)
    return [Finding(code="seen", severity="info", message=f"{len(records)} records")]


class Sink:
    def __init__(self, folder):
        self.path = folder / "count.txt"
        self.n = 0

    def write(self, records):
        self.n += len(records)

    def close(self):
        self.path.write_text(str(self.n))


@hookimpl
def export_sink(run, settings):
    called("export_sink", settings)
    return Sink(run.folder)


@hookimpl
def run_complete(run, manifest, settings):
    called("run_complete", settings)
    assert (run.folder / manifest["files"]["document"]).is_file()
    (run.folder / "complete.txt").write_text(str(manifest["documents"]))


@hookimpl
def cli_commands(app):
    called("cli_commands")


@hookimpl
def languages(settings):
    called("languages", settings)
    return None  # every language
"""


@pytest.mark.flow
def test_every_hook_is_called_by_a_real_run(
    run_flow: Callable[..., RunResult],
    install_plugin: Callable[..., str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys

    from typer.testing import CliRunner

    from docmill.cli import add_plugin_commands, app

    module = install_plugin("everyhook", EVERY_HOOK_PLUGIN)
    # its settings, by the name it is installed under, reach every stage (and the workers)
    monkeypatch.setenv("DOCMILL_PLUGINS__EVERYHOOK__WORD", "boats")
    note = tmp_path / "in" / "harbour.note"
    note.parent.mkdir()
    note.write_text("The harbour is open again.\n\nBoats are back.")
    result = run_flow([note, SEEDS / "central_bank_rates.txt"], tmp_path / "out")
    add_plugin_commands()
    assert CliRunner().invoke(app, ["schema", "marker"]).exit_code == 0
    calls_file = Path(sys.modules[module].__file__).with_name("calls.txt")  # type: ignore[arg-type]
    called = set(calls_file.read_text().split())
    assert called == set(HOOKS)
    (marker,) = result.records("marker")
    assert marker["text"] == "Boats"
    got = set(calls_file.with_name("settings.txt").read_text().split())
    stages = [
        *("load", "clean", "segment", "extract", "validate", "export_sink", "run_complete"),
        "languages",
    ]
    assert got == {f"{stage}=boats" for stage in stages}
    docs = {d["source"]: d for d in result.records("document")}
    assert docs["harbour.note"]["media_type"] == "text/x-note"
    assert (result.folder / "count.txt").read_text() == str(
        sum(n for n in result.summary["counts"].values())
    )
    assert (result.folder / "complete.txt").read_text() == "2"
