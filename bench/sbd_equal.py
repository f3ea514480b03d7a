"""docmill's sentence spans against main's (or any other checkout's) on many paragraphs.

Every paragraph ``segment_text.sentences`` received while the real load, clean and
segment stages ran over the given corpora/folders (pickled by a collecting run), or
the paragraphs of the given folders' files directly, is split by this checkout's
``segment_text.sentences`` and by the reference checkout's, and the spans compared.
It also compares the English processor's sentences with pysbd's own ``Processor``.

    PYTHONPATH=pipeline:plugins .venv/bin/python bench/sbd_equal.py --ref /work/main \
        [--pickle paras.pkl] [FOLDER ...]
"""

from __future__ import annotations

import argparse
import importlib.util
import pickle
import sys
import time
from pathlib import Path
from typing import Any

import pysbd

from docmill_builtins import segment_text as ours


def _load(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location("ref_segment_text", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path)
    parser.add_argument("--ref", type=Path, required=True, help="the reference checkout")
    parser.add_argument("--pickle", type=Path, help="[(paragraph text, language)] to check")
    args = parser.parse_args()
    ref = _load(args.ref / "plugins" / "docmill_builtins" / "segment_text.py")
    items: list[tuple[str, str]] = []
    if args.pickle:
        items += pickle.loads(args.pickle.read_bytes())
    for folder in args.folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.suffix in (".md", ".txt", ".html"):
                text = path.read_text(encoding="utf-8", errors="replace")
                items += [(text[s:e], "en") for s, e in ours.paragraphs(text)]
    pysbd_en = pysbd.Segmenter(language="en", clean=False)
    bad = 0
    t_ours = t_ref = 0.0
    for text, language in items:
        lang = ours.sentence_language(language) or "en"
        t0 = time.process_time()
        mine = list(ours.sentences(text, 0, len(text), lang))
        t1 = time.process_time()
        theirs = list(ref.sentences(text, 0, len(text), lang))
        t_ref += time.process_time() - t1
        t_ours += t1 - t0
        if lang == "en":
            chunk = text.translate(ours._UNPAIR)
            own = pysbd_en.processor(chunk).process()
            if ours._splitter("en").processor(chunk).process() != own:
                bad += 1
                print("differs from pysbd:", repr(text[:200]), file=sys.stderr)
                continue
        if mine != theirs:
            bad += 1
            print("differs from the reference:", repr(text[:200]), file=sys.stderr)
    print(
        f"{len(items)} paragraphs, {bad} differ; sentences() CPU s: "
        f"this {t_ours:.2f}, reference {t_ref:.2f}"
    )
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
