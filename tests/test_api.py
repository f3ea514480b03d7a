"""``docmill.run`` from Python: the real flow, the run read back as record models."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import pytest

import docmill
from docmill.records import Document, Entity
from tests.conftest import SEEDS, cleaned_surface

pytestmark = pytest.mark.flow


def test_run_returns_models_whose_offsets_match_the_text(
    prefect_api: None, tmp_path: Path
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in sorted(p.name for p in SEEDS.iterdir())[:2]:
        shutil.copy(SEEDS / name, corpus / name)

    run = docmill.run([corpus], out=tmp_path / "out", batch_size=1, time_limit=0)

    assert run.folder.parent == tmp_path / "out"
    assert run.manifest.documents == 2 and run.manifest.rejects == 0
    documents = {d.id: d for d in run.records("document")}
    assert all(isinstance(d, Document) for d in documents.values())
    edits = [e.model_dump() for e in run.records("edit")]
    entities = list(run.records("entity"))
    assert entities and all(isinstance(e, Entity) for e in entities)
    for entity in entities:
        text = documents[entity.doc_id].text
        mine = [e for e in edits if e["doc_id"] == entity.doc_id]
        assert cleaned_surface(text, mine, entity.start, entity.end) == entity.text, entity

    # again, from inside a running event loop (as in a notebook), everything reprocessed
    async def in_a_notebook() -> Any:
        return docmill.run(corpus, out=tmp_path / "out", batch_size=2, time_limit=0, full=True)

    again = asyncio.run(in_a_notebook())
    assert again.folder != run.folder
    for kind in run.kinds:
        assert list(again.records(kind)) == list(run.records(kind)), kind


def test_run_refuses_bad_requests_before_any_work(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no such file or folder"):
        docmill.run([tmp_path / "missing"], out=tmp_path / "out")
    with pytest.raises(TypeError, match="did you mean 'batch_size'"):
        docmill.run([SEEDS], out=tmp_path / "out", batchsize=4)
    with pytest.raises(ValueError, match="batch_size"):
        docmill.run([SEEDS], out=tmp_path / "out", batch_size=0)
    assert not (tmp_path / "out").exists()
