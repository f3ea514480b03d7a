"""docmill's sentence spans against main's (or any other checkout's) on many paragraphs.

Every paragraph ``segment_text.sentences`` receives while the real load, clean and
segment stages run over the ``--stages`` corpora/folders (saved with ``--save``, read
back with ``--pickle``), and the paragraphs of the given folders' files read
directly, is split by this checkout's ``segment_text.sentences`` and by the
reference checkout's, and the spans compared. It also compares the English
processor's sentences with pysbd's own ``Processor``.

    PYTHONPATH=pipeline:plugins .venv/bin/python bench/sbd_equal.py --ref /work/main \
        --stages CORPUS-1MB CORPUS-10MB seeds eval [--save paras.pkl] [FOLDER ...]
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


def _through_stages(sources: list[Path]) -> list[tuple[str, str]]:
    """(paragraph, language) of every call of ``sentences`` while the real load, clean
    and segment stages run over ``sources`` with the default plugins."""
    from docmill.engine import DocState, record_kinds, run_stage
    from docmill.plugins import build_manager
    from docmill.sources import discover

    seen: list[tuple[str, str]] = []
    real = ours.sentences

    def recording(text: str, start: int, end: int, language: str = "en") -> Any:
        seen.append((text[start:end], language))
        return real(text, start, end, language)

    ours.sentences = recording
    try:
        mgr = build_manager()
        kinds = record_kinds(mgr)
        for source in sources:
            items = discover([str(source)])
            for i in range(0, len(items), 64):
                states = [DocState.of(item) for item in items[i : i + 64]]
                for stage in ("load", "clean", "segment"):
                    run_stage(stage, mgr, states, kinds)
            print(f"{source}: {len(items)} documents, {len(seen)} paragraphs", file=sys.stderr)
    finally:
        ours.sentences = real
    return seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path)
    parser.add_argument("--ref", type=Path, required=True, help="the reference checkout")
    parser.add_argument("--stages", type=Path, nargs="*", default=[], help="corpora to run")
    parser.add_argument("--save", type=Path, help="pickle the paragraphs --stages gave here")
    parser.add_argument("--pickle", type=Path, help="[(paragraph text, language)] to check")
    args = parser.parse_args()
    ref = _load(args.ref / "plugins" / "docmill_builtins" / "segment_text.py")
    items: list[tuple[str, str]] = []
    if args.pickle:
        items += pickle.loads(args.pickle.read_bytes())
    if args.stages:
        staged = _through_stages(args.stages)
        if args.save:
            args.save.write_bytes(pickle.dumps(staged))
        items += staged
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
        if lang != (ref.sentence_language(language) or "en"):
            continue  # rules the reference lacks (pt, ko before sentences_ptko): nothing to compare
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
