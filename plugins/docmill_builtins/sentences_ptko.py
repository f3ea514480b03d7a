"""Sentence rules for Portuguese (``pt``) and Korean (``ko``), which pysbd 0.3.4 lacks.

Built the way pysbd builds a language (``pysbd/lang/spanish.py``, ``italian.py``): a
class on pysbd's :class:`~pysbd.lang.common.Common` and ``Standard`` rules with the
language's own abbreviations, run by pysbd's :class:`~pysbd.processor.Processor` plus
the few substitutions of :attr:`_Rules.EXTRA_RULES`, applied with the numbers rules
(before the split, on the whole text). Every substitution puts one of pysbd's own
placeholders (``∯`` for a period, ``&ᓷ&`` for ``?`` …) that pysbd turns back before
it returns a sentence, so each sentence is a piece of the text as written and
``char_span`` offsets stay exact.

Portuguese: titles and other abbreviations before a name or number (``Sr.``,
``Dra.``, ``Prof.``, ``Av.``, ``séc. XIX``, ``art. 5.º``, ``n.º 12``, ``pág. 3``) never
end a sentence; others (``etc.``, ``Lda.``, ``Jr.``, months as ``set.``) end one only
before a capital letter, as in pysbd's other languages. A period before an ordinal
indicator (``n.º``, ``Sr.ª``, ``1.º``, ``2.ª``) never ends one.

Korean: pysbd's Standard rules already end sentences at ``.``, ``?``, ``!`` and at
full-width ``。？！``, and keep ``3.5%`` whole. What they get wrong: a quotation
closed right after its final punctuation and followed by a particle with no space
(``“…간다.”라고 말했다``, ``‘…했다’고``) is one sentence in Korean, not two; and a
date written with spaces (``2024. 3. 5.``) is not three sentences. English
abbreviations met in Korean news (``Dr.``, ``Inc.``, ``vs.``) are kept.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from pysbd.abbreviation_replacer import AbbreviationReplacer
from pysbd.lang.common import Common, Standard
from pysbd.processor import Processor
from pysbd.utils import Rule, Text

#: Closing quotation marks, as written and as segment_text's same-length swap of ” (›).
_CLOSING = "”’\"'\u203a"
#: A period, question or exclamation mark just before a closing quotation mark
#: followed, with no space, by a Hangul syllable (the particle: 라고, 며, 고 …).
_BEFORE_PARTICLE = rf"(?=[{_CLOSING}][\uac00-\ud7a3])"


class _Rules(Processor):  # type: ignore[misc]
    """pysbd's processor with the language's :attr:`EXTRA_RULES` after its numbers rules."""

    text: str
    lang: Any

    def replace_numbers(self) -> None:
        """pysbd's numbers rules, then the language's own substitutions."""
        super().replace_numbers()
        self.text = Text(self.text).apply(*self.lang.EXTRA_RULES)


class Portuguese(Common, Standard):  # type: ignore[misc]
    """pysbd's Standard rules with Portuguese abbreviations and ordinal indicators."""

    iso_code = "pt"
    Processor = _Rules

    #: A period before º/ª (``n.º``, ``Sr.ª``, ``Ex.ª``) belongs to the abbreviation.
    EXTRA_RULES: ClassVar[list[Any]] = [Rule(r"\.(?=[ºª])", "∯")]

    class AbbreviationReplacer(AbbreviationReplacer):  # type: ignore[misc]
        """pysbd's, without English sentence starters, and with accented lower-case letters
        (``etc. às vezes``) among those that show an abbreviation does not end a sentence."""

        SENTENCE_STARTERS: ClassVar[list[str]] = []

        def replace_period_of_abbr(self, txt: str, abbr: str) -> str:
            """Mark the period of ``abbr`` as no sentence end where punctuation, a
            lower-case letter, a digit or a bracket follows (pysbd's rule, Portuguese letters)."""
            pattern = rf"(?<=\s{re.escape(abbr.strip())})\.(?=[.:\-?,]|\s[a-zà-öø-ÿ\d(])"
            return re.sub(pattern, "∯", " " + txt)[1:]

    class Abbreviation(Standard.Abbreviation):  # type: ignore[misc]
        """Lower-cased, without the final period; a name or number follows the first two
        lists' abbreviations."""

        #: Before a name or a numeral: never a sentence end.
        PREPOSITIVE_ABBREVIATIONS: ClassVar[list[str]] = [
            "sr", "sra", "srs", "sras", "srta", "dr", "dra", "drs", "dras", "prof", "profa",
            "profs", "exmo", "exma", "exmos", "exmas", "ilmo", "ilma", "av", "avda", "pça",
            "trav", "rod", "sto", "sta", "pe", "fr", "eng", "enga", "arq", "gov", "dep",
            "sen", "pres", "cel", "gen", "gal", "maj", "ten", "sarg", "cap", "cia", "séc",
            "sécs",
        ]  # fmt: skip
        #: Before a number: not a sentence end (``p. 12``, ``art. 5``, ``n. 3``).
        NUMBER_ABBREVIATIONS: ClassVar[list[str]] = [
            "art", "arts", "n", "núm", "p", "pp", "pág", "págs", "vol", "vols",
            "fl", "fls", "inc", "tel", "cap", "cx",
        ]  # fmt: skip
        #: Every abbreviation: a sentence end only before a capital letter.
        ABBREVIATIONS: ClassVar[list[str]] = [
            *PREPOSITIVE_ABBREVIATIONS,
            *NUMBER_ABBREVIATIONS,
            "jr", "exa", "exas", "lda", "ltda", "s.a", "etc", "a.c", "d.c", "aprox", "máx",
            "mín", "obs", "ex", "cf", "ed", "eds", "org", "orgs", "fig", "tab", "adj", "adv",
            "depto", "dept", "univ", "min", "seg", "mi", "bi", "tri", "hab", "km", "kg", "vs",
            "jan", "fev", "mar", "abr", "mai", "jun", "jul", "ago", "set", "out", "nov",
            "dez", "ter", "qua", "qui", "sex", "sáb", "dom",
        ]  # fmt: skip


