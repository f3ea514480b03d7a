"""Lower-case words run together by lost whitespace ("ofthe", "withthe"), told by word frequencies.

A lower-case token is split in two when wordfreq's English frequencies say the two
words are far likelier than the token as one word: both halves are among the most
frequent English words (Zipf frequency at least :data:`PART_ZIPF`: "of", "the",
"with" …), the token itself is rare (below :data:`WHOLE_ZIPF`), and the pair is at
least :data:`MARGIN` (a factor of 100) more frequent than the token. Real words stay
whole: "into", "onto", "cannot", "within", "therein", "atone" are all more frequent
as themselves than the margin allows. Only all-lower-case tokens are looked at,
never one touching a digit, ``.``, ``@``, ``/``, ``-`` or ``_`` (addresses, code),
so names are never split. The frequencies come from the ``wordfreq`` package's
data; nothing is downloaded.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from functools import cache, lru_cache

PART_ZIPF = 6.0
WHOLE_ZIPF = 4.0
MARGIN = 2.0
_TOKEN = re.compile(r"(?<![\w’'\-./@#_])[a-z]{4,}(?![\w’'\-/@_]|\.\w)")


@cache
def _common() -> dict[str, float]:
    """Zipf frequency of the most frequent English words (wordfreq's small list)."""
    from wordfreq import get_frequency_dict

    freqs = get_frequency_dict("en", wordlist="small")
    return {w: math.log10(f * 1e9) for w, f in freqs.items() if f * 1e9 >= 10**PART_ZIPF}


@cache
def _longest_common() -> int:
    """The length of the longest word of :func:`_common`."""
    return max(map(len, _common()), default=0)


def _zipf(word: str) -> float:
    from wordfreq import zipf_frequency

    return float(zipf_frequency(word, "en", wordlist="large"))


@lru_cache(maxsize=65536)
def split_point(token: str) -> int | None:
    """Where to put the missing space in ``token``, or None when it is a word.

    Cached: a text's tokens are mostly the same few thousand words.
    """
    common = _common()
    longest = _longest_common()
    best: tuple[float, int] | None = None
    # both halves are common words, so neither is longer than the longest of them
    for i in range(max(1, len(token) - longest), min(len(token), longest + 1)):
        head, tail = token[:i], token[i:]
        if head in common and tail in common:
            score = common[head] + common[tail] - 9
            if best is None or score > best[0]:
                best = (score, i)
    if best is None:
        return None
    whole = _zipf(token)
    if whole >= WHOLE_ZIPF or best[0] - whole < MARGIN:
        return None
    return best[1]


def glued(text: str) -> Iterator[int]:
    """Offsets in ``text`` where a space was lost between two lower-case words."""
    for m in _TOKEN.finditer(text):
        at = split_point(m.group())
        if at is not None:
            yield m.start() + at
