"""Direct quotations with their speaker (a canonical PERSON name) and cue verb.

Quotations are found by their marks in the cleaned text: curly “…” (and straight
"…", their direction guessed from the characters around them). A quotation may
run over several paragraphs the English way: a paragraph that ends inside it has
no closing mark, and the next paragraph opens with one; the span then runs from
the first opening mark to the final closing mark. Writers who drop the
continuation marks are followed too: a quotation left open at a paragraph's end
goes on to the next closing mark that has no opening mark of its own, at most
:data:`MAX_PARAGRAPHS` paragraphs on. Quoted words of fewer than
four words with no attribution ("scare quotes") are not quotations.

Attribution looks right after the closing mark (“…,” Stoltenberg said / “…,”
said Jens Stoltenberg / “…,” the Secretary General noted) and then right before
the opening mark (Stoltenberg said, “…” / He told reporters: “…”). The speaker
phrase gives the speaker: a PERSON entity inside it or in an apposition right after it
("said her daughter, Liv Halvorsen"), its canonical name; else a pronoun or role
("she", "they", "the Secretary General") resolves to the person the text is about
there (:mod:`docmill_builtins.speakers`: a person given that role, else the subject
of the nearest preceding sentence naming a person, gender-matched where the text
fixes it); otherwise the speaker is null. A quotation with no attribution that
follows an attributed one in the same paragraph (“…,” Lagarde said. “…”) has the
same speaker. ``cue`` is
the verb as written ("emphasized"). Runs after the entity extractor (``trylast``)
and reads its entities from ``found``.

Languages: English by default (``[plugins.extract_quotes] languages = ["en"]``;
the cue verbs and speaker rules are English). Another language listed there gets
its quotations found by its own marks (:data:`MARKS`: « » in French, „ “ and » « in
German, 「 」 in Japanese and Chinese …), with no speaker or cue (they would need
that language's rules); a document in a language not listed is skipped.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, Field

from docmill import CleanText, Entity, Quote, Record, Segment, hookimpl
from docmill_builtins.speakers import Mention, Speakers

_CUE_WORDS = """
    said says say told tells added adds noted notes emphasized emphasised emphasizes
    emphasises remarked remarks stated states declared declares explained explains warned
    warns insisted insists argued argues asked asks replied replies observed observes
    stressed stresses wrote writes continued continues announced announces acknowledged
    acknowledges admitted admits claimed claims urged urges recalled recalls concluded
    concludes tweeted posted responded responds answered answers suggested suggests
    confirmed confirms described describes
