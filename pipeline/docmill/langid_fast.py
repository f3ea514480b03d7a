"""py3langid's scores without its byte-by-byte walk in Python: the same numbers, faster.

py3langid counts its features by walking a text's UTF-8 bytes through an
automaton one byte at a time in a Python loop (``visit_counts``), then scores
the counts (a naive Bayes dot product). The loop was most of what language
detection cost docmill per document (~2.8 s for 110 articles against 14 s of
spaCy NER).

The automaton is Aho-Corasick's for a set of byte strings of at most six bytes
(the strings of its states; tests/test_language_fast.py rebuilds the automaton
from them and finds it equal, transition for transition): after any input its
state is the one of the *longest suffix* of the input that is such a string. So
the state after each byte follows from the (up to) six bytes ending there, which
numpy finds for every position at once: for each length k, the k-grams of the
text looked up among the states' strings of length k, the longest hit winning.
The features are then counted in the order the walk first meets them (the
``Counter`` py3langid scores, whose key order fixes the float sums), and scored
as py3langid's ``_sparse_score`` does (over a float32 copy of its float16
table: the same products) and normalised as its ``_decide`` does: the same
probabilities, bit for bit (tests/test_language_fast.py checks them against
py3langid on every sample text and on Hypothesis texts; the 1 MB bench corpus
gave the same 3,728 answers).

When py3langid's model does not have this shape (another version), :func:`build`
returns None and docmill asks py3langid itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

#: The longest state string this module handles (py3langid's model: 6 bytes).
MAX_DEPTH = 8

_Ints = npt.NDArray[np.int64]
#: States whose transitions are read at once while finding the depths.
_CHUNK = 2048


class FastScorer:
    """The feature counts and class probabilities of a py3langid ``LanguageIdentifier``."""

    def __init__(self, ident: Any, depth: _Ints) -> None:
        #: py3langid's text to bytes (lower case if all upper, NFC, UTF-8)
        self.encode = ident._encode
        self.classes: list[str] = list(ident.nb_classes)
        self.alias_pairs: list[tuple[int, int]] = list(ident._alias_pairs)
        self.prior = ident.nb_pc
        #: the feature weights as float32: py3langid's float16 table is converted to
        #: float32 by numpy in every product; converted once here, the products see
        #: the same float32 numbers (28 MB more than the float16 table, which is
        #: not kept) and take a quarter of the time
        self.table = np.asarray(ident.nb_ptc, dtype=np.float32)
        self.output = np.asarray(ident.tk_output, dtype=np.int64)
        self.nextmove = np.asarray(ident.tk_nextmove)
        self.rowbase = np.asarray(ident.tk_row, dtype=np.int64) << 8
        #: the length of each state's string
        self.depth = depth
        self.max_depth = int(depth.max())
        #: the number of features (feature ids are below it)
        self.features = len(self.table)

    def states(self, data: bytes) -> _Ints:
        """The automaton's state after each byte of ``data`` (as py3langid's walk from 0).

        The state after byte i is the longest string of a state that ends at i. The
        strings of length k ending at each position are found from those of length
        k - 1 ending one byte earlier: a string of length k is a state's exactly when
        the transition from its first k - 1 bytes' state leads k bytes deep.
        """
        b = np.frombuffer(data, dtype=np.uint8).astype(np.int64)
        # length 1: the transitions from the root that lead one byte deep
        reach = self.nextmove[self.rowbase[0] + b].astype(np.int64)
        reach[self.depth[reach] != 1] = 0
        state: _Ints = reach.copy()
        for k in range(2, self.max_depth + 1):
            if len(b) < k:
                break
            moved = self.nextmove[self.rowbase[reach[:-1]] + b[k - 1 :]].astype(np.int64)
            deep = self.depth[moved] == k
            if not deep.any():
                break
            moved[~deep] = 0
            reach = moved
            tail = state[k - 1 :]
            tail[deep] = moved[deep]
        return state

    def counts(self, data: bytes) -> tuple[_Ints, _Ints] | None:
        """(features, counts) in the order py3langid's walk first meets them; None if none."""
        found = self.output[self.states(data)]
        found = found[found >= 0]
        if not len(found):
            return None
        return first_met(found)

    def _scores(self, size: int, counted: tuple[_Ints, _Ints] | None) -> Any:
        """py3langid's ``_decide`` with ``norm_probs`` from the counts of a text of ``size``
        bytes: the probability of each class."""
        raw = np.zeros((1, len(self.classes)), dtype=np.float32)
        if counted is not None:
            features, counts = counted
            idx = features.astype(np.intp)
            raw[0] = np.log1p(counts.astype(np.float32)) @ self.table[idx] + self.prior
        return self._normalised(raw, [size])[0]

    def _normalised(self, scores: Any, sizes: list[int]) -> Any:
        """The rows of raw ``scores`` (one per text of ``sizes`` bytes; all zeros for a
        text without features) as py3langid's ``_decide`` normalises each, in place:
        every step is element by element or per row, so rows are taken all at once."""
        scale = [1.0 / math.sqrt(size or 1) for size in sizes]
        scores *= np.array(scale, dtype=np.float32)[:, None]
        np.exp(scores - scores.max(axis=1, keepdims=True), out=scores)
        scores /= scores.sum(axis=1, keepdims=True)
        for i, j in self.alias_pairs:
            scores[:, i] += scores[:, j]
            scores[:, j] = 0.0
        return scores

    def _best(self, scores: Any) -> tuple[str, float]:
        i = int(scores.argmax())
        return self.classes[i], float(scores[i])

    def decide(self, text: str) -> Any:
        """py3langid's ``_decide(text)`` with ``norm_probs``: the probability of each class."""
        data = self.encode(text)
        return self._scores(len(data), self.counts(data))

    def classify(self, text: str) -> tuple[str, float]:
        """py3langid's ``classify(text)``: (language, probability) of the best class."""
        return self._best(self.decide(text))

    def classify_many(self, texts: list[str]) -> list[tuple[str, float]]:
        """``[classify(t) for t in texts]``, with one pass of numpy over all of them.

        The texts' bytes are joined with :data:`SEPARATOR`, a byte no state's string
        holds (UTF-8 never has it), so the automaton is back at its root at each
        text's first byte, as when it walks that text alone; each text's features are
        counted and scored on their own, in the order its own walk meets them.
        """
        if not texts:
            return []
        datas = [self.encode(text) for text in texts]
        joined = bytes([SEPARATOR]).join(datas)
        found = self.output[self.states(joined)]
        sizes = np.fromiter((len(d) + 1 for d in datas), dtype=np.int64, count=len(datas))
        owner = np.repeat(np.arange(len(datas), dtype=np.int64), sizes)[: len(joined)]
        kept = found >= 0
        keys = owner[kept] * self.features + found[kept]
        unique, counts = first_met(keys)
        whose = unique // self.features
        bounds = np.searchsorted(whose, np.arange(len(datas) + 1)).tolist()
        features = (unique % self.features).astype(np.intp)
        weights = np.log1p(counts.astype(np.float32))
        # one row per text: the dot product as _scores takes it, text by text (the
        # order of its terms fixes the float sums), then normalised all at once
        scores = np.zeros((len(datas), len(self.classes)), dtype=np.float32)
        for i in range(len(datas)):
            lo, hi = bounds[i], bounds[i + 1]
            if hi > lo:
                scores[i] = weights[lo:hi] @ self.table[features[lo:hi]] + self.prior
        scores = self._normalised(scores, [len(data) for data in datas])
        best = scores.argmax(axis=1)
        chances = scores[np.arange(len(datas)), best].tolist()
        return [(self.classes[b], p) for b, p in zip(best.tolist(), chances, strict=True)]


