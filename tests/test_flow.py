"""The whole flow on real files, through Prefect's real local API and real plugins."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from tests.conftest import SEEDS, RunResult, check_offsets

pytestmark = pytest.mark.flow

Run = Callable[..., RunResult]


def test_seeds_end_to_end(run_flow: Run, tmp_path: Path) -> None:
    result = run_flow([SEEDS], tmp_path / "out")
    n_seeds = len(list(SEEDS.iterdir()))
    assert result.summary["documents"] == n_seeds
    assert result.summary["rejects"] == 0
    for kind in ("document", "edit", "segment", "entity", "quote", "date", "finding", "reject"):
        assert (result.folder / result.summary["files"][kind]).is_file()
    assert result.records("entity") and result.records("date") and result.records("segment")
    assert check_offsets(result) > 100
    assert not [f for f in result.records("finding") if f["severity"] == "error"]
    manifest = orjson.loads((result.folder / "manifest.json").read_bytes())
    assert manifest["counts"]["document"] == n_seeds
    assert set(manifest["timings"]) == {"load", "clean", "segment", "extract", "validate", "export"}
    assert manifest["plugins"]["extract_entities"]
    assert all(len(i["sha256"]) == 64 for i in manifest["inputs"])
    assert (tmp_path / "out" / "LATEST").read_text().strip() == manifest["run_id"]
    assert not list((tmp_path / "out").glob(".partial-*"))


def test_shared_article_boilerplate_is_an_edit_and_no_segment(
    run_flow: Run, tmp_path: Path, shared_article: Path
) -> None:
    result = run_flow([shared_article], tmp_path / "out")
    (doc,) = result.records("document")
    text = doc["text"]
    assert text == shared_article.read_text(encoding="utf-8")
    line_start = text.index("READ ALSO:")
    (edit,) = [e for e in result.records("edit") if e["start"] == line_start]
    assert edit["replacement"] == "" and "teaser" in edit["reason"]
    assert text[edit["start"] : edit["end"]].startswith("READ ALSO: Russia")
    for seg in result.records("segment"):
        assert seg["end"] <= edit["start"] or seg["start"] >= edit["end"], seg
    for ent in result.records("entity"):
        assert ent["end"] <= edit["start"] or ent["start"] >= edit["end"], ent
    assert check_offsets(result) > 50
    labels = {e["text"]: e["label"] for e in result.records("entity")}
    assert labels.get("Jens Stoltenberg") == "PERSON"


def test_two_runs_write_byte_identical_jsonl(run_flow: Run, tmp_path: Path) -> None:
    first = run_flow([SEEDS], tmp_path / "out", batch_size=2)
    second = run_flow([SEEDS], tmp_path / "out", batch_size=3)
    assert first.folder != second.folder
    assert first.jsonl_bytes() == second.jsonl_bytes()


def test_bad_inputs_become_rejects_and_nothing_is_lost(run_flow: Run, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEEDS / "central_bank_rates.txt", corpus / "good.txt")
    shutil.copy(SEEDS / "central_bank_rates.txt", corpus / "copy_of_good.txt")
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "spaces.txt").write_bytes(b"   \n\t\n")
    (corpus / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    (corpus / "noise.txt").write_bytes(bytes(range(256)) * 8)
    (corpus / "latin1.txt").write_bytes("Café in São Paulo, Müller said.".encode("latin-1"))
    result = run_flow([corpus], tmp_path / "out")
    inputs = {i["source"]: i for i in result.summary["inputs"]}
    assert len(inputs) == 7
    assert result.summary["documents"] + result.summary["rejects"] == 7
    rejects = {r["source"].split("/")[-1]: r for r in result.records("reject")}
    # inputs are taken in name order, so the later copy is the duplicate
    assert set(rejects) == {"empty.txt", "spaces.txt", "image.png", "noise.txt", "good.txt"}
    assert "empty" in rejects["empty.txt"]["error"]
    assert rejects["image.png"]["stage"] == "load"
    assert "no loader accepts" in rejects["image.png"]["error"]
    assert "image/png" in rejects["image.png"]["error"]
    assert rejects["noise.txt"]["plugin"] == "load_text"
    assert "binary" in rejects["noise.txt"]["error"]
    assert "same content as corpus/copy_of_good.txt" in rejects["good.txt"]["error"]
    docs = {d["source"].split("/")[-1]: d for d in result.records("document")}
    assert docs["latin1.txt"]["text"] == "Café in São Paulo, Müller said."
    assert docs["latin1.txt"]["encoding"]


RAISING_EXTRACTOR = """
from docmill import hookimpl

