"""py3langid's model from the user's cache (:mod:`docmill.language_model`).

The copy is only a faster way to the same model: the identifier built from it
gives py3langid's own answers, and a cache that cannot be written changes nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from py3langid.langid import MODEL_FILE, LanguageIdentifier

from docmill import language_model

SAMPLES = Path(__file__).resolve().parent / "fixtures" / "languages"


def _texts() -> list[str]:
    texts = [p.read_text(encoding="utf-8") for p in sorted(SAMPLES.iterdir()) if p.is_file()]
    assert len(texts) >= 7
    return [*texts, "Short.", "The bank raised its rates.", "Die Bank erhöhte die Zinsen."]


def test_the_cached_copy_gives_py3langids_own_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    reference = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)

    first = language_model.load()  # writes the copy
    copies = list((tmp_path / "docmill").glob("py3langid-*.npz"))
    assert len(copies) == 1 and not list((tmp_path / "docmill").glob(".tmp-*"))
    second = language_model.load()  # reads it

    for text in _texts():
        expected = reference.classify(text)
        assert first.classify(text) == expected
        assert second.classify(text) == expected
        assert second.rank(text)[:5] == reference.rank(text)[:5]


def test_a_cache_that_cannot_be_written_or_read_falls_back_to_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # docmill/ cannot be made below it
    reference = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    assert language_model.load().classify("The bank raised its rates.") == reference.classify(
        "The bank raised its rates."
    )

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    language_model.load()
    (copy,) = (tmp_path / "cache" / "docmill").glob("py3langid-*.npz")
    copy.write_bytes(b"damaged")  # a truncated copy is read again from the package
    assert language_model.load().classify("Die Bank erhöhte die Zinsen.") == reference.classify(
        "Die Bank erhöhte die Zinsen."
    )
    assert copy.stat().st_size > 1000, "the damaged copy was not replaced"


def test_the_automatons_depths_are_computed_once_and_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import numpy as np

    from docmill.langid_fast import build, state_depths

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    ident = language_model.load()
    computed = state_depths(ident)
    assert computed is not None
    made: list[int] = []

    def make() -> object:
        made.append(1)
        return state_depths(ident)

    first = language_model.derived("depths-1", make)
    (kept,) = (tmp_path / "docmill").glob("py3langid-*-depths-1.npy")
    second = language_model.derived("depths-1", make)  # read back, not computed
    assert made == [1] and (first == computed).all() and (second == computed).all()

    kept.write_bytes(b"damaged")  # a damaged copy is computed again and replaced
    assert (language_model.derived("depths-1", make) == computed).all() and made == [1, 1]
    assert (np.load(kept) == computed).all()

    # depths that do not fit the model (another model's, a bad file) are computed again
    for wrong in (np.zeros(3, dtype=np.int64), computed + 1, computed.astype(float)):
        scorer = build(ident, lambda _: wrong)  # noqa: B023
        assert scorer is not None and (scorer.depth == computed).all()
    text = "Die Bank erhöhte die Zinsen."
    fast = build(ident, lambda _: second)
    assert fast is not None and fast.classify(text) == ident.classify(text)
