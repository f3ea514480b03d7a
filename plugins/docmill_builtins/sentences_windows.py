r"""A cheap search that finds something wherever a pattern of pysbd's would match.

Many of pysbd's rules need only a ``.``, which every paragraph has, so a test for
a needed character (:mod:`docmill_builtins.sentences_rules`) cannot skip them;
yet they rarely match, and a pattern that starts with a look-behind or a group
costs a matcher call at every position. For such a pattern, :func:`window_gate`
derives a *window*: a run of single-character nodes (literals, classes, ``.``)
that every match puts on consecutive characters of the text. A search for the
window (compiled with the pattern's flags, so each node means what it meant
there), written to start at a literal (the nodes before it as a look-behind, so
the search skips ahead to that character), finds something in every text where
the pattern matches; where it finds nothing, ``re.sub`` would change nothing.

How windows are read from the parse tree (``re._parser``), node by node along a
sequence, extending the open window or closing it:

* a literal, a class, ``.``: one more character of the open window;
* ``^``, ``$``, ``\b``, a negative look-around: zero width, so the characters
  on both sides stay next to each other (the window stays open);
* a group without flags, an atomic group: its content, in line;
* a repeat of exactly n (n at most 4): its content n times, in line; a repeat of
  at least one: its content once in line (the first copy, next to what comes
  before), the window closed, its content once more (the last copy, next to what
  follows); an optional repeat closes the window;
* a look-ahead: its content continues the open window, which then closes (what
  follows starts where the look-ahead started);
* a look-behind: the window closes, and its content opens the next one (its last
  character is next to what follows);
* an alternation whose branches all start with a character: that character (an
  alternation of one-character branches), then the window closes;
* anything else (back-references, groups with flags): the window closes.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

_parser: Any = importlib.import_module("re._parser")
_c: Any = importlib.import_module("re._constants")

_REPEATS = {_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT}
_CATEGORIES = {
    _c.CATEGORY_DIGIT: r"\d",
    _c.CATEGORY_NOT_DIGIT: r"\D",
    _c.CATEGORY_SPACE: r"\s",
    _c.CATEGORY_NOT_SPACE: r"\S",
    _c.CATEGORY_WORD: r"\w",
    _c.CATEGORY_NOT_WORD: r"\W",
}
#: A node of a window: (regex source for one character, whether it is selective: a
#: literal or a class of a few literals, where a search can skip ahead).
Node = tuple[str, bool]


def _class_source(items: list[tuple[Any, Any]]) -> str | None:
    """``[...]`` for the items of a parsed class, or None for an unknown item."""
    parts: list[str] = []
    for op, av in items:
        if op is _c.NEGATE:
            parts.insert(0, "^")
        elif op is _c.LITERAL:
            parts.append(re.escape(chr(av)))
        elif op is _c.RANGE:
            parts.append(f"{re.escape(chr(av[0]))}-{re.escape(chr(av[1]))}")
        elif op is _c.CATEGORY and av in _CATEGORIES:
            parts.append(_CATEGORIES[av])
        else:
            return None
    return "[" + "".join(parts) + "]"


def _char(op: Any, av: Any) -> Node | None:
    """The source of a node that matches exactly one character, or None."""
    if op is _c.LITERAL:
        return re.escape(chr(av)), True
    if op is _c.NOT_LITERAL:
        return f"[^{re.escape(chr(av))}]", False
    if op is _c.ANY:
        return ".", False
    if op is _c.IN:
        src = _class_source(av)
        few = len(av) <= 8 and all(item_op is _c.LITERAL for item_op, _ in av)
        return None if src is None else (src, few)
    return None


def _first(seq: Any) -> tuple[list[str], bool] | None:
    """Sources of what a match of ``seq`` can start with, and whether it can be empty."""
    srcs: list[str] = []
    for op, av in seq:
        char = _char(op, av)
        if char is not None:
            return [*srcs, char[0]], False
        if op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):
            continue
        if op is _c.SUBPATTERN and not av[1] and not av[2]:
            found = _first(av[3])
        elif op is _c.ATOMIC_GROUP:
            found = _first(av)
        elif op in _REPEATS:
            found = _first(av[2])
            if found is not None and av[0] == 0:
                found = (found[0], True)
        elif op is _c.BRANCH:
            found = ([], False)
            for branch in av[1]:
                one = _first(branch)
                if one is None:
                    return None
                found = (found[0] + one[0], found[1] or one[1])
        else:
            return None
        if found is None:
            return None
        srcs += found[0]
        if not found[1]:
            return srcs, False
    return srcs, True


class _Walk:
    """Windows of a parsed pattern (see the module docstring)."""

    def __init__(self) -> None:
        self.done: list[list[Node]] = []

    def close(self, window: list[Node]) -> list[Node]:
        if window:
            self.done.append(window)
        return []

    def seq(self, seq: Any, window: list[Node]) -> list[Node]:
        """Walk ``seq`` with ``window`` open; return the window open after it."""
        for op, av in seq:
            window = self.node(op, av, window)
        return window

    def node(self, op: Any, av: Any, window: list[Node]) -> list[Node]:
        char = _char(op, av)
        if char is not None:
            return [*window, char]
        if op is _c.AT or op is _c.ASSERT_NOT:
            return window
        if op is _c.SUBPATTERN and not av[1] and not av[2]:
            return self.seq(av[3], window)
        if op is _c.ATOMIC_GROUP:
            return self.seq(av, window)
        if op in _REPEATS:
            low, high, sub = av
            if low == high and 1 <= low <= 4:
                for _ in range(low):
                    window = self.seq(sub, window)
                return window
            if low >= 1:
                self.close(self.seq(sub, window))
                return self.seq(sub, [])
            return self.close(window)
        if op is _c.ASSERT:
            direction, sub = av
            if direction > 0:
                return self.close(self.seq(sub, window))
            self.close(window)
            return self.seq(sub, [])
        if op is _c.BRANCH:
            first = _first([(op, av)])
            if first is not None and not first[1]:
                alts = "|".join(dict.fromkeys(first[0]))
                return self.close([*window, (f"(?:{alts})", False)])
        return self.close(window)


def windows(pattern: str, flags: int = 0) -> list[list[Node]]:
    """Every window of ``pattern``: runs of one-character nodes each match has in a row."""
    walk = _Walk()
    walk.close(walk.seq(_parser.parse(pattern, flags), []))
    return walk.done


def window_gate(pattern: str, flags: int = 0) -> re.Pattern[str] | None:
    r"""A search that finds something in every text where ``pattern`` matches, or None.

    The longest window of two characters or more, written to start at its first
    literal (or else its first class of a few literals), the characters before it
    in a look-behind after it: ``\.(?<=[a-z]\.)[a-z]`` for ``[a-z]\.[a-z]``. A
    search for a pattern that starts with a literal skips ahead to that character.
    """
    found = [w for w in windows(pattern, flags) if len(w) >= 2]
    if not found:
        return None
    best = max(found, key=lambda w: (any(sel for _src, sel in w), len(w)))
    srcs = [src for src, _sel in best]
    start = next((i for i, (_src, sel) in enumerate(best) if sel and _is_literal(_src)), None)
    if start is None:
        start = next((i for i, (_src, sel) in enumerate(best) if sel), 0)
    behind = "".join(srcs[: start + 1])
    gate = srcs[start] + (f"(?<={behind})" if start else "") + "".join(srcs[start + 1 :])
    parsed_flags = _parser.parse(pattern, flags).state.flags & ~re.VERBOSE
    return re.compile(gate, parsed_flags)


def _is_literal(src: str) -> bool:
    """Whether a node's source is one literal character (escaped or not)."""
    return not src.startswith(("[", "(")) and src != "."
