"""Canonical names for the entity mentions of one document (no hooks: used by extract_entities).

Within a document, mentions of one thing get one canonical name and one label:

* acronym ↔ long form: "North Atlantic Treaty Organization (NATO)" declares it;
  without a declaration an acronym still joins an ORG/GPE long form whose
  initials it spells (ignoring "of", "the", "and" …). The long form is canonical,
  and its label wins over the acronym's.
* surname ↔ full name: a one-word mention ("Stoltenberg") that is the last word of
  exactly one multi-word PERSON ("Jens Stoltenberg") takes that name, and the label
  PERSON whatever the model said for it.
* short ↔ long organisation name: "Central Bank" is "European Central Bank" when
  that is the only ORG it ends.
* capitals ↔ title case: "FRANKFURT" of a dateline is "Frankfurt" when that is a mention.
* official ↔ common country names from :data:`ALIASES` ("Russian Federation" → "Russia").
* label consistency: every mention of a canonical entity gets its majority label
  (PERSON wins for matched names); a tie is left as the model said.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

#: Official or short country and bloc names -> the common name used as canonical.
ALIASES: dict[str, str] = {
    "Russian Federation": "Russia",
    "United States of America": "United States",
    "USA": "United States",
    "U.S.A.": "United States",
    "U.S.": "United States",
    "US": "United States",
    "United Kingdom of Great Britain and Northern Ireland": "United Kingdom",
    "UK": "United Kingdom",
    "U.K.": "United Kingdom",
    "Great Britain": "United Kingdom",
    "Britain": "United Kingdom",
    "People's Republic of China": "China",
    "People’s Republic of China": "China",
    "PRC": "China",
    "Democratic People's Republic of Korea": "North Korea",
    "Democratic People’s Republic of Korea": "North Korea",
    "DPRK": "North Korea",
    "Republic of Korea": "South Korea",
    "Islamic Republic of Iran": "Iran",
    "Kingdom of Saudi Arabia": "Saudi Arabia",
    "UAE": "United Arab Emirates",
    "Czechia": "Czech Republic",
    "Türkiye": "Turkey",
}
_MINOR = frozenset({"of", "the", "and", "for", "on", "in", "to", "&", "de", "du", "des", "la"})
_ACRONYM = re.compile(r"[A-Z][A-Z&.]{1,9}")
_DECLARED = re.compile(
    r"((?:[A-Z][\w’'&.-]*\s+)(?:(?:of|the|and|for|on|in|de|&)\s+|[A-Z][\w’'&.-]*\s+)*?"
    r"[A-Z][\w’'&.-]*)\s*\(([A-Z][A-Za-z&.]{1,9})\)"
)
#: The "(ACR)" that ends every match of :data:`_DECLARED`, found by a fast search for "(".
_PARENTHESISED = re.compile(r"\(([A-Z][A-Za-z&.]{1,9})\)")
NAME_LABELS = frozenset(
    {
        "PERSON",
        "ORG",
        "GPE",
        "LOC",
        "NORP",
        "FAC",
        "PRODUCT",
        "EVENT",
        "WORK_OF_ART",
        "LAW",
        "LANGUAGE",
    }
)


@dataclass(frozen=True, slots=True)
class Mention:
    """One entity mention in cleaned offsets."""

    start: int
    end: int
    label: str
    canonical: str = ""


def surface(text: str, m: Mention) -> str:
    """The mention's text with internal whitespace collapsed."""
    return " ".join(text[m.start : m.end].split())


@lru_cache(maxsize=4096)
def initials(name: str, significant: bool = True) -> str:
    """Initials of the words of ``name`` ("North Atlantic Treaty Organization" -> "NATO").

    With ``significant`` (the default) "of", "the", "and" … are skipped; without it
    every word counts ("Department for Transport" -> "DFT").
    """
    words = [w for w in re.split(r"[\s-]+", name) if w]
    if significant:
        words = [w for w in words if w.lower() not in _MINOR]
    return "".join(w[0] for w in words if w[0].isalpha()).upper()


