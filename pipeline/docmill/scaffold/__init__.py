"""``docmill plugins new NAME``: a plugin package that installs and passes its test at once.

The package is a folder ``docmill-NAME/`` holding a ``pyproject.toml`` with the
``docmill`` entry point, one module ``docmill_NAME.py`` with a working, commented
hook implementation for the chosen stage, a test that runs it through
:func:`docmill.testing.run_plugins`, and a README. ``pip install -e
docmill-NAME`` makes it appear in ``docmill plugins`` straight away.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import create_model

from docmill.plugins import __version__
from docmill.records import DocRecord

#: The stages a scaffold can start from.
STAGES = ("load", "clean", "extract", "validate", "export")

_NAME = re.compile(r"[a-z][a-z0-9_]*")


class ScaffoldError(ValueError):
    """The plugin name or the target folder cannot be used."""


def _requires() -> str:
    """``docmill>=X.Y,<X.Y+1``: the minor series this docmill belongs to."""
    parts = __version__.split("+")[0].split(".")
    try:
        major, minor = int(parts[0]), int(parts[1])
    except (IndexError, ValueError):
        return "docmill"
    return f"docmill>={major}.{minor},<{major}.{minor + 1}"


_PYPROJECT = """\
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "docmill-{dist}"
version = "0.1.0"
description = "A docmill {stage} plugin."
requires-python = ">=3.11"
# docmill refuses the plugin (status "incompatible") outside these versions.
dependencies = ["{requires}"]

[project.entry-points.docmill]
# plugin name = module; the name is used by `-p no:NAME`, [plugins.NAME] and [order].
{name} = "docmill_{name}"

[tool.setuptools]
py-modules = ["docmill_{name}"]
"""

_README = """\
# docmill-{dist}

A docmill {stage} plugin, made with `docmill plugins new {name} --stage {stage}`.

```sh
pip install -e .          # then: docmill plugins --hook {stage}
pytest -q                 # runs tests/test_{name}.py
docmill run SOME_FOLDER   # the plugin takes part in every run
```

