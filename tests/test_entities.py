"""Entities: the real spaCy model through the real plugins, repaired and canonicalised."""

from __future__ import annotations

from pathlib import Path

from docmill.records import Edit, Entity
from tests.conftest import run_builtins

TEXT = """Treaty Talks Resume in Geneva

READ ALSO: Prime Minister Anna Kowalski Visits Oslo

The Secretary General of the World Health Organization (WHO), Maria Lindqvist, opened the \
meeting in Geneva on Monday.

Lindqvist said the WHO would publish its report in May. Delegates from the Russian Federation \
and from Brazil attended; Russia asked for more time.

The talks were first proposed at the 2019 Summit in Nairobi, and the Geneva Summit, Delegates \
agreed, would be the last. The Brazil-Argentina Council sent observers.

President Okonkwo arrived late. Later, Daniel Okonkwo told reporters that Okonkwo's team was ready.
"""


def entities() -> list[Entity]:
    return run_builtins(TEXT).records(Entity)


def by_text(ents: list[Entity]) -> dict[str, Entity]:
    return {e.text: e for e in ents}


def test_acronym_and_long_form_share_one_canonical_entity() -> None:
    ents = entities()
    who = [e for e in ents if e.text in ("WHO", "World Health Organization")]
    assert {e.text for e in who} == {"WHO", "World Health Organization"}
    assert {(e.canonical, e.label) for e in who} == {("World Health Organization", "ORG")}


def test_surname_takes_the_full_name_and_person_label() -> None:
    ents = entities()
    lind = [e for e in ents if "Lindqvist" in e.text]
    assert len(lind) == 2
    assert {(e.canonical, e.label) for e in lind} == {("Maria Lindqvist", "PERSON")}
    okon = [e for e in ents if "Okonkwo" in e.text]
    assert okon and {e.canonical for e in okon} == {"Daniel Okonkwo"}
    assert {e.label for e in okon} == {"PERSON"}


def test_official_country_name_maps_to_common_name() -> None:
    ents = by_text(entities())
    assert ents["Russian Federation"].canonical == "Russia"
    assert ents["Russia"].canonical == "Russia"
    assert ents["Russian Federation"].label == ents["Russia"].label == "GPE"


def test_swallowed_places_and_missed_bodies_are_repaired() -> None:
    ents = by_text(entities())
    assert ents["Nairobi"].label == "GPE"
    assert "2019 Summit in Nairobi" not in ents
    assert ents["Geneva Summit"].label == "EVENT"
    assert "Geneva Summit, Delegates" not in ents
    assert ents["Brazil-Argentina Council"].label == "ORG"


def test_spans_are_trimmed_and_boilerplate_yields_nothing() -> None:
    result = run_builtins(TEXT)
    ents = result.records(Entity)
    (teaser,) = [e for e in result.records(Edit) if "teaser" in e.reason]
    assert not [e for e in ents if teaser.start <= e.start < teaser.end]
    assert "Kowalski" not in " ".join(e.text for e in ents)
    for e in ents:
        assert e.text == e.text.strip()
        assert not e.text.startswith(("the ", "The "))
        assert not e.text.endswith(("'s", "’s"))
        assert TEXT[e.start : e.end] == e.text


def test_shared_article_done_criteria_for_entities(shared_article: Path) -> None:
    text = shared_article.read_text(encoding="utf-8")
    result = run_builtins(text)
    ents = result.records(Entity)
    nato = {e.canonical for e in ents if e.text in ("NATO", "North Atlantic Treaty Organization")}
    assert len(nato) == 1
    stolt = [e for e in ents if e.text == "Stoltenberg"]
    assert stolt and {(e.canonical, e.label) for e in stolt} == {("Jens Stoltenberg", "PERSON")}
    edits = result.records(Edit)
    teaser = next(e for e in edits if e.reason.endswith("teaser for another article"))
    assert not [e for e in ents if teaser.start <= e.start < teaser.end]
    glued = [e for e in result.records(Edit) if e.reason.startswith("glued")]
    assert len(glued) == 1 and text[glued[0].start - 3 : glued[0].start + 5] == "andNorth"