@hookimpl
def extract(doc):
    if "Harbour Bridge" in doc.text:
        raise RuntimeError("cannot handle bridges")
    return []
"""


def test_plugin_that_raises_in_extract_costs_only_its_contribution(
    run_flow: Run, tmp_path: Path, install_plugin: Callable[..., str]
) -> None:
    install_plugin("fragile", RAISING_EXTRACTOR)
    result = run_flow([SEEDS], tmp_path / "out")
    assert result.summary["rejects"] == 0
    assert result.summary["plugins"]["fragile"] == "1.2.3"
    docs = {d["source"].split("/")[-1]: d["id"] for d in result.records("document")}
    bridge = docs["harbour_bridge_reopens.txt"]
    errors = [f for f in result.records("finding") if f["code"] == "plugin-error"]
    assert [(f["doc_id"], f["plugin"]) for f in errors] == [(bridge, "fragile")]
    assert "RuntimeError: cannot handle bridges" in errors[0]["message"]
    entities_by_doc = {e["doc_id"] for e in result.records("entity")}
    assert set(docs.values()) <= entities_by_doc  # the failing doc kept its entities


def test_plugin_that_raises_in_clean_rejects_only_that_input(
    run_flow: Run, tmp_path: Path, install_plugin: Callable[..., str]
) -> None:
    install_plugin(
        "picky",
        """
        from docmill import hookimpl

        @hookimpl
        def clean(doc):
            if "wildfire" in doc.text.lower():
                raise ValueError("smoke in the text")
            return []
        """,
    )
    result = run_flow([SEEDS], tmp_path / "out")
    (reject,) = result.records("reject")
    assert reject["source"] == "seeds/wildfire_evacuations.txt"
    assert (reject["stage"], reject["plugin"]) == ("clean", "picky")
    assert "ValueError: smoke in the text" in reject["error"]
    assert result.summary["documents"] == len(list(SEEDS.iterdir())) - 1


MONEY_PLUGIN = """
import re
from typing import Literal
from docmill import Span, hookimpl

class Money(Span):
    kind: Literal["money"] = "money"
    currency: str

@hookimpl
def record_types():
    return [Money]

@hookimpl
def extract(doc):
    for m in re.finditer(r"£\\s?\\d[\\d,.]*(?:\\s?million)?", doc.text):
        yield Money(start=m.start(), end=m.end(), currency="GBP")
"""


def test_third_party_record_kind_gets_its_own_file(
    run_flow: Run, tmp_path: Path, install_plugin: Callable[..., str]
) -> None:
    install_plugin("money", MONEY_PLUGIN)
    result = run_flow([SEEDS], tmp_path / "out")
    assert result.summary["files"]["money"] == "moneys.jsonl"
    money = result.records("money")
    assert {m["text"] for m in money} >= {"£48 million", "£20 million", "£6,000"}
    assert all(m["plugin"] == "money" and m["currency"] == "GBP" for m in money)
    assert check_offsets(result) > 0


class _HeldStates:
    """A run_complete plugin that counts the document states the batches' task results
    still hold when every batch is written (the flow run still going)."""

    from docmill.hookspecs import hookimpl

    def __init__(self) -> None:
        self.held: list[int] = []

    @hookimpl
    def run_complete(self, run: object, manifest: dict[str, object]) -> None:
        import gc

        from docmill.orchestration.tasks import Timed

        results = [o for o in gc.get_objects() if isinstance(o, Timed)]
        self.held.append(sum(len(t.states) for t in results))


def test_written_batches_are_not_held_while_the_run_goes_on(run_flow: Run, tmp_path: Path) -> None:
    """Prefect keeps every task run's result until its flow run ends; a batch's result
    must let go of its states once they are written, or the flow process grows with
    the corpus (on 10 MB of news it grew 127 -> 223 MB; without them it stays ~140)."""
    from docmill.testing import registered

    probe = _HeldStates()
    with registered(("held_states", probe)):
        result = run_flow([SEEDS], tmp_path / "out", batch_size=2)
    assert result.summary["documents"] == len(list(SEEDS.iterdir())) > 2
    assert probe.held == [0]
