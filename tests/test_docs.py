"""docs/plugins.md works as written: every code block runs, in order, in a fresh venv."""

from __future__ import annotations

import json
import re
from pathlib import Path

import orjson
import pytest
from packaging.specifiers import SpecifierSet

from docmill.plugins import __version__
from tests.conftest import ROOT
from tests.plugin_venv import Venv, harness_api_url

TUTORIAL = ROOT / "docs" / "plugins.md"
EXAMPLE = ROOT / "examples" / "docmill-money"
FENCE = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def blocks() -> list[tuple[str, str | None, str]]:
    """(language, title or None, body) of every fenced block, in order."""
    found = []
    for lang, info, body in FENCE.findall(TUTORIAL.read_text(encoding="utf-8")):
        title = re.search(r'title="([^"]+)"', info)
        found.append((lang, title.group(1) if title else None, body))
    return found


def test_every_block_is_a_file_or_a_command() -> None:
    found = blocks()
    assert len(found) >= 10
    for lang, title, _ in found:
        assert title or lang == "sh", f"a {lang} block with no title cannot be executed"


def test_the_tutorials_files_are_the_example_package() -> None:
    files = {title: body for _, title, body in blocks() if title}
    example = {
        f"docmill-money/{p.relative_to(EXAMPLE).as_posix()}": p.read_text(encoding="utf-8")
        for p in EXAMPLE.rglob("*")
        if p.is_file()
        and p.suffix in (".py", ".toml")
        and not {"__pycache__", "build"} & set(p.parts)
    }
    assert example
    for name, text in example.items():
        assert files.get(name) == text, f"{name} differs between docs/plugins.md and examples/"


def test_plugin_code_is_under_40_lines() -> None:
    code = (EXAMPLE / "docmill_money.py").read_text(encoding="utf-8").splitlines()
    lines = [line for line in code if line.strip() and not line.lstrip().startswith("#")]
    assert len(lines) < 40


def test_the_version_declaration_example_accepts_this_docmill() -> None:
    (body,) = [b for _, t, b in blocks() if t and t.endswith("versions_example.py")]
    namespace: dict[str, object] = {}
    exec(compile(body, "versions_example.py", "exec"), namespace)
    assert SpecifierSet(str(namespace["docmill_requires"])).contains(__version__)


@pytest.mark.flow
@pytest.mark.slow
def test_the_tutorial_runs_as_written(prefect_api: None, tmp_path: Path) -> None:
    venv = Venv(tmp_path / "venv", harness_api_url())
    start = tmp_path / "work"
    start.mkdir()
    cwd = start
    where = tmp_path / "cwd.txt"
    out: dict[str, str] = {}
    for lang, title, body in blocks():
        if title:
            path = start / title
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(body, encoding="utf-8")
            continue
        assert lang == "sh"
        done = venv.sh(f'{body}\npwd > "{where}"\n', cwd=cwd)
        cwd = Path(where.read_text().strip())
        out[body.strip().splitlines()[-1]] = done.stdout

    package = start / "docmill-money"
    listing = out["docmill plugins --hook extract"]
    money_row = json.loads(listing[listing.index("[\n") :])
    (row,) = [r for r in money_row if r["name"] == "money"]
    assert (row["status"], row["version"], row["requires"]) == ("active", "0.1.0", "<0.2,>=0.1")

    latest = (package / "outputs" / "LATEST").read_text().strip()
    lines = (package / "outputs" / latest / "moneys.jsonl").read_bytes().splitlines()
    money = [orjson.loads(line) for line in lines]
    assert [(m["text"], m["currency"], m["plugin"]) for m in money] == [
        ("$1.2 billion", "USD", "money"),
        ("$1.2 billion", "USD", "money"),
        ("300 euros", "EUR", "money"),
    ]
    (doc,) = [
        orjson.loads(x)
        for x in (package / "outputs" / latest / "documents.jsonl").read_bytes().splitlines()
    ]
    assert all(doc["text"][m["start"] : m["end"]] == m["text"] for m in money)

    config_out = out[
        'DOCMILL_PLUGINS__MONEY__MIN_AMOUNT=lots docmill config || echo "refused: exit code $?"'
    ]
    assert '"min_amount": 1000.0' in config_out
    assert "refused: exit code 2" in config_out

    order = json.loads(out["docmill plugins order"])
    assert order["extract"][0] == "money"

    lineage = json.loads(out['docmill trace "outputs/$(cat outputs/LATEST)/moneys.jsonl:1"'])
    assert (lineage["plugin"], lineage["plugin_version"], lineage["run_id"]) == (
        "money",
        "0.1.0",
        latest,
    )

    scaffolded = start / "docmill-tariffs"
    assert (scaffolded / "pyproject.toml").is_file()
    assert (scaffolded / "tests" / "test_tariffs.py").is_file()


def test_hook_reference_examples_are_valid_python_and_toml() -> None:
    import tomllib

    text = (ROOT / "docs" / "hooks.md").read_text(encoding="utf-8")
    found = FENCE.findall(text)
    assert len(found) >= 10
    for lang, _, body in found:
        if lang == "python":
            compile(body, "hooks.md", "exec")
        elif lang == "toml":
            tomllib.loads(body)
