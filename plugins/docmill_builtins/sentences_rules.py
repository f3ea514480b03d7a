r"""pysbd's substitution rules, skipped when they provably cannot match.

pysbd runs about a hundred ``re.sub`` calls per paragraph (most through
``Text.apply``); nearly all of them find nothing, because each needs a character
that most paragraphs lack (``?``, ``!``, ``'``, ``(``, ``∯``, ``...`` …). A
:class:`Rule` here is one of those substitutions, compiled once, with the text it
*needs*: derived from the pattern's parse tree (``re._parser``), a list of
requirements, each a set of alternative strings one of which every text with a
match contains. The rule runs ``re.sub`` only when the text meets every
requirement; otherwise it returns the text unchanged, which is what ``re.sub``
would have returned. A pattern that is one literal string, with a replacement
without escapes, runs as ``str.replace`` (the same left-to-right, non-overlapping
replacement).

How the requirements are derived (:func:`_needs`), for a sequence of nodes that a
match must go through in order:

* a literal character (not cased under ``IGNORECASE``) is needed, and so is each
  run of consecutive literals, as one string;
* a character class without negation or categories (``\d``, ``\s`` …) needs one
  of its characters (none of them cased under ``IGNORECASE``);
* a group, an atomic group, a repeat of at least once, a positive look-ahead or
  look-behind (its text is in the string too): whatever its content needs;
* an alternation: the union, over its branches, of one requirement of each (no
  requirement if a branch has none);
* anything else (``.``, negated classes, back-references, ``^``/``$``, optional
  repeats, negative look-arounds) needs nothing.

A requirement found this way is met by every string in which the pattern finds a
match, so skipping is exact. ``tests/test_segment.py`` checks it per rule on
texts built from each rule's own characters.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable
from typing import Any

from docmill_builtins.sentences_windows import window_gate

_parser: Any = importlib.import_module("re._parser")
_c: Any = importlib.import_module("re._constants")

#: A requirement: strings the text must contain one of (``in`` tests), or a search
#: for one of many.
Need = tuple[str, ...] | re.Pattern[str]
Replacement = str | Callable[[re.Match[str]], str]

_REPEATS = {_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT}
#: Largest class range spelt out as characters (``[a-z]``: 26).
_MAX_RANGE = 64


def _plain(code: int, flags: int) -> str | None:
    """The character of a literal code, or None when case-insensitivity widens it."""
    ch = chr(code)
    if flags & re.IGNORECASE and (ch.lower() != ch or ch.upper() != ch):
        return None
    return ch


def _class_chars(items: list[tuple[Any, Any]], flags: int) -> frozenset[str] | None:
    """The characters a class ``[...]`` matches, or None when not a small plain set."""
    chars: set[str] = set()
    for op, av in items:
        if op is _c.LITERAL:
            ch = _plain(av, flags)
            if ch is None:
                return None
            chars.add(ch)
        elif op is _c.RANGE and av[1] - av[0] <= _MAX_RANGE:
            for code in range(av[0], av[1] + 1):
                ch = _plain(code, flags)
                if ch is None:
                    return None
                chars.add(ch)
        else:  # NEGATE, CATEGORY, large ranges
            return None
    return frozenset(chars)


def _best(needs: list[frozenset[str]]) -> frozenset[str] | None:
    """The most selective requirement: fewest alternatives, then longest strings."""
    if not needs:
        return None
    return min(needs, key=lambda n: (len(n), -min(map(len, n)), sorted(n)))


def _node_needs(op: Any, av: Any, flags: int) -> list[frozenset[str]]:
    """Requirements of one node of a parsed pattern (see the module docstring)."""
    if op is _c.LITERAL:
        ch = _plain(av, flags)
        return [] if ch is None else [frozenset({ch})]
    if op is _c.IN:
        chars = _class_chars(av, flags)
        return [] if chars is None else [chars]
    if op is _c.SUBPATTERN:
        _group, add, delete, sub = av
        return _needs(sub, (flags | add) & ~delete)
    if op is _c.ATOMIC_GROUP:
        return _needs(av, flags)
    if op in _REPEATS:
        low, _high, sub = av
        return _needs(sub, flags) if low >= 1 else []
    if op is _c.ASSERT:
        _direction, sub = av
        return _needs(sub, flags)
    if op is _c.BRANCH:
        union: set[str] = set()
        for branch in av[1]:
            best = _best(_needs(branch, flags))
            if best is None:
                return []
            union |= best
        return [frozenset(union)]
    return []


def _needs(seq: Iterable[tuple[Any, Any]], flags: int) -> list[frozenset[str]]:
    """Requirements of a sequence of nodes: each run of literals (as one string), and
    each other node's."""
    needs: list[frozenset[str]] = []
    run = ""
    for op, av in seq:
        ch = _plain(av, flags) if op is _c.LITERAL else None
        if ch is not None:
            run += ch
            continue
        if run:
            needs.append(frozenset({run}))
        run = ""
        needs.extend(_node_needs(op, av, flags))
    if run:
        needs.append(frozenset({run}))
    return needs