"""
#: Cue verbs (and phrases) that introduce or close a direct quotation.
CUES: tuple[str, ...] = (
    "pointed out",
    "points out",
    "went on",
    "goes on",
    "according to",
    *_CUE_WORDS.split(),
)
_CUE = "(?P<cue>" + "|".join(sorted(CUES, key=len, reverse=True)) + ")"
#: A speaker phrase: up to eight words, no sentence punctuation.
_SPEAKER = r"(?P<who>[^\s“”\"‘’.!?;:,][^“”\".!?;:\n]{0,80}?)"
_AFTER = (
    re.compile(rf"^[\s,]*{_SPEAKER}\s+{_CUE}\b"),
    re.compile(rf"^[\s,]*{_CUE}\s+{_SPEAKER}\s*(?:[.,;:!?]|$)"),
)
_BEFORE = (
    re.compile(rf"{_SPEAKER}\s+{_CUE}(?:\s+[a-z][\w ]{{0,30}}?)?\s*[,:]?\s*$"),
    re.compile(rf"\b{_CUE}\s+{_SPEAKER}\s*[,:]\s*$"),
)
#: Where a cue starts that :data:`_BEFORE`'s first pattern can end with (what follows
#: it there, to the end of the text).
_CUE_ENDING = re.compile(rf"(?={_CUE}(?:\s+[a-z][\w ]{{0,30}}?)?\s*[,:]?\s*$)")
#: The most characters a speaker phrase of :data:`_SPEAKER` has, and the characters
#: none of its characters after the first is (nor the first).
_SPEAKER_MAX = 81
_NOT_IN_SPEAKER = '“”".!?;:\n'
#: "he", "she", "they", or a singular role ("the Secretary General", "her spokesman").
_PRONOUN_OR_ROLE = re.compile(
    r"^(?:he|she|they|(?:the|his|her|its)\s.*[^s\W]|(?:the|his|her|its)\s.*ss)$", re.I
)
_APPOSITION = re.compile(r",\s*")
MIN_WORDS = 4
#: A quotation spans at most this many paragraphs.
MAX_PARAGRAPHS = 4
OPEN, CLOSE = "“", "”"
#: Language -> (opening marks, closing marks) besides straight double quotes.
MARKS: dict[str, tuple[str, str]] = {
    "en": ("“", "”"),
    "fr": ("«“", "»”"),
    "it": ("«“", "»”"),
    "es": ("«“", "»”"),
    "pt": ("«“", "»”"),
    "de": ("„»", "“«"),
    "ru": ("«„", "»“"),
    "pl": ("„«", "”»"),
    "ja": ("「『", "」』"),
    "zh": ("「『“", "」』”"),
}
#: The marks of a language not in :data:`MARKS`.
OTHER_MARKS = ("“«", "”»")
#: Languages written without spaces: a quotation's length counts in characters there.
_UNSPACED = frozenset({"ja", "zh", "th"})
#: The fewest characters of an unattributed quotation in an unspaced language.
MIN_CHARS = 8


class QuoteSettings(BaseModel):
    languages: list[str] = Field(
        default_factory=lambda: ["en"],
        description=(
            "Languages whose documents are searched for quotations; speakers and cues "
            "are found in English only."
        ),
    )


@hookimpl
def settings_model() -> type[BaseModel]:
    return QuoteSettings


@hookimpl
def languages(settings: QuoteSettings) -> list[str]:
    return settings.languages


@dataclass(frozen=True, slots=True)
class Marked:
    """A quotation span, marks included."""

    start: int
    end: int


def _direction(text: str, i: int) -> str:
    """Whether the straight quote at ``i`` opens or closes."""
    before = text[i - 1] if i > 0 else " "
    return OPEN if before.isspace() or before in "([{—–-" else CLOSE


def marks(text: str, language: str = "en") -> Iterator[tuple[int, str]]:
    """(position, OPEN or CLOSE) of every double quotation mark of ``language``."""
    opening, closing = MARKS.get(language.split("-", 1)[0], OTHER_MARKS)
    for m in re.finditer(f'[{re.escape(opening + closing)}"]', text):
        ch = m.group()
        if ch == '"':
            yield m.start(), _direction(text, m.start())
        else:
            yield m.start(), OPEN if ch in opening else CLOSE


def quotations(text: str, language: str = "en") -> list[Marked]:
    """Every balanced quotation, multi-paragraph ones as one span."""
    out: list[Marked] = []
    opened: int | None = None
    last = -1
    for pos, kind in marks(text, language):
        breaks = text.count("\n\n", last, pos) if opened is not None else 0
        if breaks:
            # A paragraph ended inside the quotation. It goes on when the next
            # paragraph opens with a quotation mark (the English convention), or when
            # the next mark, at most MAX_PARAGRAPHS on, closes with no opening of its
            # own (a writer who dropped the continuation marks).
            para_start = text.rfind("\n\n", last, pos) + 2
            if kind == OPEN and breaks == 1 and not text[para_start:pos].strip():
                last = pos
                continue
            if kind == OPEN or breaks >= MAX_PARAGRAPHS:
                opened = None
        if kind == OPEN:
            opened = pos
        elif opened is not None:
            out.append(Marked(opened, pos + 1))
            opened = None
        last = pos
    return out


class _People(list[Entity]):
    """The PERSON entities of a document sorted by (start, end), with what
    :func:`_resolve` looks up in them indexed, so a long document's quotations do not
    each scan every person."""

    def __init__(self, people: Sequence[Entity]) -> None:
        super().__init__(sorted(people, key=lambda e: (e.start, e.end)))
        self.starts = [p.start for p in self]
        self._by_last: dict[str, set[str]] | None = None

    def inside(self, start: int, end: int) -> Entity | None:
        """The last person (in order) wholly within [start, end)."""
        lo = bisect.bisect_left(self.starts, start)
        for i in range(bisect.bisect_right(self.starts, end) - 1, lo - 1, -1):
            if self[i].end <= end:
                return self[i]
        return None

    def starting_at(self, pos: int) -> Entity | None:
        """The first person (in order) that starts at ``pos``."""
        i = bisect.bisect_left(self.starts, pos)
        return self[i] if i < len(self) and self.starts[i] == pos else None

    def ending_with(self, last: str) -> set[str]:
        """The canonical names whose last word is ``last``."""
        if self._by_last is None:
            self._by_last = {}
            for p in self:
                self._by_last.setdefault(p.canonical.split()[-1], set()).add(p.canonical)
        return set(self._by_last.get(last, ()))


def _person_in(people: Sequence[Entity], start: int, end: int) -> Entity | None:
    if isinstance(people, _People):
        return people.inside(start, end)
    inside = [p for p in people if p.start >= start and p.end <= end]
    return inside[-1] if inside else None


def _resolve(
    people: Sequence[Entity],
    speakers: Speakers,
    who: str,
    who_start: int,
    who_end: int,
    quote_start: int,
) -> str | None:
    named = _person_in(people, who_start, who_end)
    if named is not None:
        return named.canonical
    apposition = _APPOSITION.match(speakers.text, who_end)
    if apposition:
        if isinstance(people, _People):
            first = people.starting_at(apposition.end())
            after = [first] if first is not None else []
        else:
            after = [p for p in people if p.start == apposition.end()]
        if after:
            return after[0].canonical
    words = who.split()
    if words and words[-1][:1].isupper():
        # a surname the model did not tag: the one PERSON whose name ends with it
        last = words[-1]
        if isinstance(people, _People):
            names = people.ending_with(last)
        else:
            names = {p.canonical for p in people if p.canonical.split()[-1] == last}
        if len(names) == 1:
            return names.pop()
    if not _PRONOUN_OR_ROLE.match(who.strip()):
        return None
    return speakers.resolve(who.strip(), min(quote_start, who_start))


def _speaker_cue(before: str) -> re.Match[str] | None:
    """``_BEFORE[0].search(before)``, tried only from where a match can start.

    A match is a speaker phrase, whitespace and a cue that ends the text as the
    pattern says (:data:`_CUE_ENDING`), so it starts at most :data:`_SPEAKER_MAX`
    characters before the whitespace ahead of the first such cue, and after the last
    character a speaker phrase cannot hold (sentence punctuation, a quotation mark)
    before that whitespace; a text without such a cue has none.
    """
    first = _CUE_ENDING.search(before)
    if first is None:
        return None
    ahead = len(before[: first.start()].rstrip())
    stop = max(before.rfind(ch, 0, ahead) for ch in _NOT_IN_SPEAKER)
    return _BEFORE[0].search(before, max(0, ahead - _SPEAKER_MAX, stop + 1))


def attribute(
    text: str, q: Marked, people: Sequence[Entity], speakers: Speakers
) -> tuple[str | None, str | None, bool]:
    """(speaker, cue, found_attribution) for one quotation."""
    line_end = text.find("\n", q.end)
    after = text[q.end : line_end if line_end >= 0 else len(text)]
    next_open = after.find(OPEN)
    if next_open >= 0:
        after = after[:next_open]
    for pattern in _AFTER:
        m = pattern.match(after)
        if m:
            s, e = q.end + m.start("who"), q.end + m.end("who")
            return _resolve(people, speakers, m.group("who"), s, e, q.start), m.group("cue"), True
    line_start = text.rfind("\n", 0, q.start) + 1
    before_start = max(line_start, q.start - 200)
    before = text[before_start : q.start]
    for pattern in _BEFORE:
        m = _speaker_cue(before) if pattern is _BEFORE[0] else pattern.search(before)
        if m:
            s, e = before_start + m.start("who"), before_start + m.end("who")
            return _resolve(people, speakers, m.group("who"), s, e, q.start), m.group("cue"), True
    return None, None, False


def _marked_only(text: str, language: str) -> list[Quote]:
    """Quotations of a language other than English: by their marks, no speaker or cue."""
    out = []
    for q in quotations(text, language):
        inner = text[q.start + 1 : q.end - 1]
        short = (
            len("".join(inner.split())) < MIN_CHARS
            if language.split("-", 1)[0] in _UNSPACED
            else len(inner.split()) < MIN_WORDS
        )
        if not short:
            out.append(Quote(start=q.start, end=q.end))
    return out


@hookimpl(trylast=True)
def extract(doc: CleanText, segments: Sequence[Segment], found: Sequence[Record]) -> list[Quote]:
    text = doc.text
    if doc.language != "en":
        return _marked_only(text, doc.language)
    people = _People([r for r in found if isinstance(r, Entity) and r.label == "PERSON"])
    marked = quotations(text)
    speakers = Speakers(
        text,
        [(s.start, s.end) for s in segments if s.type == "sentence"],
        [Mention(p.start, p.end, p.canonical) for p in people],
        [(q.start, q.end) for q in marked],
    )
    out: list[Quote] = []
    for q in marked:
        speaker, cue, attributed = attribute(text, q, people, speakers)
        if not attributed and out and out[-1].speaker and "\n\n" not in text[out[-1].end : q.start]:
            # a second quotation in the paragraph of an attributed one, after its cue:
            # “…,” Lagarde said. “…”
            speaker, cue, attributed = out[-1].speaker, out[-1].cue, True
        if not attributed and len(text[q.start : q.end].split()) < MIN_WORDS:
            continue
        out.append(Quote(start=q.start, end=q.end, speaker=speaker, cue=cue))
        if speaker is not None:
            speakers.add(q.end, q.end, speaker)
    return out
