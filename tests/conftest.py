"""Shared fixtures: one Prefect test API per session, real files, real plugins."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
import textwrap
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest

# Before anything imports Prefect: a private, throw-away PREFECT_HOME per session.
os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix="docmill-prefect-")
# Runs outside the session's test API use Prefect's temporary one, never a background
# server that would outlive the session (tests/test_server.py tests that server).
os.environ.setdefault("DOCMILL_BACKGROUND_SERVER", "false")
# Prefect's test API gives up after 20 s of start-up; a loaded 2-core runner can take longer.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
from docmill.orchestration.environment import configure
from docmill.runs.jsonl import read_dicts
from docmill.testing import BUILTINS, FlowResult, Result, run_plugins

configure()

#: docmill's own pytest plugin: pytest loads it from its ``pytest11`` entry point when
#: docmill is installed with it, else (a source checkout on PYTHONPATH) from here.
PLUGIN = "docmill.testing.pytest_plugin"
if not any(ep.value == PLUGIN for ep in entry_points(group="pytest11")):
    pytest_plugins = [PLUGIN]

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SHARED_SEEDS = ROOT.parent / "shared" / "seeds"


@pytest.fixture(scope="session")
def prefect_api(docmill_prefect: None) -> None:
    """Prefect's real local API, started once for the whole session (docmill's fixture)."""


@pytest.fixture
def shared_article() -> Path:
    """The real article in ../shared/seeds (skipped with a reason when absent)."""
    files = sorted(SHARED_SEEDS.glob("*.txt")) if SHARED_SEEDS.is_dir() else []
    if not files:
        pytest.skip(f"the shared article is not available at {SHARED_SEEDS}")
    return files[0]


def seed_folder(root: Path, n: int) -> Path:
    """A folder ``root`` holding copies of the first ``n`` plain-text seeds (by name)."""
    root.mkdir()
    for seed in sorted(SEEDS.glob("*.txt"))[:n]:
        shutil.copy(seed, root / seed.name)
    return root


def run_builtins(text: str, published: str | None = None) -> Result:
    """Every built-in plugin over ``text`` (:func:`docmill.testing.run_plugins`, no Prefect).

    ``published`` stands in for what a loader reads; a plugin error or a failed span
    check (any error finding) fails the test.
    """
    result = run_plugins(text=text, name="sample.txt", builtins=BUILTINS, published=published)
    assert not result.errors, result.errors
    return result


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return list(read_dicts(path))


#: A finished run folder, read back (``records(kind)``, ``summary``, ``jsonl_bytes()``).
RunResult = FlowResult


@pytest.fixture
def run_flow(docmill_prefect: None) -> Callable[..., RunResult]:
    """``run_flow(paths, out, **flow_options)``: the real flow, real Prefect API, read back.

    Unlike the shipped ``docmill_run`` fixture (isolated from configuration, as a
    plugin author's tests should be), this is a run as the CLI makes it: settings
    come from ``docmill.toml`` and ``DOCMILL_*`` as a user's would.
    """
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
