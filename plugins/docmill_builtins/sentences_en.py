r"""pysbd's English sentence rules (pysbd 0.3.4) in fewer passes, with pysbd's output.

:class:`EnglishProcessor` is pysbd's ``Processor`` for English step for step:
the same rules in the same order on the same text. What changes is what runs:

* every substitution is a :class:`~docmill_builtins.sentences_rules.Rule`,
  compiled once and skipped when the text lacks something every match needs
  (most paragraphs have no ``?``, ``!``, ``'``, ``(``, ``∯``, ``...``), and run
  as ``str.replace`` when it is one literal string;
* the list pass (:class:`Lists`) scans for list items only when a list of two
  items is possible, and the abbreviation pass (:class:`Abbreviations`) tries
  only the abbreviations that some word of the line starts with.

Skipped work is work that would not change the text: the sentences are pysbd's,
character for character (``tests/test_segment.py``: Hypothesis texts rich in what
the rules care about, every sample paragraph; ``bench/sbd_equal.py``: every
paragraph of the benchmark corpora).
"""

from __future__ import annotations

import re
from typing import Any

from pysbd.abbreviation_replacer import AbbreviationReplacer
from pysbd.between_punctuation import BetweenPunctuation
from pysbd.exclamation_words import ExclamationWords
from pysbd.lang.english import English
from pysbd.lists_item_replacer import ListItemReplacer
from pysbd.processor import Processor
from pysbd.punctuation_replacer import replace_punctuation

from docmill_builtins.sentences_rules import Rule, Rules, apply

_E = English
_NON_ASCII_LETTER = re.compile(r"[^\x00-\x7f](?<=[^\W\d_])")


def _rules(*rules: Any) -> Rules:
    return Rules(Rule.of(r) for r in rules)


#: ``self.lang.X`` of pysbd's processor for English, as fast rules.
_ABBR_FIRST = _rules(
    _E.PossessiveAbbreviationRule,
    _E.KommanditgesellschaftRule,
    *_E.SingleLetterAbbreviationRules.All,
)
_AM_PM = _rules(*_E.AmPmRules.All)
_MULTI_PERIOD = Rule(
    _E.MULTI_PERIOD_ABBREVIATION_REGEX,
    lambda m: m.group().replace(".", "∯"),  # pysbd: re.sub(re.escape("."), "∯", match)
    re.IGNORECASE,
)
_STARTERS = "|".join(rf"(?=\s{w}\s)" for w in English.AbbreviationReplacer.SENTENCE_STARTERS)
_ABBR_BOUNDARY = Rule(rf"(U∯S|U\.S|U∯K|E∯U|E\.U|U∯S∯A|U\.S\.A|I|i.v|I.V)∯({_STARTERS})", "\\1.")
_NUMBERS = _rules(*_E.Numbers.All)


def _continuous(match: re.Match[str]) -> str:
    return match.group().replace("!", "&ᓴ&").replace("?", "&ᓷ&")


_CONTINUOUS = Rule(_E.CONTINUOUS_PUNCTUATION_REGEX, _continuous)
_NUMBERED_REFERENCE = Rule(_E.NUMBERED_REFERENCE_REGEX, r"∯\2\r\7")
_AFTER_NUMBERS = _rules(
    _E.Abbreviation.WithMultiplePeriodsAndEmailRule, _E.GeoLocationRule, _E.FileFormatRule
)
_PARENS_SPACE_BEFORE = re.compile(r"\s(?=\()")
_PARENS_SPACE_AFTER = re.compile(r"(?<=\))\s")


def _paren_replace(match: re.Match[str]) -> str:
    return _PARENS_SPACE_AFTER.sub("\r", _PARENS_SPACE_BEFORE.sub("\r", match.group()))