Hooks: docs/hooks.md in docmill. Settings go in `docmill.toml` under
`[plugins.{name}]` or in `DOCMILL_PLUGINS__{upper}__KEY` variables.
"""

_SETTINGS = '''

class Settings(BaseModel):
    """Set under [plugins.{name}] in docmill.toml, or as DOCMILL_PLUGINS__{upper}__WORD."""

    word: str = "{name}"


@hookimpl
def settings_model():
    """Declare the settings model; docmill validates it when a run starts."""
    return Settings
'''

_MODULES = {
    "extract": '''\
"""{name}: a docmill extractor. It finds the word in its settings."""

from typing import Literal

from pydantic import BaseModel

from docmill import Span, hookimpl
from docmill.settings import plugin_settings


class {Kind}(Span):
    """Written to {file}; see `docmill schema {kind}`."""

    kind: Literal["{kind}"] = "{kind}"
    word: str


@hookimpl
def record_types():
    """Declare the record kinds this plugin returns (each gets its own JSONL file)."""
    return [{Kind}]
{settings}

@hookimpl
def extract(doc, segments, found):
    """Called once per document. `doc.text` is the cleaned text; `segments` are its
    paragraphs and sentences; `found` what earlier extractors returned. Return spans
    in offsets of `doc.text`: docmill maps them to the source and fills ids."""
    word = plugin_settings("{name}", Settings).word.lower()
    text = doc.text.lower()
    start = text.find(word)
    while word and start >= 0:
        yield {Kind}(start=start, end=start + len(word), word=word)
        start = text.find(word, start + len(word))
''',
    "clean": '''\
"""{name}: a docmill cleaner. It removes lines equal to the word in its settings."""

from pydantic import BaseModel

from docmill import Edit, hookimpl
from docmill.settings import plugin_settings
{settings}

@hookimpl
def clean(doc):
    """Called once per document with its source text (`doc.text`). Return edits in
    source offsets; docmill resolves overlaps, applies them and maps every later
    span back, so no other plugin does offset arithmetic."""
    word = plugin_settings("{name}", Settings).word
    start = 0
    for line in doc.text.splitlines(keepends=True):
        if line.strip() == word:
            yield Edit(start=start, end=start + len(line), replacement="", reason="{name} line")
        start += len(line)
''',
    "validate": '''\
"""{name}: a docmill validator. It reports documents without its word."""

from pydantic import BaseModel

from docmill import Finding, hookimpl
from docmill.settings import plugin_settings
{settings}

@hookimpl
def validate(doc, records):
    """Called once per document with its final records (source offsets). Return
    findings; severity "error", "warning" or "info"."""
    word = plugin_settings("{name}", Settings).word
    if word.lower() not in doc.text.lower():
        message = f"no {{word!r}} in the text"
        yield Finding(code="{name}-missing", severity="info", message=message)
''',
    "load": '''\
"""{name}: a docmill loader for `.{name}` files (plain UTF-8 text, first line a title)."""

from pydantic import BaseModel

from docmill import Document, hookimpl
{settings}

@hookimpl
def load(source):
    """Called once per input until a loader returns a Document. Return None for
    inputs that are not yours; raise with a clear message for yours that are broken
    (the input becomes a reject naming this plugin)."""
    if not source.name.endswith(".{name}"):
        return None
    text = source.data.decode("utf-8")
    title = text.splitlines()[0].strip() if text.strip() else None
    return Document(media_type="text/x-{name}", text=text, title=title)
''',
    "export": '''\
"""{name}: a docmill exporter. It writes `{name}.csv` into every run folder: one row
per record of one kind (entities by default), with its document and source offsets."""

import csv

from pydantic import BaseModel

from docmill import hookimpl
from docmill.settings import plugin_settings


class Settings(BaseModel):
    """Set under [plugins.{name}] in docmill.toml, or as DOCMILL_PLUGINS__{upper}__KIND."""

    kind: str = "entity"


@hookimpl
def settings_model():
    """Declare the settings model; docmill validates it when a run starts."""
    return Settings


class CsvSink:
    """Gets every document's records in a deterministic order (the same inputs give
    the same file); keeps nothing but the open file, so memory stays flat."""

    def __init__(self, run):
        self.kind = plugin_settings("{name}", Settings).kind
        self.file = (run.folder / "{name}.csv").open("w", newline="", encoding="utf-8")
        self.rows = csv.writer(self.file)
        self.rows.writerow(["doc_id", "start", "end", "text"])

    def write(self, records):
        for r in records:
            if r.kind == self.kind:
                self.rows.writerow([r.doc_id, r.start, r.end, r.text])

    def close(self):
        self.file.close()


@hookimpl
def export_sink(run):
    """Called once per run. `run.folder` is the run's folder while it is written (it
    gets its final name when every sink is closed); write there and nowhere else.
    Return None to write nothing for this run."""
    return CsvSink(run)
''',
}

_TESTS = {
    "extract": """\
import docmill_{name}

from docmill.testing import run_plugins

PLUGIN = ("{name}", docmill_{name})


def test_finds_the_word_with_source_offsets():
    result = run_plugins(PLUGIN, text="A line about {name}.\\n\\nAnd {name} again.\\n")
    found = result.records("{kind}")
    assert len(found) == 2
    assert all(result.source_text(r) == "{name}" for r in found)


def test_the_word_is_a_setting():
    settings = {{"{name}": {{"word": "world"}}}}
    result = run_plugins(PLUGIN, text="Hello world.\\n", settings=settings)
    assert [r.text for r in result.records("{kind}")] == ["world"]
""",
    "clean": """\
import docmill_{name}

from docmill.testing import run_plugins

PLUGIN = ("{name}", docmill_{name})


def test_the_line_is_removed_and_recorded_as_an_edit():
    result = run_plugins(PLUGIN, text="First paragraph.\\n{name}\\nLast paragraph.\\n")
    edits = [e for e in result.records("edit") if e.plugin == "{name}"]
    assert [result.source_text(e) for e in edits] == ["{name}\\n"]
    assert all("{name}" not in s.text for s in result.records("segment"))