def needs_of(pattern: str, flags: int = 0, keep: int = 2) -> list[frozenset[str]]:
    """The ``keep`` most selective requirements every text with a match meets."""
    parsed = _parser.parse(pattern, flags)
    found = list(dict.fromkeys(_needs(parsed, parsed.state.flags)))
    found.sort(key=lambda n: (len(n), -min(map(len, n)), sorted(n)))
    return found[:keep]


def _literal(pattern: str, flags: int) -> str | None:
    """The string a pattern of literals only matches, or None."""
    if flags & re.IGNORECASE:
        return None
    parsed = _parser.parse(pattern, flags)
    if not all(op is _c.LITERAL for op, _av in parsed):
        return None
    return "".join(chr(av) for _op, av in parsed) or None


def _alternation(strings: Iterable[str]) -> re.Pattern[str]:
    """A search for any of ``strings``."""
    return re.compile("|".join(map(re.escape, sorted(set(strings), key=lambda s: (-len(s), s)))))


def _rarity(ch: str) -> int:
    """How rare a character is in English text, roughly: letters least, others most."""
    if ch.isspace():
        return 0
    if ch.islower():
        return 1
    return 2 if ch.isupper() else 3 if ch.isascii() else 4


def _as_need(alternatives: Iterable[str]) -> Need:
    """A test for one of ``alternatives``: ``in`` tests for a few, a search for many.

    Many alternatives shrink first to one character of each (its rarest): a text
    that contains a string contains each of its characters.
    """
    alts = _shrunk(alternatives)
    return tuple(alts) if len(alts) <= _FEW_IN else _alternation(alts)


def _shrunk(alternatives: Iterable[str]) -> list[str]:
    """The alternatives, or for many of them the rarest character of each."""
    alts = sorted(set(alternatives), key=lambda s: (-len(s), s))
    if len(alts) > _FEW_IN:
        alts = sorted({max(a, key=_rarity) for a in alts})
    return alts


#: Requirements with more alternatives than this (``[A-Z]``) are met by nearly any
#: paragraph: not worth a test of their own.
_FEW = 8
#: Up to this many alternatives, ``in`` tests (fast, even in long texts).
_FEW_IN = 4


def meets(text: str, needs: Iterable[Need]) -> bool:
    """Whether ``text`` meets every requirement."""
    for need in needs:
        if isinstance(need, tuple):
            for alt in need:
                if alt in text:
                    break
            else:
                return False
        elif need.search(text) is None:
            return False
    return True


class Rule:
    """One of pysbd's substitutions, compiled once, skipped when it cannot match."""

    __slots__ = ("first", "gate", "literal", "needs", "pattern", "regex", "repl", "text_repl")

    def __init__(self, pattern: str, repl: Replacement, flags: int = 0) -> None:
        self.pattern = pattern
        self.repl = repl
        self.regex = re.compile(pattern, flags)
        few = [n for n in needs_of(pattern, flags) if len(_shrunk(n)) <= _FEW]
        #: one requirement, for a group's test (:class:`Rules`)
        self.first: frozenset[str] | None = few[0] if few else None
        self.needs: tuple[Need, ...] = tuple(map(_as_need, few))
        self.text_repl = repl if isinstance(repl, str) and "\\" not in repl else None
        self.literal = None if self.text_repl is None else _literal(pattern, flags)
        self.gate = None if self.literal is not None else window_gate(pattern, flags)

    @classmethod
    def of(cls, rule: Any) -> Rule:
        """The fast form of a ``pysbd.utils.Rule``."""
        return cls(rule.pattern, rule.replacement)

    def can_match(self, text: str) -> bool:
        """False when the text lacks something every match needs."""
        return meets(text, self.needs) and (self.gate is None or self.gate.search(text) is not None)

    def __call__(self, text: str) -> str:
        """``re.sub(pattern, repl, text)``, without running it where it cannot match."""
        if not self.can_match(text):
            return text
        if self.literal is not None and self.text_repl is not None:
            return text.replace(self.literal, self.text_repl)
        return self.regex.sub(self.repl, text)

    def __repr__(self) -> str:
        return f"Rule({self.pattern!r}, needs={self.needs!r}, gate={self.gate!r})"


class Rules(tuple[Rule, ...]):
    """Rules applied in order, all skipped at once when the text has nothing any needs.

    When the text meets no rule's first requirement, the first rule changes
    nothing, so neither does the second, and so on: one search for all of them
    (a group of pysbd's 17 symbol substitutions, say) decides that none runs.
    """

    any_need: Need | None

    def __new__(cls, rules: Iterable[Rule]) -> Rules:
        self = super().__new__(cls, rules)
        firsts = [r.first for r in self]
        self.any_need = None
        if len(self) > 1 and all(f is not None for f in firsts):
            self.any_need = _as_need(s for f in firsts if f is not None for s in f)
        return self


def apply(text: str, rules: Iterable[Rule]) -> str:
    """``Text(text).apply(*rules)``: each rule in order."""
    if isinstance(rules, Rules) and rules.any_need and not meets(text, (rules.any_need,)):
        return text
    for rule in rules:
        text = rule(text)
    return text