_PARTICLE_RULES = [
    Rule(r"\." + _BEFORE_PARTICLE, "∯"),
    Rule(r"\?" + _BEFORE_PARTICLE, "&ᓷ&"),
    Rule(r"!" + _BEFORE_PARTICLE, "&ᓴ&"),
    Rule(r"。" + _BEFORE_PARTICLE, "&ᓰ&"),
    Rule(r"？" + _BEFORE_PARTICLE, "&ᓸ&"),
    Rule(r"！" + _BEFORE_PARTICLE, "&ᓳ&"),
]


class Korean(Common, Standard):  # type: ignore[misc]
    """pysbd's Standard rules, with quotations ended before a particle and spaced dates."""

    iso_code = "ko"
    Processor = _Rules

    EXTRA_RULES: ClassVar[list[Any]] = [
        *_PARTICLE_RULES,
        # Apple Inc.에서: a Latin abbreviation followed by its particle
        Rule(r"(?<=[A-Za-z])\.(?=[\uac00-\ud7a3])", "∯"),
        # 2024. 3. 5.: the periods after the year and the month
        Rule(r"(?<=\b\d{4})\.(?=\s\d{1,2}\.\s?\d{1,2}\b)", "∯"),
        Rule(r"(?<=\b\d{4}∯\s\d)\.(?=\s?\d{1,2}\b)", "∯"),
        Rule(r"(?<=\b\d{4}∯\s\d\d)\.(?=\s?\d{1,2}\b)", "∯"),
    ]

    class AbbreviationReplacer(AbbreviationReplacer):  # type: ignore[misc]
        """No English sentence starters after ``U.S.``-like abbreviations."""

        SENTENCE_STARTERS: ClassVar[list[str]] = []

    class Abbreviation(Standard.Abbreviation):  # type: ignore[misc]
        """Latin-script abbreviations that Korean news keeps as written."""

        PREPOSITIVE_ABBREVIATIONS: ClassVar[list[str]] = [
            "dr", "mr", "mrs", "ms", "prof", "st", "gen", "gov", "sen", "rep", "vs",
        ]  # fmt: skip
        NUMBER_ABBREVIATIONS: ClassVar[list[str]] = ["no", "nos", "p", "pp", "vol", "art"]
        ABBREVIATIONS: ClassVar[list[str]] = [
            *PREPOSITIVE_ABBREVIATIONS,
            *NUMBER_ABBREVIATIONS,
            "jr", "inc", "ltd", "co", "corp", "etc", "e.g", "i.e", "u.s", "u.k",
        ]  # fmt: skip


#: docmill's sentence rules for languages pysbd has none for, by language code.
LANGUAGES: dict[str, type] = {"pt": Portuguese, "ko": Korean}
