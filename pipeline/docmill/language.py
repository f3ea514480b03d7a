"""A document's language: the source's own declaration first, offline detection second.

:func:`resolve` decides the ``language`` of every loaded document. A loader that
read a declaration (``<html lang>``, front matter ``lang``, the DOCX core
property ``language``, the PDF catalog's ``/Lang``) wins; else the text is
identified with py3langid (langid.py's model, shipped inside the wheel: nothing is
downloaded at run time; loaded on first use and shared by the process, from a
faster copy in the user's cache, :mod:`docmill.language_model`). A text
too short to tell, or one the detector is unsure of (a page of mixed languages),
is :data:`UNDETERMINED` (``"und"``, ISO 639-2's code for it); a page whose
paragraphs are in several languages, none of them most of the text (a festival
programme in four languages), is :data:`MULTIPLE` (``"mul"``). Every
language-aware plugin treats both like any language it does not handle, so no
English model reads the German paragraphs of a mixed page.

What decided is kept in the document's ``meta``: ``language_source``
(``"declared"``, ``"detected"`` or ``"undetermined"``) and, when the detector was
asked, ``language_confidence`` (its probability, 3 decimals),
``language_detected`` (its best guess, even when not trusted) and, for a text of
several paragraphs, ``language_shares`` (language -> share of the letters of the
paragraphs long enough to tell, 3 decimals).
"""

from __future__ import annotations

import re
import threading
from typing import Any

#: The language of a document too short or too mixed to tell (ISO 639-2 ``und``).
UNDETERMINED = "und"
#: The language of a page of several languages, none most of it (ISO 639-2 ``mul``).
MULTIPLE = "mul"
#: The code of the finding that says a plugin skipped a document for its language.
SKIP_CODE = "language-skipped"
#: A detected language must have at least this share of the paragraphs' letters.
MIN_SHARE = 0.6
#: Below this many letters the detector is not asked (it would guess); a CJK
#: character counts as two (one carries about a word's worth of text).
MIN_LETTERS = 20
#: A detection less probable than this is not trusted: the document is ``und``.
MIN_CONFIDENCE = 0.5
#: Only this much of a long text is read: enough for a stable answer, bounded cost.
SAMPLE_CHARS = 5000

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_LETTERS = re.compile(r"[^\W\d_]+", re.UNICODE)
_CJKS = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+")
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
_ASCII_LETTERS = bytes(range(ord("A"), ord("Z") + 1)) + bytes(range(ord("a"), ord("z") + 1))
_lock = threading.Lock()
_model: list[Any] = []
#: Detections py3langid makes itself before docmill builds its faster scorer of the
#: same numbers (:mod:`docmill.langid_fast`; ~0.3 s to build, 0.06 s once its state
#: depths are in the user's cache, ~0.3 ms less per paragraph): a one-document run
#: does not pay for it, a corpus does early on.
FAST_AFTER = 200
_asked = [0]


def _identifier(asking: int = 1) -> Any:
    """py3langid's identifier (loaded on first use), or after :data:`FAST_AFTER`
    detections the same scores without its Python loop (:mod:`docmill.langid_fast`)
    when its model has the known shape. ``asking``: the detections about to be made."""
    with _lock:
        if not _model:
            from docmill import language_model

            _model.append(language_model.load())
        before = _asked[0]
        _asked[0] += asking
        if before < FAST_AFTER <= _asked[0]:
            from docmill import language_model
            from docmill.langid_fast import build, state_depths

            def depths(ident: Any) -> Any:  # computed once per model, kept in the cache
                return language_model.derived("depths-1", lambda: state_depths(ident))

            _model[0] = build(_model[0], depths) or _model[0]
        return _model[0]


def letters(text: str) -> int:
    r"""The weight of ``text``'s letters for :data:`MIN_LETTERS` (CJK characters count twice).

    The ASCII letters are counted as the bytes ``bytes.translate`` deletes from the
    UTF-8 text (in ASCII, ``[^\W\d_]`` is ``[A-Za-z]``, and no byte of a longer
    character is below 0x80); only the runs of other characters go through the
    regular expressions, counted as what removing their letters takes off their
    length. The same count as the expressions over the whole text, at a quarter of
    the cost on news text (most of it ASCII).
    """
    data = text.encode("utf-8", "surrogatepass")
    count = len(data) - len(data.translate(None, _ASCII_LETTERS))
    if len(data) == len(text):  # all ASCII
        return count
    for run in _NON_ASCII.findall(text):
        count += 2 * len(run) - len(_LETTERS.sub("", run)) - len(_CJKS.sub("", run))
    return count


def classify(text: str) -> tuple[str, float] | None:
    """The detector's (ISO 639-1 code, probability) for ``text``; None when too short."""
    return classify_all([text])[0]