_PARENS_BETWEEN_QUOTES = Rule(_E.PARENS_BETWEEN_DOUBLE_QUOTES_REGEX, _paren_replace)
_LINE_RULES = _rules(_E.SingleNewLineRule, *_E.EllipsisRules.All)
_EXCLAMATION_WORDS = Rule(ExclamationWords.EXCLAMATION_REGEX, replace_punctuation)
_B = BetweenPunctuation
_LEADING_APOSTROPHE = re.compile(_B.WORD_WITH_LEADING_APOSTROPHE)
_QUOTE_SPACE = re.compile(r"'\s")
_SINGLE_QUOTES = re.compile(_B.BETWEEN_SINGLE_QUOTES_REGEX)
#: pysbd's ``sub_punctuation_between_quotes_and_parens`` after the single quotes.
_BETWEEN = Rules(
    Rule(p, replace_punctuation)
    for p in (
        _B.BETWEEN_SINGLE_QUOTE_SLANTED_REGEX,
        _B.BETWEEN_DOUBLE_QUOTES_REGEX_2,
        _B.BETWEEN_SQUARE_BRACKETS_REGEX_2,
        _B.BETWEEN_PARENS_REGEX_2,
        _B.BETWEEN_QUOTE_ARROW_REGEX_2,
        _B.BETWEEN_EM_DASHES_REGEX_2,
        _B.BETWEEN_QUOTE_SLANTED_REGEX_2,
    )
)
_DOUBLE_PUNCTUATION = re.compile(_E.DoublePunctuationRules.DoublePunctuation)
_DOUBLE_RULES = _rules(*_E.DoublePunctuationRules.All)
_QUESTION_EXCLAMATION = _rules(_E.QuestionMarkInQuotationRule, *_E.ExclamationPointRules.All)
_ROMAN_PARENS = Rule(ListItemReplacer.ROMAN_NUMERALS_IN_PARENTHESES, r"&✂&\1&⌬&")
_FINAL_EXCLAMATION = Rule(r"&ᓴ&$", "!")
_BOUNDARY = re.compile(_E.SENTENCE_BOUNDARY_REGEX)
_SUB_SYMBOLS = _rules(*_E.SubSymbolsRules.All)
_REINSERT = _rules(*_E.ReinsertEllipsisRules.All)
_LETTERS_ONLY = re.compile(r"\A[a-zA-Z]*\Z")
_QUOTE_AT_END = re.compile(_E.QUOTATION_AT_END_OF_SENTENCE_REGEX)
_SPLIT_QUOTE_AT_END = re.compile(_E.SPLIT_SPACE_QUOTATION_AT_END_OF_SENTENCE_REGEX)
_SUB_SINGLE_QUOTE = Rule.of(_E.SubSingleQuoteRule)
_PUNCTUATIONS = tuple(_E.Punctuations)

#: Necessary for a list scan to find two items (one item changes nothing): two
#: "digit, period, then space or ``)``" (numbered with periods) or "digit, ``)``,
#: space" (numbered with parens); two small letters or roman numerals at a word
#: start (or after "(") before a period, or before ``)``.
#: (Each written to start with its literal, where a search skips ahead.)
_NUMBERED_PERIOD = re.compile(r"\.(?<=\d\.)[\s)]")
_NUMBERED_PAREN = re.compile(r"\)(?<=\d\))\s")
_LETTER_PERIOD = re.compile(r"\.(?<=(?<!\S)[a-z]\.)")
_LETTER_PAREN = re.compile(r"\)(?<=[a-z]\))")
_LETTERS_PAREN = re.compile(r"(?<![^\s(])[a-z]+\)")


def _twice(pattern: re.Pattern[str], text: str) -> bool:
    """Whether ``pattern`` matches ``text`` at two places at least."""
    first = pattern.search(text)
    return first is not None and pattern.search(text, first.end()) is not None