#: The byte that separates texts in :meth:`FastScorer.classify_many` (never in UTF-8).
SEPARATOR = 0xFF


def first_met(keys: _Ints) -> tuple[_Ints, _Ints]:
    """(the distinct values of ``keys`` in the order of their first occurrence, how many
    times each occurs), for non-negative ``keys``.

    What ``np.unique(keys, return_index=True, return_counts=True)`` reordered by the
    first indices gives, with one plain sort instead of its stable argsort and a second
    one: each key is packed with its position (so no two values are equal and any sort
    puts them in the same order), sorted, and each run of equal keys starts with its
    first position; the runs are put back in the order of those positions the same
    way. 4x faster on a document's features. Keys too wide to pack take ``np.unique``.
    """
    n = len(keys)
    shift = max(n.bit_length(), 1)
    if n == 0 or max(int(keys.max()).bit_length(), shift) + shift > 62:
        distinct, first, counts = np.unique(keys, return_index=True, return_counts=True)
        order = np.argsort(first, kind="stable")
        return distinct[order], counts[order]
    low = (1 << shift) - 1
    packed = np.sort((keys.astype(np.int64) << shift) | np.arange(n, dtype=np.int64))
    ranked = packed >> shift
    starts = np.flatnonzero(np.concatenate(([True], ranked[1:] != ranked[:-1])))
    counts = np.diff(np.append(starts, n))
    order = np.sort(((packed[starts] & low) << shift) | np.arange(len(starts))) & low
    return ranked[starts][order], counts[order]


