"""Who a pronoun or a role speaker is: the person the text is about at that point.

A quotation credited to "she", "he", "they" or a role ("the spokeswoman", "the
judge") goes to the subject of the nearest preceding sentence that names a person
(:meth:`Speakers.resolve`), not merely to the nearest PERSON mention: in "Haddad
rejected the offer made by director Pieter van Dam. “…,” she said." the subject is
Haddad. The subject of a sentence is its first person mention that is not the
object of a preposition ("by", "with", "to" …); a quotation credited earlier counts
as a mention of its speaker where its attribution stands. Mentions inside
quotations never count.

Gender is used only where the text fixes it: honorifics (Mr, Mrs, Ms, Sir, Dame …),
gendered roles next to the name (spokeswoman, chairman …), and he/his or she/her in
a sentence that names no other person. A gendered pronoun skips a subject of the
other gender for a person of its own in the same sentence, else goes further back.
A role speaker first looks for a person the text gave that role ("Anna Kowalski, a
spokeswoman for the agency", "Judge Eleanor Whitcombe"), nearest first.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

#: How far back (characters) a pronoun or role may look for its person.
LOOKBACK = 1500
_PRONOUN = {"he": "m", "she": "f", "they": ""}
_PREPOSITIONS = frozenset(
    """
    by with to from of for against about at on alongside than toward towards behind beside
    under over into onto before after between among like unlike including via and or
    """.split()  # noqa: SIM905
)
_TITLE_WORD = re.compile(r"[A-Z][\w’'.-]*|[a-z]+(?:-[a-z]+)?")
_MALE = re.compile(
    r"\b(?:mr|sir|lord|king|prince|spokesman|chairman|businessman|congressman|father|son"
    r"|brother|husband|uncle|grandfather|actor|he|him|his|himself)\b",
    re.I,
)
_FEMALE = re.compile(
    r"\b(?:mrs|ms|miss|dame|lady|queen|princess|spokeswoman|chairwoman|businesswoman"
    r"|congresswoman|mother|daughter|sister|wife|aunt|grandmother|actress|she|her|hers"
    r"|herself)\b",
    re.I,
)
_HONORIFIC_BEFORE = re.compile(r"\b(Mr|Mrs|Ms|Miss|Sir|Dame|Lady|Lord)\.?\s+$")
#: :data:`_MALE` and :data:`_FEMALE` in one scan: their words are whole words (``\b``
#: both sides) and no word is in both, so the matches are those of the two scans.
_GENDERED = re.compile(rf"(?P<m>{_MALE.pattern})|(?P<f>{_FEMALE.pattern})", re.I)
_HE = re.compile(r"\b(?:he|him|his|himself)\b", re.I)
_SHE = re.compile(r"\b(?:she|her|hers|herself)\b", re.I)
_ROLE_HEAD = re.compile(r"(\w[\w-]*)\s*$")


@dataclass(frozen=True, slots=True, order=True)
class Mention:
    """A person named at ``start`` (a PERSON entity, or a quotation's credited speaker)."""

    start: int
    end: int
    canonical: str


def _start(m: Mention) -> int:
    return m.start


class Speakers:
    """The people of one document, by sentence, with the genders and roles the text gives."""

    def __init__(
        self,
        text: str,
        sentences: Sequence[tuple[int, int]],
        people: Sequence[Mention],
        quoted: Sequence[tuple[int, int]],
    ) -> None:
        self.text = text
        self.quoted = sorted(quoted)
        self._quote_starts = [s for s, _ in self.quoted]
        # the largest end among the quotations up to each one (they may nest)
        self._quote_reach = list(itertools.accumulate((e for _, e in self.quoted), max))
        self.sentences = sorted(sentences) or [(0, len(text))]
        self.starts = [s for s, _ in self.sentences]
        self.mentions = sorted(p for p in people if not self._inside_quotation(p.start))
        self.gender: dict[str, str] = {}
        self.roles: dict[str, list[tuple[int, str]]] = {}
        self._learn()

    def _inside_quotation(self, pos: int) -> bool:
        i = bisect.bisect_left(self._quote_starts, pos)  # the quotations starting before pos
        return i > 0 and self._quote_reach[i - 1] > pos

    def _sentence(self, pos: int) -> tuple[int, int]:
        i = max(0, bisect.bisect_right(self.starts, pos) - 1)
        return self.sentences[i]

    def _learn(self) -> None:
        """Genders and roles from honorifics, appositions and pronouns of one-person sentences."""
        votes: dict[str, dict[str, int]] = {}
        by_sentence: dict[tuple[int, int], set[str]] = {}
        previous_end = 0
        for m in self.mentions:
            sentence = self._sentence(m.start)
            by_sentence.setdefault(sentence, set()).add(m.canonical)
            # the words before the name back to the previous name: "Judge Eleanor Whitcombe"
            before = self.text[max(sentence[0], previous_end, m.start - 40) : m.start]
            previous_end = m.end
            after = ""
            if self.text.startswith(",", m.end):  # an apposition: "Anna Kowalski, a spokeswoman,"
                nxt = self.text.find(",", m.end + 1, sentence[1])
                after = self.text[m.end + 1 : nxt if nxt > 0 else min(sentence[1], m.end + 60)]
            window = f"{before} {after}".lower()
            self.roles.setdefault(m.canonical, []).append((m.start, window))
            v = votes.setdefault(m.canonical, {"m": 0, "f": 0})
            honorific = _HONORIFIC_BEFORE.search(before) if before[-1:].isspace() else None
            if honorific:
                v["f" if honorific.group(1) in ("Mrs", "Ms", "Miss", "Dame", "Lady") else "m"] += 2
            for g in _GENDERED.finditer(window):
                v["m" if g.group("m") is not None else "f"] += 1
        for (s, e), names in by_sentence.items():
            if len(names) != 1:
                continue
            (name,) = names
            body = self._unquoted(s, e)
            votes[name]["m"] += len(_HE.findall(body))
            votes[name]["f"] += len(_SHE.findall(body))
        for name, v in votes.items():
            if v["m"] != v["f"]:
                self.gender[name] = "m" if v["m"] > v["f"] else "f"

    def _unquoted(self, start: int, end: int) -> str:
        parts, pos = [], start
        # skip the quotations that all end by ``start`` and those starting at ``end`` or later
        first = bisect.bisect_right(self._quote_reach, start)
        last = bisect.bisect_left(self._quote_starts, end)
        for s, e in self.quoted[first:last]:
            if e <= start or s >= end:
                continue
            parts.append(self.text[pos : max(pos, s)])
            pos = max(pos, e)
        parts.append(self.text[pos:end])
        return " ".join(parts)

    def add(self, start: int, end: int, canonical: str) -> None:
        """A credited speaker counts as a mention where the attribution stands."""
        bisect.insort(self.mentions, Mention(start, end, canonical))

    def _is_subject(self, m: Mention, sentence_start: int) -> bool:
        words = _TITLE_WORD.findall(self.text[max(sentence_start, m.start - 40) : m.start])
        return not any(w in _PREPOSITIONS for w in words[-4:])

    def _fits(self, canonical: str, gender: str) -> bool:
        return not gender or self.gender.get(canonical, gender) == gender

    def resolve(self, who: str, before: int) -> str | None:
        """The person ``who`` ("she", "the judge") stands for at position ``before``."""
        phrase = " ".join(who.lower().split())
        lo = bisect.bisect_left(self.mentions, before - LOOKBACK, key=_start)
        earlier = self.mentions[lo : bisect.bisect_left(self.mentions, before, key=_start)]
        if phrase in _PRONOUN:
            return self._subject(earlier, _PRONOUN[phrase], before)
        head = _ROLE_HEAD.search(phrase)
        if head:
            word = re.compile(rf"\b{re.escape(head.group(1))}\b")
            for m in reversed(earlier):
                if any(word.search(w) for s, w in self.roles[m.canonical] if s <= m.start):
                    return m.canonical
        return self._subject(earlier, "", before)

    def _subject(self, earlier: Sequence[Mention], gender: str, before: int) -> str | None:
        by_sentence: dict[tuple[int, int], list[Mention]] = {}
        for m in earlier:
            by_sentence.setdefault(self._sentence(m.start), []).append(m)
        for sentence in sorted(by_sentence, reverse=True):
            named = by_sentence[sentence]
            subjects = [m for m in named if self._is_subject(m, sentence[0])] or named[:1]
            if self._fits(subjects[0].canonical, gender):
                return subjects[0].canonical
            if gender:
                same = [m for m in named if self.gender.get(m.canonical) == gender]
                if same:
                    return same[0].canonical
        return None