def _acronym_key(s: str) -> str:
    return s.replace(".", "").replace("&", "")


def declared_acronyms(text: str) -> dict[str, str]:
    """Acronym -> long form, from "Long Form (ACR)" in the text, when the initials agree."""
    found: dict[str, str] = {}
    if not _PARENTHESISED.search(text):  # every declaration ends with one
        return found
    for m in _DECLARED.finditer(text):
        long_form, acr = " ".join(m.group(1).split()), m.group(2)
        key = _acronym_key(acr).upper()
        words = long_form.split()
        # the long form may have leading words that are not part of the name ("The Secretary …")
        for i in range(len(words)):
            if words[i].lower() in _MINOR:
                continue
            candidate = " ".join(words[i:])
            if key in (initials(candidate), initials(candidate, significant=False)):
                found.setdefault(_acronym_key(acr), candidate)
                break
    return found


def _tails(names: Sequence[str], fold: Callable[[str], str]) -> dict[str, list[str]]:
    """Every tail after a space of each name (folded), to the names with that tail, in
    the order given: ``tails[t]`` is ``[n for n in names if fold(n).endswith(" " + t)]``
    without comparing every name with every mention."""
    tails: dict[str, list[str]] = {}
    for name in names:
        folded = fold(name)
        pos = folded.find(" ")
        while pos >= 0:
            tails.setdefault(folded[pos + 1 :], []).append(name)
            pos = folded.find(" ", pos + 1)
    return tails


def canonicalise(text: str, mentions: Sequence[Mention]) -> list[Mention]:
    """Give every mention its canonical name and a label consistent across its entity."""
    names = [surface(text, m) for m in mentions]
    canon = [ALIASES.get(n, n) for n in names]

    # acronyms: declared first, then by initials of a long form found in this document
    acronyms = declared_acronyms(text)
    long_forms = {
        initials(c): c
        for m, c in zip(mentions, canon, strict=True)
        if m.label in ("ORG", "GPE", "FAC", "LOC", "EVENT", "LAW") and len(c.split()) >= 2
    }
    is_acronym = [False] * len(mentions)
    for i, (m, c) in enumerate(zip(mentions, canon, strict=True)):
        if m.label not in NAME_LABELS:
            continue
        key = _acronym_key(c)
        long_form = acronyms.get(key)
        if long_form is None and _ACRONYM.fullmatch(c):
            long_form = long_forms.get(key.upper())
        if long_form:
            canon[i] = ALIASES.get(long_form, long_form)
            is_acronym[i] = True

    # a word in capitals ("FRANKFURT" in a dateline) is the same as its title-case mention
    cased = {c.lower(): c for c in canon if not c.isupper()}
    for i, c in enumerate(canon):
        if c.isupper() and not is_acronym[i] and c.lower() in cased:
            canon[i] = cased[c.lower()]

    # people: one-word (or shorter) mentions that end exactly one full PERSON name
    full_names = sorted(
        {c for m, c in zip(mentions, canon, strict=True) if m.label == "PERSON" and " " in c}
    )
    full_tails = _tails(full_names, str.lower)
    is_person = [False] * len(mentions)
    for i, (m, c) in enumerate(zip(mentions, canon, strict=True)):
        if m.label not in NAME_LABELS or is_acronym[i] or c.isupper():
            continue
        # the tail of exactly one longer name, whatever its case ("Van Dam", "Pieter van Dam")
        matches = [f for f in full_tails.get(c.lower(), ()) if f != c]
        if len(matches) == 1:
            canon[i] = matches[0]
            is_person[i] = True
        elif m.label == "PERSON" and " " in c:
            is_person[i] = True

    # a shorter name of an organisation ("Central Bank" of "European Central Bank")
    orgs = sorted({c for m, c in zip(mentions, canon, strict=True) if m.label == "ORG"})
    org_tails = _tails(orgs, str)
    for i, (m, c) in enumerate(zip(mentions, canon, strict=True)):
        if m.label == "ORG" and " " in c and not is_acronym[i]:
            longer = org_tails.get(c, [])
            if len(longer) == 1:
                canon[i] = longer[0]

    # one label per canonical entity
    groups: dict[str, list[int]] = {}
    for i, c in enumerate(canon):
        if mentions[i].label in NAME_LABELS:
            groups.setdefault(c, []).append(i)
    labels = [m.label for m in mentions]
    for indices in groups.values():
        if any(is_person[i] for i in indices):
            chosen: str | None = "PERSON"
        else:
            # an acronym's label follows its long form's when the long form is a mention
            voters = [i for i in indices if not is_acronym[i]] or indices
            voted = [labels[i] for i in voters]
            if voted.count(voted[0]) == len(voted):  # one label: no vote to count
                chosen = voted[0]
            else:
                counts = Counter(voted).most_common()
                tie = len(counts) > 1 and counts[0][1] == counts[1][1]
                chosen = None if tie else counts[0][0]
        if chosen is not None:
            for i in indices:
                labels[i] = chosen
    return [
        Mention(m.start, m.end, label, c)
        for m, label, c in zip(mentions, labels, canon, strict=True)
    ]


