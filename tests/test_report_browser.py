"""The report in a real headless Chromium (Debian's package, driven by Playwright).

One browser for the module. Chromium is installed by ``scripts/ensure-chromium.sh``
(``make test`` runs it); without it these tests skip with that reason, except when
``DOCMILL_REQUIRE_BROWSER`` or ``CI`` is set, where a missing browser fails them.
"""

from __future__ import annotations

import contextvars
import os
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from docmill.report import write_report
from scripts.chromium import CHROMIUM, FLAGS
from tests.conftest import ROOT, RunResult
from tests.report_folders import Money, hostile_run, money_run

SCREENSHOT = ROOT / "docs" / "report.png"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).is_file():
        message = f"Chromium not found at {CHROMIUM}: run scripts/ensure-chromium.sh"
        if os.environ.get("DOCMILL_REQUIRE_BROWSER") or os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


class Opened:
    """A report open in a fresh page, with every request and script error it caused."""

    def __init__(self, browser: Any, report: Path, width: int = 1280, height: int = 900) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.url = report.resolve().as_uri()
        self.page.goto(self.url)
        self.page.wait_for_selector("html[data-ready]", timeout=15_000)

    def js(self, script: str, arg: Any = None) -> Any:
        return self.page.evaluate(script, arg)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def open_report(browser: Any) -> Iterator[Callable[..., Opened]]:
    opened: list[Opened] = []

    def _open(report: Path, **kwargs: Any) -> Opened:
        opened.append(Opened(browser, report, **kwargs))
        return opened[-1]

    yield _open
    for o in opened:
        o.close()


SPANS = """(sel) => Array.from(document.querySelectorAll(sel)).map((n) => ({
    start: Number(n.dataset.start), end: Number(n.dataset.end), text: n.textContent,
    label: n.dataset.label, speaker: n.dataset.speaker, reason: n.dataset.reason,
    value: n.dataset.value, cls: n.className,
    deco: getComputedStyle(n).textDecorationLine,
    after: getComputedStyle(n, '::after').content }))"""


@pytest.mark.flow
def test_shared_article_report_in_chromium(
    run_flow: Callable[..., RunResult],
    shared_article: Path,
    open_report: Callable[..., Opened],
    tmp_path: Path,
) -> None:
    # Playwright's sync API keeps its event loop current in this thread, so the flow
    # (asyncio.run) runs in a thread of its own, with this thread's Prefect settings.
    with ThreadPoolExecutor(1) as pool:
        ctx = contextvars.copy_context()
        result = pool.submit(ctx.run, run_flow, [shared_article], tmp_path / "out").result()
    (doc,) = result.records("document")
    text = doc["text"]
    report = result.folder / "report.html"
    r = open_report(report, height=1500)
    assert r.requests == [r.url]  # no network, no CDN, nothing but the file itself
    assert r.errors == []

    # Every entity record is one highlighted span (continuations of split spans excluded).
    entities = result.records("entity")
    shown = r.js(SPANS, "details.doc[open] mark.ent:not(.cont)")
    assert len(shown) == len(entities)
    assert Counter((e["start"], e["end"], e["label"]) for e in entities) == Counter(
        (s["start"], s["end"], s["label"]) for s in shown
    )

    # The Stoltenberg quotes: underlined, speaker shown after the quote.
    quotes = result.records("quote")
    assert any("Stoltenberg" in (q["speaker"] or "") for q in quotes)
    shown_quotes = {(s["start"], s["end"]): s for s in r.js(SPANS, ".quote:not(.cont)")}
    for q in quotes:
        s = shown_quotes[(q["start"], q["end"])]
        assert s["speaker"] == q["speaker"] and "underline" in s["deco"]
        last = r.js(SPANS, f'.quote[data-start="{q["start"]}"]')[-1]
        assert q["speaker"] in last["after"] and "underline" in last["deco"]

    # The boilerplate line: struck through, its edit's reason beside it.
    boilerplate = [e for e in result.records("edit") if e["reason"].startswith("boilerplate")]
    assert boilerplate
    struck = {(s["start"], s["end"]): s for s in r.js(SPANS, "del.edit")}
    for e in boilerplate:
        s = struck[(e["start"], e["end"])]
        assert s["text"] == text[e["start"] : e["end"]]
        assert "line-through" in s["deco"] and e["reason"] in s["after"]

    # Dates carry their ISO value.
    dated = r.js(SPANS, "time.date[data-value]:not(.cont)")
    assert sorted((s["start"], s["value"]) for s in dated) == sorted(
        (d["start"], d["value"]) for d in result.records("date") if d["value"]
    )

    r.page.screenshot(path=str(tmp_path / "report.png"))
    if os.environ.get("DOCMILL_UPDATE_SCREENSHOT"):
        shutil.copyfile(tmp_path / "report.png", SCREENSHOT)