class Lists(ListItemReplacer):  # type: ignore[misc]
    """pysbd's list pass, without the scans that cannot find two list items.

    pysbd looks for numbered and lettered list items with seven ``re.findall``
    scans per paragraph (patterns of up to twelve alternatives, each behind a
    look-behind) and changes the text only where a scan finds two items or more
    (neighbours in numbering). Each scan here first asks whether two places match
    what every item of that scan needs (see the patterns above); when not, the
    scan would have changed nothing and is skipped. Otherwise pysbd's scan runs.
    """

    text: str

    def add_line_break(self) -> str:
        """pysbd's ``add_line_break`` with its two fixed substitutions as ``str.replace``."""
        self.format_alphabetical_lists()
        self.format_roman_numeral_lists()
        self.replace_periods_in_numbered_list()
        self.add_line_breaks_for_numbered_list_with_periods()
        self.text = self.text.replace("♨", "∯")  # SubstituteListPeriodRule
        self.replace_parens_in_numbered_list()
        self.add_line_breaks_for_numbered_list_with_parens()
        self.text = self.text.replace("☝", "")  # ListMarkerRule
        return self.text

    def scan_lists(self, regex1: str, regex2: str, replacement: str, strip: bool = False) -> None:
        gate = _NUMBERED_PAREN if regex1 == self.NUMBERED_LIST_PARENS_REGEX else _NUMBERED_PERIOD
        if _twice(gate, self.text):
            super().scan_lists(regex1, regex2, replacement, strip)

    def iterate_alphabet_array(
        self, regex: str, parens: bool = False, roman_numeral: bool = False
    ) -> str:
        if parens:
            if not (_twice(_LETTER_PAREN, self.text) and _twice(_LETTERS_PAREN, self.text)):
                return self.text
        elif not _twice(_LETTER_PERIOD, self.text):
            return self.text
        return str(super().iterate_alphabet_array(regex, parens, roman_numeral))


_ABBRS = [a.strip() for a in English.Abbreviation.ABBREVIATIONS]
#: Position in pysbd's list of each abbreviation without a "." (no two are equal).
_ABBR_ORDER = {a: i for i, a in enumerate(_ABBRS) if "." not in a}
#: The abbreviations with a "." (a regex wildcard in pysbd's patterns), with positions.
_ABBR_DOTTED = tuple((i, a) for i, a in enumerate(_ABBRS) if "." in a)


class Abbreviations(English.AbbreviationReplacer):  # type: ignore[misc]
    r"""pysbd's English abbreviation pass, trying only abbreviations that can match.

    pysbd tries each of its 188 abbreviations on every line: wherever the
    abbreviation's letters occur anywhere in the line it runs a case-insensitive
    ``re.findall`` for the abbreviation at a word start and, for every word it
    finds, a ``re.sub`` that turns the period right after ``\s`` + that word into
    ``∯``. So nothing changes unless a word of the line starts with the
    abbreviation and a period. Here the line's words (``str.split``: the same
    whitespace as ``\s``) that have a period are collected once, and only the
    abbreviations that are what comes before the first period of one of them are
    tried, in pysbd's order (the pass only ever turns ``.`` into ``∯``, so it
    cannot create such a word). The seven abbreviations with a ``.`` (a regex
    wildcard there) keep pysbd's own test, and lines with non-ASCII letters (where
    case-insensitive matching has special cases) take pysbd's own method.
    """

    text: str

    def replace(self) -> str:
        """pysbd's ``AbbreviationReplacer.replace`` with the fast rules."""
        self.text = apply(self.text, _ABBR_FIRST)
        self.text = "".join(
            self.search_for_abbreviations_in_string(line) for line in self.text.splitlines(True)
        )
        self.text = _MULTI_PERIOD(self.text)
        self.text = apply(self.text, _AM_PM)
        self.text = _ABBR_BOUNDARY(self.text)
        return self.text

    def search_for_abbreviations_in_string(self, text: str) -> str:
        if _NON_ASCII_LETTER.search(text):
            return str(super().search_for_abbreviations_in_string(text))
        if "." not in text:
            return text  # every abbreviation's replacement turns a "." into "∯"
        lowered = text.lower()
        order = _ABBR_ORDER
        # what comes before the first "." of every word that has one
        found = {
            order[w]
            for word in lowered.split()
            if "." in word and (w := word.partition(".")[0]) in order
        }
        found.update(i for i, a in _ABBR_DOTTED if a in lowered)
        for i in sorted(found):
            stripped = _ABBRS[i]
            abbrev_match = re.findall(rf"(?:^|\s|\r|\n){stripped}", text, flags=re.IGNORECASE)
            if not abbrev_match:
                continue
            char_array = re.findall(r"(?<={" + re.escape(stripped) + "} ).{1}", text)
            for ind, match in enumerate(abbrev_match):
                text = self.scan_for_replacements(text, match, ind, char_array)
        return text


