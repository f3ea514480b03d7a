"""`make eval`: the annotations fit their documents, the scores are computed and printed."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import run_builtins

ROOT = Path(__file__).resolve().parent.parent


def load_eval() -> ModuleType:
    spec = importlib.util.spec_from_file_location("run_eval", ROOT / "eval" / "run_eval.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["run_eval"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_every_annotation_names_a_seed_and_has_every_section() -> None:
    files = sorted((ROOT / "eval" / "annotations").glob("*.json"))
    assert len(files) >= 4
    for path in files:
        gold = json.loads(path.read_text(encoding="utf-8"))
        doc = ROOT / gold["document"]
        assert doc.is_file() and doc.parent.name == "seeds", path
        assert gold["sentences"] and gold["entities"] and gold["quotes"] and gold["dates"]
        text = doc.read_text(encoding="utf-8")
        for q in gold["quotes"]:
            assert q["starts"] in text, (path.name, q)


def test_make_eval_prints_every_figure(capsys: pytest.CaptureFixture[str]) -> None:
    module = load_eval()
    assert module.main(["--repeat", "1"]) == 0  # 1 would mean an annotation does not fit
    out = capsys.readouterr().out
    for label in (
        "sentence exact-match",
        "entities by canonical name: precision",
        "quote speaker accuracy",
        "date accuracy",
        "extract stage alone",
    ):
        assert label in out
    if module.GOLDEN.is_file():
        passed = int(out.split("golden rules (sentence exact-match): ")[1].split("/")[0])
        assert passed >= 44


def test_scores_count_wrong_speakers_dates_and_spurious_entities() -> None:
    module = load_eval()
    text = "Rain Plan\n\n“We are ready for the storm,” said Mayor Lena Fischer on 3 May 2024.\n"
    result = run_builtins(text)
    assert result.clean is not None
    gold = {
        "document": "seeds/x.txt",
        "sentences": ["Rain Plan", "not a sentence of this text"],
        "entities": [["Lena Fischer", "PERSON"], ["Hamburg", "GPE"]],
        "quotes": [{"starts": "“We are ready", "speaker": "Someone Else"}],
        "dates": [{"text": "3 May 2024", "value": "2024-05-03"}],
    }
    scores = module.Scores()
    module.score_document(result.output, result.clean.text, gold, scores)
    assert (scores.sentences.hit, scores.sentences.total) == (1, 2)
    assert scores.problems  # the second gold sentence is not in the text
    assert scores.entity_gold == 2 and scores.entity_tp == 1
    assert (scores.quotes.hit, scores.quotes.total) == (0, 1)
    assert (scores.dates.hit, scores.dates.total) == (1, 1)