def test_document_markup_is_shown_as_text_and_never_runs(
    tmp_path: Path, open_report: Callable[..., Opened]
) -> None:
    folder, doc, _ = hostile_run(tmp_path)
    r = open_report(write_report(folder))
    assert r.js("() => window.__pwned") is None
    # The report's code, its summary block and one data block per document; nothing else.
    assert r.js("() => document.scripts.length") == 2 + 2
    assert r.js("() => document.images.length") == 0
    assert r.js("() => document.querySelectorAll('.text b, .text img, .title b').length") == 0
    body = r.js("() => document.querySelector('details.doc[open] .text').textContent")
    assert body == doc.text  # markup as text, nothing added inside the text itself
    assert r.js("() => document.querySelector('details.doc .title').textContent") == (
        "Hostile <script> title"
    )
    assert "binary file <refused>" in r.js("() => document.getElementById('rejects').innerText")
    assert r.requests == [r.url] and r.errors == []


def test_overlapping_spans_nest_or_split_and_findings_scroll_into_view(
    tmp_path: Path, open_report: Callable[..., Opened]
) -> None:
    folder, doc, records = hostile_run(tmp_path)
    r = open_report(write_report(folder))
    t = doc.text
    # Entities inside the quote are nested in it; all entities counted once.
    inside = r.js(SPANS, ".quote mark.ent")
    assert {s["text"] for s in inside} >= {"NATO", "Ukraine"}
    n_entities = sum(1 for x in records if x.kind == "entity")
    assert len(r.js(SPANS, "details.doc[open] mark.ent:not(.cont)")) == n_entities
    # The entity crossing the quote's end is split in two pieces that read as its text.
    pieces = r.js(SPANS, 'mark.ent[data-label="EVENT"]')
    assert len(pieces) == 2 and "cut" in pieces[0]["cls"] and "cont" in pieces[1]["cls"]
    assert pieces[0]["start"] == pieces[1]["start"]
    assert "".join(p["text"] for p in pieces) == t[pieces[0]["start"] : pieces[0]["end"]]
    assert pieces[0]["after"] == "none" and "EVENT" in pieces[1]["after"]
    # A date inside the crossing entity keeps its ISO value.
    (date,) = r.js(SPANS, "time.date")
    assert date["text"] == "today" and "2025-02-25" in date["after"]

    # A finding below the fold: clicking it scrolls its span into view.
    in_view = """() => { const n = document.querySelector('.fnd[data-sev="warning"]:not(.rel)');
        const b = n.getBoundingClientRect(); return b.top >= 0 && b.bottom <= innerHeight; }"""
    assert r.js(in_view) is False
    r.page.click("aside.findings li[data-sev='warning'] button")
    r.page.wait_for_function(in_view)
    # The finding's span and its related span ("Line 40 ...") both light up.
    lit = r.js(SPANS, ".fnd.flash")
    assert sorted(s["text"] for s in lit) == ["Kyiv officials", "Line 40 of filler text"]
    assert r.page.is_disabled("aside.findings li[data-sev='info'] button")  # no span to show


def test_filters_and_search_and_lazy_sections(
    tmp_path: Path, open_report: Callable[..., Opened]
) -> None:
    folder, _, _ = hostile_run(tmp_path)
    r = open_report(write_report(folder))
    background = """() => Array.from(document.querySelectorAll(
        'details.doc[open] mark.ent[data-label="PERSON"]'))
        .map((n) => getComputedStyle(n).backgroundColor)"""
    assert "rgba(0, 0, 0, 0)" not in r.js(background)
    r.page.uncheck("input[data-filter='label'][value='PERSON']")
    assert set(r.js(background)) == {"rgba(0, 0, 0, 0)"}
    r.page.uncheck("input[data-filter='severity'][value='warning']")
    assert not r.page.is_visible("aside.findings li[data-sev='warning']")
    assert r.page.is_visible("aside.findings li[data-sev='info']")
    r.page.uncheck("input[data-filter='plugin'][value='extract_quotes']")
    assert r.js("() => getComputedStyle(document.querySelector('.quote')).textDecorationLine") == (
        "none"
    )

    # The second document is not laid out until it is opened.
    second = "details.doc:nth-of-type(2)"
    assert r.js(f"() => document.querySelector('{second} .doc-body')") is None
    r.page.click(f"{second} > summary")
    assert r.page.inner_text(f"{second} .text").startswith("Harbour bridge reopens")

    r.page.fill("#search", "harbour")
    assert r.js("() => document.querySelectorAll('details.doc:not(.hidden)').length") == 1
    assert r.page.inner_text("#shown") == "1 of 2 documents"
    r.page.fill("#search", "")
    assert r.page.inner_text("#shown") == "2 documents"


def test_a_plugin_span_kind_shows_the_fields_its_record_type_names(
    tmp_path: Path, open_report: Callable[..., Opened]
) -> None:
    r = open_report(write_report(money_run(tmp_path), kinds={"money": Money}))
    shown = r.js(
        """() => Array.from(document.querySelectorAll('details.doc[open] .span-other'))
        .map((n) => ({ kind: n.dataset.kind, text: n.textContent, title: n.title }))"""
    )
    assert shown == [
        {"kind": "money", "text": "12.50 EUR", "title": "money · amount: 12.5 · currency: EUR"}
    ]
    assert r.requests == [r.url] and r.errors == []