#: A name-shaped word ("Smith", "Smith-Jones"), as extract_entities' surnames are.
_NAME_WORD = re.compile(r"[A-Z][a-z]+(?:-[A-Z][a-z]+)?")
_WORD_CHAR = re.compile(r"\w")
_WORD_BOUNDARY = re.compile(r"\b")
_UPPER = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_LOWER = frozenset("abcdefghijklmnopqrstuvwxyz")


def first_last(text: str, surname: str) -> list[tuple[int, str, int]]:
    """(start, first name, end) of every "First Surname" in ``text``: what
    ``re.finditer(rf"\\b([A-Z][a-z]+(?:-[A-Z][a-z]+)?) {surname}\\b", text)`` finds,
    found from each " Surname" (a search of the text for a string) instead of a
    regex tried at every position."""
    if not _NAME_WORD.fullmatch(surname):  # a surname of another shape
        pattern = rf"\b([A-Z][a-z]+(?:-[A-Z][a-z]+)?) {re.escape(surname)}\b"
        return [(m.start(), m.group(1), m.end()) for m in re.finditer(pattern, text)]
    out: list[tuple[int, str, int]] = []
    previous_end = 0  # finditer's matches do not overlap
    pos = text.find(" " + surname)
    while pos >= 0:
        end = pos + 1 + len(surname)
        if end == len(text) or not _WORD_CHAR.match(text, end):  # \b after the surname
            start = _first_name_start(text, pos, previous_end)
            if start is not None:
                out.append((start, text[start:pos], end))
                previous_end = end
        pos = text.find(" " + surname, pos + 1)
    return out


def _first_name_start(text: str, end: int, not_before: int) -> int | None:
    """The leftmost start (from ``not_before`` on) of a ``\\b[A-Z][a-z]+(?:-[A-Z][a-z]+)?``
    that ends exactly at ``end``, or None."""
    i = end
    while i > 0 and text[i - 1] in _LOWER:
        i -= 1
    if i == end or i == 0 or text[i - 1] not in _UPPER:
        return None
    last = i - 1  # "Maria" of "Anna-Maria"
    candidates = [last]
    if last > 0 and text[last - 1] == "-":
        j = last - 1
        while j > 0 and text[j - 1] in _LOWER:
            j -= 1
        if j < last - 1 and j > 0 and text[j - 1] in _UPPER:
            candidates.insert(0, j - 1)  # "Anna" of "Anna-Maria"
    for start in candidates:
        if start >= not_before and _WORD_BOUNDARY.match(text, start):
            return start
    return None
