"""HTML pages through the real loaders: main text only, page metadata, refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from docmill.engine.stages import DocState, load_one
from docmill.plugins import Manager, build_manager
from docmill.sources import Source
from tests.format_fixtures import NEWS_BOILERPLATE, NEWS_PARAGRAPHS, news_page
from tests.web_pages import FURNITURE, article_page, menus_only_page


@pytest.fixture(scope="module")
def mgr() -> Manager:
    return build_manager()


def load(mgr: Manager, name: str, data: bytes) -> DocState:
    return load_one(mgr, Source.from_bytes(name, data))


def test_news_page_keeps_every_paragraph_and_none_of_the_page_around_it(
    mgr: Manager, tmp_path: Path
) -> None:
    page = tmp_path / "tram.html"
    page.write_text(news_page(), encoding="utf-8")
    state = load(mgr, page.name, page.read_bytes())
    assert state.reject is None
    doc = state.document
    assert doc is not None and doc.plugin == "load_html"
    for paragraph in NEWS_PARAGRAPHS:
        assert paragraph in doc.text
    for furniture in NEWS_BOILERPLATE:
        assert furniture not in doc.text, furniture
    # one block per paragraph, so the segmenter sees the article's paragraphs
    blocks = doc.text.split("\n\n")
    assert blocks[1:] == list(NEWS_PARAGRAPHS)


def test_news_page_metadata_comes_from_the_page(mgr: Manager) -> None:
    doc = load(mgr, "tram.html", news_page().encode()).document
    assert doc is not None
    assert doc.media_type == "text/html"
    assert doc.title == "Tram line to the airport approved after ten-year wait"
    assert doc.author == "Helen Okafor"
    assert doc.published == "2026-11-19"  # the original date, not the modified one
    assert doc.language == "en"  # from <html lang="en-GB">
    assert doc.encoding == "utf-8"
    assert doc.meta["site_name"] == "The Northern Ledger"
    assert doc.meta["canonical_url"] == "https://ledger.example/news/2026/11/tram-airport-approved"


def test_page_is_sniffed_by_content_whatever_its_name(mgr: Manager) -> None:
    state = load(mgr, "saved_page.txt", news_page().encode())
    assert state.document is not None and state.document.media_type == "text/html"
    assert "Accept all cookies" not in state.document.text


def test_declared_charset_decodes_the_page_and_is_recorded(mgr: Manager) -> None:
    body = " ".join(
        "Le maire de Besançon a présenté mercredi le nouveau plan de circulation du "
        "centre-ville, qui réduit la place de la voiture et élargit les trottoirs."
        for _ in range(3)
    )
    html = (
        '<html><head><meta charset="iso-8859-1"><title>Besançon</title></head><body>'
        f"<article><h1>Plan de circulation</h1><p>{body}</p><p>{body}</p></article></body></html>"
    )
    doc = load(mgr, "besancon.html", html.encode("latin-1")).document
    assert doc is not None
    assert doc.encoding == "iso-8859-1"
    assert "Besançon a présenté" in doc.text
    assert doc.language == "fr"  # no lang attribute: the offline detector decides


def test_page_without_main_text_is_a_reject_with_the_reason(mgr: Manager) -> None:
    html = (
        "<!doctype html><html><head><title>Home</title></head><body>"
        "<div id=cookie>We use cookies. Accept all cookies to continue.</div>"
        "<nav><ul><li><a href=/a>News</a></li><li><a href=/b>Sport</a></li></ul></nav>"
        "<script>track()</script><footer>(c) 2026 Example Media</footer></body></html>"
    )
    state = load(mgr, "menu.html", html.encode())
    assert state.document is None and state.reject is not None
    assert (state.reject.stage, state.reject.plugin) == ("load", "load_html")
    assert "no main text found" in state.reject.error


_SENTENCES = (
    "The ferry between the two islands will run every hour from Monday, the operator said.",
    "Residents had asked for more crossings after the bridge closed for repairs in March.",
    "Skipper Hanna Lund said the new timetable would need two more crews over the summer.",
    "The council will pay for the extra sailings until the bridge reopens next year.",
)


def _body(words: int) -> list[str]:
    """Paragraphs of about ``words`` words, sentences never cut."""
    out: list[str] = []
    while sum(len(p.split()) for p in out) < words:
        out.append(" ".join(_SENTENCES[: 2 + len(out) % 3]))
    return out


@pytest.mark.parametrize("layout", [0, 1, 2, 3])
@pytest.mark.parametrize("words", [60, 400, 3000])
def test_article_pages_of_60_to_3000_words_keep_the_article_and_drop_the_page(
    mgr: Manager, layout: int, words: int
) -> None:
    body = _body(words)
    html = article_page("Ferry to run every hour", body, "2024-05-01", layout)
    doc = load(mgr, "ferry.html", html.encode()).document
    assert doc is not None
    for paragraph in body:
        assert paragraph in doc.text
    for furniture in FURNITURE:
        assert furniture not in doc.text.replace("Ferry to run every hour", "")
    assert doc.meta["extraction"] in ("precision", "recall")


def test_short_article_that_precision_misses_is_a_document_from_the_recall_pass(
    mgr: Manager,
) -> None:
    body = _body(60)
    html = article_page("Ferry to run every hour", body, "2024-05-01", layout=3)
    doc = load(mgr, "short.html", html.encode()).document
    assert doc is not None and doc.meta["extraction"] == "recall"
    assert all(paragraph in doc.text for paragraph in body)


def test_usual_article_page_uses_the_precision_pass(mgr: Manager) -> None:
    doc = load(mgr, "tram.html", news_page().encode()).document
    assert doc is not None and doc.meta["extraction"] == "precision"


def test_page_of_menus_and_banners_only_is_still_refused(mgr: Manager) -> None:
    state = load(mgr, "home.html", menus_only_page().encode())
    assert state.document is None and state.reject is not None
    assert "no main text found" in state.reject.error