class EnglishProcessor(Processor):  # type: ignore[misc]
    """pysbd's ``Processor`` (0.3.4) for English, step for step, with the fast rules."""

    text: str

    def process(self) -> list[str] | str:
        if not self.text:
            return self.text
        text = Lists(self.text.replace("\n", "\r")).add_line_break()
        text = Abbreviations(text, self.lang).replace()
        text = apply(text, _NUMBERS)
        text = _CONTINUOUS(text)
        text = _NUMBERED_REFERENCE(text)
        self.text = apply(text, _AFTER_NUMBERS)
        return self.split_into_segments()

    def split_into_segments(self) -> list[str]:
        self.text = _PARENS_BETWEEN_QUOTES(self.text)
        sents = self.rm_none_flatten(self.text.split("\r"))
        sents = [self.check_for_punctuation(apply(s, _LINE_RULES)) for s in sents]
        out: list[str] = []
        for sent in self.rm_none_flatten(sents):
            done = self.post_process_segments(apply(sent, _SUB_SYMBOLS))
            if done and isinstance(done, str):
                out.append(done)
            elif isinstance(done, list):
                out.extend(done)
        return [_SUB_SINGLE_QUOTE(s) for s in out]

    def post_process_segments(self, txt: str) -> str | list[str]:
        if len(txt) > 2 and _LETTERS_ONLY.search(txt):
            return txt
        txt = apply(txt, _REINSERT)
        if _QUOTE_AT_END.search(txt):
            return _SPLIT_QUOTE_AT_END.split(txt)
        return txt.replace("\n", "").strip()

    def check_for_punctuation(self, txt: str) -> list[str]:
        if any(p in txt for p in _PUNCTUATIONS):
            return self.process_text(txt)
        return [txt]

    def process_text(self, txt: str) -> list[str]:
        if txt[-1] not in _PUNCTUATIONS:
            txt += "ȸ"
        txt = _EXCLAMATION_WORDS(txt)
        txt = self.between_punctuation(txt)
        if not _DOUBLE_PUNCTUATION.match(txt):
            txt = apply(txt, _DOUBLE_RULES)
        txt = apply(txt, _QUESTION_EXCLAMATION)
        txt = _ROMAN_PARENS(txt)
        return self.sentence_boundary_punctuation(txt)

    def between_punctuation(self, txt: str) -> str:
        """pysbd's ``BetweenPunctuation(txt).replace()`` with the fast rules."""
        if "'" in txt and not (_LEADING_APOSTROPHE.search(txt) and not _QUOTE_SPACE.search(txt)):
            txt = _SINGLE_QUOTES.sub(lambda m: replace_punctuation(m, match_type="single"), txt)
        return apply(txt, _BETWEEN)

    def sentence_boundary_punctuation(self, txt: str) -> list[str]:
        txt = _FINAL_EXCLAMATION(txt)
        return [m.group() for m in _BOUNDARY.finditer(txt)]


#: pysbd's ``Processor`` methods this class replaces; a new pysbd must be re-checked.
PYSBD_VERSION = "0.3.4"
AbbreviationReplacer = AbbreviationReplacer  # re-exported for the tests' reference
