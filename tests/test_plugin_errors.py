"""A failing plugin's own traceback, and ``fail_fast`` (:mod:`docmill.engine.failures`).

A plugin that raises costs its contribution only, and the finding (extract,
validate) or reject (load, clean, segment) it leaves carries the plugin's own
frames, so its author sees where it failed; with ``fail_fast`` the first failure
raises :class:`~docmill.engine.PluginError` instead, in this process and from a
worker process alike.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from docmill.engine import STAGES, DocState, PluginError, record_kinds, run_stage
from docmill.engine.workers import PoolConfig, WorkerPool, WorkerSetup
from docmill.plugins import build_manager
from docmill.records import Finding, Reject
from docmill.sources import InputFile
from tests.conftest import RunResult

FAILS = """
from docmill import hookimpl


def _parse_amount(text):
    return int(text.split("$", 1)[1].split()[0])  # no "$" in the text: IndexError


@hookimpl
def extract(doc):
    _parse_amount(doc.text)
    return []


@hookimpl
def clean(doc):
    if "Clean" in doc.text:
        raise ValueError("cannot clean this one")
    return []
"""

ONLY = ("fails", "load_text", "segment_text")


def _inputs(tmp_path: Path) -> list[InputFile]:
    texts = {"a.txt": "Prices rose in Lyon.\n", "b.txt": "Clean me.\n", "c.txt": "Rain in Leeds.\n"}
    for name, text in texts.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return [InputFile(name, tmp_path / name) for name in texts]


def _in_process(items: list[InputFile], fail_fast: bool = False) -> list[DocState]:
    mgr = build_manager(only=ONLY)
    kinds = record_kinds(mgr)
    states = [DocState.of(item) for item in items]
    for stage in STAGES:
        run_stage(stage, mgr, states, kinds, fail_fast=fail_fast)
    return states


def _in_pool(items: list[InputFile], fail_fast: bool = False) -> list[DocState]:
    with WorkerPool(PoolConfig(WorkerSetup(only=ONLY), time_limit=60)) as pool:
        states = [DocState.of(item) for item in items]
        for stage in STAGES:
            states = pool.run(stage, states, batch="run/0", fail_fast=fail_fast)
    return states


@pytest.mark.parametrize("where", [_in_process, _in_pool], ids=["in-process", "worker"])
def test_a_failing_plugin_leaves_its_own_traceback(
    where: Callable[..., list[DocState]], tmp_path: Path, install_plugin: Callable[..., str]
) -> None:
    module = install_plugin("fails", FAILS)
    plugin_file = str(tmp_path / "site-packages" / f"{module}.py")
    a, b, c = where(_inputs(tmp_path))

    # extract: the document stays, with an error finding carrying the plugin's frames
    (finding,) = [r for r in a.records if isinstance(r, Finding) and r.code == "plugin-error"]
    assert finding.message == (
        "extract plugin 'fails' failed on this document: IndexError: list index out of range"
    )
    assert finding.traceback is not None
    lines = finding.traceback.splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    assert f'File "{plugin_file}", line' in lines[1] and lines[1].endswith("in extract")
    assert "in _parse_amount" in finding.traceback
    assert lines[-1] == "IndexError: list index out of range"
    assert "docmill/engine" not in finding.traceback  # docmill's frames above it are gone
    assert c.alive and c.document is not None

    # clean: the input becomes a reject naming the plugin, with its traceback
    reject = b.reject
    assert reject is not None and (reject.stage, reject.plugin) == ("clean", "fails")
    assert reject.error == "ValueError: cannot clean this one"
    assert reject.traceback is not None
    assert f'File "{plugin_file}"' in reject.traceback and "in clean" in reject.traceback
    assert reject.traceback.endswith("ValueError: cannot clean this one\n")


def test_tracebacks_are_the_same_in_process_and_from_a_worker(
    tmp_path: Path, install_plugin: Callable[..., str]
) -> None:
    install_plugin("fails", FAILS)
    items = _inputs(tmp_path)
    here = [r.model_dump_json() for s in _in_process(items) for r in s.output()]
    there = [r.model_dump_json() for s in _in_pool(items) for r in s.output()]
    assert here == there


def test_the_traceback_is_left_out_of_the_json_when_there_is_none() -> None:
    finding = Finding(doc_id="d", code="c", severity="info", message="m")
    assert orjson.dumps(finding.model_dump(mode="json")) == (
        b'{"kind":"finding","plugin":"","doc_id":"d","code":"c","severity":"info",'
        b'"message":"m","start":null,"end":null,"related":[]}'
    )
    reject = Reject(source="s", stage="load", plugin="p", error="e", traceback="T\n")
    assert orjson.loads(reject.model_dump_json())["traceback"] == "T\n"
    assert Reject.model_validate_json(reject.model_dump_json()) == reject


def test_a_refused_result_has_no_plugin_traceback(
    tmp_path: Path, install_plugin: Callable[..., str]
) -> None:
    """The plugin raised nothing: docmill refused what it returned, and says why."""
    install_plugin(
        "returns_text",
        """
        from docmill import hookimpl

        @hookimpl
        def extract(doc):
            return "not a list of records"
        """,
    )
    (tmp_path / "a.txt").write_text("Rain in Leeds.\n")
    mgr = build_manager(only=("load_text", "returns_text"))
    states = [DocState.of(InputFile("a.txt", tmp_path / "a.txt"))]
    for stage in STAGES:
        run_stage(stage, mgr, states, record_kinds(mgr))
    (finding,) = [r for r in states[0].records if isinstance(r, Finding)]
    assert "returned str, expected an iterable" in finding.message
    assert finding.traceback is None


@pytest.mark.parametrize("where", [_in_process, _in_pool], ids=["in-process", "worker"])
def test_fail_fast_raises_plugin_error_from_the_plugins_exception(
    where: Callable[..., list[DocState]], tmp_path: Path, install_plugin: Callable[..., str]
) -> None:
    install_plugin("fails", FAILS)
    items = _inputs(tmp_path)[1:]  # b.txt fails in clean, before any extract
    with pytest.raises(PluginError) as caught:
        where(items, fail_fast=True)
    error = caught.value
    assert (error.plugin, error.stage, error.source) == ("fails", "clean", "b.txt")
    assert str(error) == "clean plugin 'fails' failed on b.txt: ValueError: cannot clean this one"
    assert isinstance(error.__cause__, ValueError)
    assert str(error.__cause__) == "cannot clean this one"
    assert "in clean" in error.traceback and error.traceback.startswith("Traceback")


@pytest.mark.flow
def test_fail_fast_stops_the_flow_and_leaves_no_run(
    run_flow: Callable[..., RunResult], tmp_path: Path, install_plugin: Callable[..., str]
) -> None:
    install_plugin("fails", FAILS)
    corpus = tmp_path / "in"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Prices rose in Lyon.\n")
    out = tmp_path / "out"
    with pytest.raises(PluginError) as caught:
        run_flow([corpus], out, only=[*ONLY, "export_jsonl"], fail_fast=True)
    assert (caught.value.plugin, caught.value.stage) == ("fails", "extract")
    assert isinstance(caught.value.__cause__, IndexError)
    assert not list(out.glob("*/manifest.json"))

    kept = run_flow([corpus], out, only=[*ONLY, "export_jsonl"])  # without it: an error finding
    (finding,) = kept.records("finding")
    assert finding["code"] == "plugin-error" and "in _parse_amount" in finding["traceback"]


def test_fail_fast_leaves_a_loaders_refusal_a_reject(tmp_path: Path) -> None:
    """Raising is how a loader refuses an input it owns: a reject, even with fail_fast."""
    (tmp_path / "c.bin").write_bytes(b"\x00\x01binary")
    mgr = build_manager(only=("load_text",))
    states = [DocState.of(InputFile("c.bin", tmp_path / "c.bin"))]
    run_stage("load", mgr, states, record_kinds(mgr), fail_fast=True)
    reject = states[0].reject
    assert reject is not None and reject.plugin == "load_text"
    assert "binary content" in reject.error
