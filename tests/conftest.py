"""Shared fixtures: one Prefect test API per session, real files, real plugins."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

# Before anything imports Prefect: a private, throw-away PREFECT_HOME per session.
os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix="docmill-prefect-")
from docmill.orchestration.environment import configure

configure()

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SHARED_SEEDS = ROOT.parent / "shared" / "seeds"


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[None]:
    """Prefect's real local API, started once for the whole session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def shared_article() -> Path:
    """The real article in ../shared/seeds (skipped with a reason when absent)."""
    files = sorted(SHARED_SEEDS.glob("*.txt")) if SHARED_SEEDS.is_dir() else []
    if not files:
        pytest.skip(f"the shared article is not available at {SHARED_SEEDS}")
    return files[0]


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line]


class RunResult:
    """A finished run folder, read back."""

    def __init__(self, summary: dict[str, Any]) -> None:
        self.summary = summary
        self.folder = Path(summary["folder"])

    def records(self, kind: str) -> list[dict[str, Any]]:
        return read_jsonl(self.folder / self.summary["files"][kind])

    def jsonl_bytes(self) -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in sorted(self.folder.glob("*.jsonl"))}


@pytest.fixture
def run_flow(prefect_api: None) -> Callable[..., RunResult]:
    """Run the real flow (real Prefect API) and read the run folder back."""
    from docmill.orchestration import flow, manager

    def _run(paths: list[Path], out: Path, **kwargs: Any) -> RunResult:
        manager.get_manager.cache_clear()
        summary = asyncio.run(
            flow.docmill_flow(paths=[str(p) for p in paths], out=str(out), **kwargs)
        )
        return RunResult(summary)

    return _run


@pytest.fixture
def install_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., str]:
    """Install a plugin as a real distribution with a ``docmill`` entry point.

    Writes the module and a ``.dist-info`` (METADATA, entry_points.txt) into a
    temporary site folder on ``sys.path``, so ``importlib.metadata`` discovers it
    exactly as it discovers a pip-installed package.
    """
    site = tmp_path / "site-packages"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))

    def _install(name: str, source: str, version: str = "1.2.3") -> str:
        module = f"docmill_test_{name}"
        (site / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
        dist = site / f"docmill_test_{name}-{version}.dist-info"
        dist.mkdir()
        (dist / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: docmill-test-{name}\nVersion: {version}\n",
            encoding="utf-8",
        )
        (dist / "entry_points.txt").write_text(f"[docmill]\n{name} = {module}\n", encoding="utf-8")
        sys.modules.pop(module, None)
        from docmill.orchestration import manager

        manager.get_manager.cache_clear()
        return module

    yield _install  # type: ignore[misc]
    from docmill.orchestration import manager

    manager.get_manager.cache_clear()


def cleaned_surface(text: str, edits: list[dict[str, Any]], start: int, end: int) -> str:
    """``text[start:end]`` with the edits that lie inside it applied."""
    out, pos = [], start
    for e in sorted(edits, key=lambda e: (e["start"], e["end"])):
        if (
            e["start"] >= start
            and e["end"] <= end
            and not (e["start"] == e["end"] and e["start"] in (start, end))
        ):
            out.append(text[pos : e["start"]])
            out.append(e["replacement"])
            pos = e["end"]
    out.append(text[pos:end])
    return "".join(out)


def check_offsets(result: RunResult) -> int:
    """Assert every span written points at its source: ``text[start:end]``, edits applied.

    A span with no edit inside has ``text[start:end] == span.text`` exactly; one with
    edits inside equals its source once those edits are applied. Returns the count.
    """
    docs = {d["id"]: d["text"] for d in result.records("document")}
    edits: dict[str, list[dict[str, Any]]] = {}
    for e in result.records("edit"):
        edits.setdefault(e["doc_id"], []).append(e)
    checked = 0
    for kind, file_name in result.summary["files"].items():
        for rec in read_jsonl(result.folder / file_name):
            if kind in ("edit", "document") or rec.get("start") is None:
                continue
            text = docs[rec["doc_id"]]
            start, end = rec["start"], rec["end"]
            assert 0 <= start <= end <= len(text), rec
            if "text" in rec:
                surface = cleaned_surface(text, edits.get(rec["doc_id"], []), start, end)
                assert surface == rec["text"], (rec, text[start:end])
            checked += 1
    return checked