def state_depths(ident: Any) -> _Ints | None:
    """The length of each state's string: the fewest bytes that lead to it from state 0
    (breadth first). None when a state is unreachable or deeper than :data:`MAX_DEPTH`."""
    nextmove = np.asarray(ident.tk_nextmove)
    rowbase = np.asarray(ident.tk_row, dtype=np.int64) << 8
    depth = np.full(len(ident.tk_output), -1, dtype=np.int64)
    depth[0] = 0
    frontier = np.zeros(1, dtype=np.int64)
    byte = np.arange(256, dtype=np.int64)
    level = 0
    while True:
        reached = np.zeros(len(depth), dtype=bool)
        for i in range(0, len(frontier), _CHUNK):  # bounded temporaries (~4 MB)
            reached[nextmove[rowbase[frontier[i : i + _CHUNK]][:, None] + byte]] = True
        fresh = np.flatnonzero(reached & (depth < 0))
        if not len(fresh):
            break
        level += 1
        if level > MAX_DEPTH:
            return None
        depth[fresh] = level
        frontier = fresh.astype(np.int64)
    return None if (depth < 0).any() else depth


def _fits(ident: Any, depth: Any) -> bool:
    """Whether ``depth`` can be the depths of ``ident``'s states (one per state, the
    root 0, every other state 1 to :data:`MAX_DEPTH` bytes deep)."""
    return bool(
        isinstance(depth, np.ndarray)
        and depth.shape == (len(ident.tk_output),)
        and depth.dtype.kind in "iu"
        and len(depth) > 1
        and depth[0] == 0
        and depth[1:].min() >= 1
        and depth.max() <= MAX_DEPTH
    )


def build(
    ident: Any, depths: Callable[[Any], _Ints | None] = state_depths
) -> FastScorer | None:
    """A :class:`FastScorer` for ``ident``, or None when its model is not of the known shape.

    ``depths(ident)`` gives :func:`state_depths` (:mod:`docmill.language` reads them
    from the user's cache, where they are kept once computed); an answer that does not
    fit the model is computed again here.
    """
    try:
        if not ident._norm_probs or ident.min_confidence is not None:
            return None
        depth = depths(ident)
        if depth is not None and not _fits(ident, depth):
            depth = state_depths(ident)
        if depth is None:
            return None
        # SEPARATOR leads every state back to the root, which counts no feature
        rowbase = np.asarray(ident.tk_row, dtype=np.int64) << 8
        back = np.asarray(ident.tk_nextmove)[rowbase + SEPARATOR]
        if (back != 0).any() or ident.tk_output[0] >= 0:
            return None
        return FastScorer(ident, depth.astype(np.int64, copy=False))
    except (AttributeError, TypeError, ValueError, IndexError):
        return None