""",
    "validate": """\
import docmill_{name}

from docmill.testing import run_plugins

PLUGIN = ("{name}", docmill_{name})


def test_a_document_without_the_word_gets_a_finding():
    result = run_plugins(PLUGIN, text="Nothing to see here.\\n")
    codes = [f.code for f in result.records("finding")]
    assert codes == ["{name}-missing"]
    assert not run_plugins(PLUGIN, text="All about {name}.\\n").records("finding")
""",
    "load": """\
import docmill_{name}

from docmill.testing import run_plugins

PLUGIN = ("{name}", docmill_{name})


def test_files_of_this_type_are_loaded_with_a_title():
    result = run_plugins(PLUGIN, text="My title\\n\\nSome text.\\n", name="a.{name}")
    assert result.document is not None
    assert (result.document.title, result.document.plugin) == ("My title", "{name}")
""",
    "export": """\
import csv
import tempfile
from pathlib import Path

import docmill_{name}

from docmill.sinks import RunInfo
from docmill.testing import SUPPORT_PLUGINS, run_plugins


def test_every_entity_becomes_a_row_with_source_offsets():
    text = "Ada Lovelace wrote to Charles Babbage from London.\\n"
    result = run_plugins(text=text, builtins=[*SUPPORT_PLUGINS, "extract_entities"])
    entities = result.records("entity")
    assert entities
    with tempfile.TemporaryDirectory() as folder:
        run = RunInfo(run_id="test", folder=Path(folder), kinds={{}})
        sink = docmill_{name}.export_sink(run=run)
        sink.write(result.output)
        sink.close()
        with (Path(folder) / "{name}.csv").open(encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
    assert rows[0] == ["doc_id", "start", "end", "text"]
    assert [(int(s), int(e), t) for _, s, e, t in rows[1:]] == [
        (r.start, r.end, r.text) for r in entities
    ]
    assert all(text[int(s) : int(e)] == t for _, s, e, t in rows[1:])
""",
}


def _kind(name: str) -> str:
    return name[:-1] if name.endswith("s") and not name.endswith("ss") and len(name) > 3 else name


def render(name: str, stage: str) -> dict[str, str]:
    """The files of a new plugin package: relative path -> content."""
    if not _NAME.fullmatch(name):
        raise ScaffoldError(
            f"plugin name {name!r}: use lowercase letters, digits and underscores, "
            "starting with a letter (it becomes the module docmill_NAME)"
        )
    if stage not in STAGES:
        raise ScaffoldError(f"no scaffold for stage {stage!r} (choose from {', '.join(STAGES)})")
    kind = _kind(name)
    file_name = create_model("Kind", __base__=DocRecord, kind=(str, kind)).file_name()
    values = {
        "name": name,
        "dist": name.replace("_", "-"),
        "upper": name.upper(),
        "stage": stage,
        "kind": kind,
        "Kind": "".join(part.title() for part in kind.split("_")),
        "file": file_name,
        "requires": _requires(),
    }
    values["settings"] = _SETTINGS.format(**values)
    return {
        "pyproject.toml": _PYPROJECT.format(**values),
        "README.md": _README.format(**values),
        f"docmill_{name}.py": _MODULES[stage].format(**values),
        f"tests/test_{name}.py": _TESTS[stage].format(**values),
    }


def scaffold(name: str, stage: str = "extract", parent: Path | None = None) -> Path:
    """Write a new plugin package ``docmill-NAME/`` below ``parent`` and return its folder.

    Raises :class:`ScaffoldError` for a bad name or stage, or when the folder exists.
    """
    files = render(name, stage)
    folder = (parent or Path.cwd()) / f"docmill-{name.replace('_', '-')}"
    if folder.exists():
        raise ScaffoldError(f"{folder} already exists")
    for rel, content in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    return folder
