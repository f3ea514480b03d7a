"""Offline language identification for documents whose loader found no language.

Uses py3langid (langid.py's model, shipped inside the wheel: nothing is
downloaded at run time). The model is loaded on first use and shared by the
process. Texts too short to judge give None rather than a guess.
"""

from __future__ import annotations

import re
import threading
from typing import Any

#: Fewer letters than this and the detector is not asked (it would guess).
MIN_LETTERS = 20
#: Only this much of a long text is read: enough for a stable answer, bounded cost.
SAMPLE_CHARS = 5000

_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
_lock = threading.Lock()
_model: list[Any] = []


def _identifier() -> Any:
    with _lock:
        if not _model:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            _model.append(LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True))
        return _model[0]


def detect(text: str) -> str | None:
    """The ISO 639-1 code of ``text``'s language, or None when it is too short to tell."""
    sample = text[:SAMPLE_CHARS]
    if len(_LETTER.findall(sample)) < MIN_LETTERS:
        return None
    code, _probability = _identifier().classify(sample)
    return str(code) if code else None