def classify_all(texts: list[str]) -> list[tuple[str, float] | None]:
    """:func:`classify` of each text, the detector asked once for all of them."""
    samples = [text[:SAMPLE_CHARS] for text in texts]
    return _classify(samples, [letters(sample) for sample in samples])


def _classify(samples: list[str], weights: list[int]) -> list[tuple[str, float] | None]:
    """:func:`classify_all` of samples no longer than :data:`SAMPLE_CHARS` whose
    :func:`letters` are ``weights``."""
    asked = [i for i, weight in enumerate(weights) if weight >= MIN_LETTERS]
    found: list[tuple[str, float] | None] = [None] * len(samples)
    if not asked:
        return found
    ident = _identifier(len(asked))
    many = getattr(ident, "classify_many", None)
    chosen = [samples[i] for i in asked]
    answers = many(chosen) if many else [ident.classify(sample) for sample in chosen]
    for i, (code, probability) in zip(asked, answers, strict=True):
        found[i] = (str(code), float(probability)) if code else None
    return found


def detect(text: str) -> str | None:
    """The ISO 639-1 code of ``text``'s language, or None when it cannot be told."""
    found = classify(text)
    if found is None or found[1] < MIN_CONFIDENCE:
        return None
    return found[0]


def shares(text: str) -> dict[str, float]:
    """Language -> share of the letters of ``text``'s paragraphs that are long enough to
    tell (trusted detections only), largest first; empty for fewer than two such."""
    paragraphs = _PARAGRAPH_BREAK.split(text[: 4 * SAMPLE_CHARS])
    return _shares(classify_all(paragraphs), [letters(p) for p in paragraphs])


def _shares(found: list[tuple[str, float] | None], sizes: list[int]) -> dict[str, float]:
    """:func:`shares` of paragraphs detected as ``found`` whose letters are ``sizes``."""
    weights: dict[str, int] = {}
    for each, size in zip(found, sizes, strict=True):
        if each is not None and each[1] >= MIN_CONFIDENCE:
            weights[each[0]] = weights.get(each[0], 0) + size
    total = sum(weights.values())
    if len(weights) < 2:
        return {}
    ranked = sorted(weights.items(), key=lambda item: (-item[1], item[0]))
    return {code: round(weight / total, 3) for code, weight in ranked}


def resolve(declared: str | None, text: str) -> tuple[str, dict[str, Any]]:
    """(language, meta entries) of a document whose loader found ``declared`` (or None).

    The declaration wins; else a trusted detection; else :data:`UNDETERMINED`, or
    :data:`MULTIPLE` when the paragraphs are in several languages, none most of them.
    """
    if declared:
        return declared, {"language_source": "declared"}
    sample = text[:SAMPLE_CHARS]
    weight = letters(sample)
    if weight < MIN_LETTERS:
        return UNDETERMINED, {"language_source": "undetermined"}
    # the text and its paragraphs asked at once (the paragraphs only matter if the
    # text has an answer, and it has one when it has enough letters); a paragraph's
    # letters are counted once, for asking and for its share
    paragraphs = _PARAGRAPH_BREAK.split(text[: 4 * SAMPLE_CHARS])
    sizes = [letters(p) for p in paragraphs]
    samples = [p[:SAMPLE_CHARS] for p in paragraphs]
    sample_sizes = [
        size if len(p) <= SAMPLE_CHARS else letters(s)
        for p, s, size in zip(paragraphs, samples, sizes, strict=True)
    ]
    found, *each = _classify([sample, *samples], [weight, *sample_sizes])
    if found is None:
        return UNDETERMINED, {"language_source": "undetermined"}
    code, probability = found
    meta: dict[str, Any] = {
        "language_confidence": round(probability, 3),
        "language_detected": code,
    }
    mixed = _shares(each, sizes)
    if mixed:
        meta["language_shares"] = mixed
        if next(iter(mixed.values())) < MIN_SHARE:
            return MULTIPLE, {"language_source": "detected", **meta}
    if probability < MIN_CONFIDENCE:
        return UNDETERMINED, {"language_source": "undetermined", **meta}
    return code, {"language_source": "detected", **meta}


def handles(declared: frozenset[str] | None, language: str | None) -> bool:
    """Whether a plugin that declared ``declared`` (None: any language) takes ``language``.

    ``"*"`` in a declaration means any language too. A regional tag matches its
    primary language (``"pt-BR"`` is handled by a plugin that declares ``"pt"``).
    """
    if declared is None or "*" in declared:
        return True
    code = (language or UNDETERMINED).lower()
    return code in declared or code.split("-", 1)[0] in declared
