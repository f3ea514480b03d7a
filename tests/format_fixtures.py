"""Fixtures for the format tests, built in code: an HTML news page, a PDF, a DOCX, Markdown.

Nothing binary is committed: the PDF is written with fpdf2 and the DOCX with
python-docx into the test's tmp_path.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

#: The article's paragraphs: every one must reach the document text.
NEWS_PARAGRAPHS = (
    "The regional transport board on Wednesday approved a new tram line linking the city "
    "centre with the airport, ending a decade of delays and two abandoned funding bids.",
    "The 14-kilometre line will have nine stops and is expected to carry 40,000 passengers "
    "a day when it opens in 2031, according to the board's business case.",
    '"This is the day people said would never come," said board chair Marcus Lindqvist after '
    'the vote. "We will start moving utilities next spring."',
    "Construction is estimated to cost £1.2 billion, two thirds of which will come from a "
    "national infrastructure grant awarded in September.",
    "Opposition councillors questioned the passenger forecasts, arguing that the airport's "
    "own growth plans had been scaled back since the pandemic.",
    "The board will publish the final route map in January, after a last round of "
    "consultation with residents along the eastern section.",
)

#: Page furniture around the article: none of it may reach the document text.
NEWS_BOILERPLATE = (
    "We use cookies to improve your experience",
    "Accept all cookies",
    "Manage preferences",
    "Home",
    "Sport",
    "Weather",
    "Share on Facebook",
    "Share on X",
    "Copy link",
    "Bus fares frozen for another year",
    "Airport unveils new runway lighting",
    "Most read",
    "Finally! I have been waiting for this since school.",
    "Another white elephant, mark my words.",
    "trainfan88",
    "Sign up for our morning briefing",
    "All rights reserved",
    "window.dataLayer",
    "Advertisement",
)


def news_page() -> str:
    """A saved news article page: navigation, cookie banner, share bar, teasers, comments."""
    paragraphs = "\n".join(f"      <p>{p}</p>" for p in NEWS_PARAGRAPHS)
    return f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
  <meta charset="utf-8">
  <title>Tram line to the airport approved after ten-year wait | The Northern Ledger</title>
  <link rel="canonical" href="https://ledger.example/news/2026/11/tram-airport-approved">
  <meta property="og:site_name" content="The Northern Ledger">
  <meta property="og:title" content="Tram line to the airport approved after ten-year wait">
  <meta property="og:type" content="article">
  <meta name="author" content="Helen Okafor">
  <meta property="article:published_time" content="2026-11-19T08:30:00+00:00">
  <meta property="article:modified_time" content="2026-11-20T16:05:00+00:00">
  <script>window.dataLayer = window.dataLayer || [];
    function track(e) {{ dataLayer.push(e); }}</script>
  <style>.cookie-banner {{ position: fixed; bottom: 0 }}</style>
</head>
<body>
  <div id="cookie-banner" class="cookie-banner" role="dialog">
    <p>We use cookies to improve your experience. By continuing to browse you accept our
    cookie policy.</p>
    <button>Accept all cookies</button> <button>Manage preferences</button>
  </div>
  <header class="site-header">
    <a class="logo" href="/">The Northern Ledger</a>
    <nav class="main-nav"><ul>
      <li><a href="/">Home</a></li><li><a href="/news">News</a></li>
      <li><a href="/sport">Sport</a></li><li><a href="/weather">Weather</a></li>
    </ul></nav>
  </header>
  <div class="ad-slot">Advertisement</div>
  <main>
    <article class="story">
      <h1>Tram line to the airport approved after ten-year wait</h1>
      <p class="byline">By <span class="author">Helen Okafor</span>,
        <time datetime="2026-11-19T08:30">19 November 2026</time></p>
      <div class="share-bar">
        <a href="https://facebook.example/share">Share on Facebook</a>
        <a href="https://x.example/share">Share on X</a>
        <button>Copy link</button>
      </div>
{paragraphs}
    </article>
    <aside class="related">
      <h2>Related articles</h2>
      <ul>
        <li><a href="/news/bus-fares">Bus fares frozen for another year</a></li>
        <li><a href="/news/runway">Airport unveils new runway lighting</a></li>
      </ul>
      <h2>Most read</h2>
      <ol><li><a href="/news/x">Council tax to rise by three percent</a></li></ol>
    </aside>
    <section id="comments" class="comments">
      <h2>Comments (2)</h2>
      <div class="comment"><p class="comment-author">trainfan88</p>
        <p>Finally! I have been waiting for this since school.</p></div>
      <div class="comment"><p class="comment-author">skeptic_sue</p>
        <p>Another white elephant, mark my words.</p></div>
    </section>
  </main>
  <div class="newsletter"><p>Sign up for our morning briefing</p>
    <form><input type="email"><button>Subscribe</button></form></div>
  <footer><p>© 2026 The Northern Ledger. All rights reserved.</p>
    <a href="/privacy">Privacy policy</a></footer>
</body>
</html>
"""


#: The PDF fixture's pages: (page number, paragraphs).
PDF_PAGES = (
    (
        "The harbour authority reported record cargo volumes for the year, with container "
        "traffic up eleven percent and the busiest month on record in August.",
        "Chief executive Amira Haddad said the new deep-water berth had paid for itself "
        "two years ahead of plan.",
    ),
    (
        "The authority will invest £85 million in electric cranes over the next three "
        "years, the board said in Rotterdam on Tuesday.",
        "Dock workers' unions welcomed the plan but asked for a retraining fund.",
    ),
)


def write_pdf(path: Path, title: str = "Harbour authority annual results") -> Path:
    """A two-page PDF with a text layer and document information (fpdf2)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_title(title)
    pdf.set_author("Harbour Authority Press Office")
    pdf.set_subject("Annual results")
    pdf.set_creation_date(dt.datetime(2026, 11, 12, 9, 0, tzinfo=dt.UTC))
    pdf.set_font("helvetica", size=11)
    for paragraphs in PDF_PAGES:
        pdf.add_page()
        for paragraph in paragraphs:
            pdf.multi_cell(0, 6, paragraph)
            pdf.ln(4)
    pdf.output(str(path))
    return path


def write_scanned_pdf(path: Path) -> Path:
    """A PDF whose pages hold only drawings: what a scan without OCR looks like to a reader."""
    from fpdf import FPDF

    pdf = FPDF()
    for _ in range(2):
        pdf.add_page()
        pdf.rect(20, 20, 120, 160, style="F")
    pdf.output(str(path))
    return path


def write_encrypted_pdf(path: Path, user_password: str | None) -> Path:
    """A PDF encrypted with an owner password and, if given, a password to open it."""
    from fpdf import FPDF

    pdf = FPDF()
    if user_password is None:
        pdf.set_encryption(owner_password="owner-secret")
    else:
        pdf.set_encryption(owner_password="owner-secret", user_password=user_password)
    pdf.add_page()
    pdf.set_font("helvetica", size=11)
    pdf.multi_cell(0, 6, "The port will close berth four for maintenance from Monday.")
    pdf.output(str(path))
    return path


DOCX_BLOCKS = (
    ("heading1", "Council budget statement"),
    ("text", "The council will freeze parking charges next year, the finance committee said."),
    ("heading2", "Capital projects"),
    ("text", "Three new libraries will open in Leeds, Bradford and Wakefield by 2028."),
    ("table", "Libraries | £4 million"),
    ("text", "Councillor Farah Iqbal said the budget protected front-line services."),
)


def write_docx(path: Path) -> Path:
    """A Word document with headings, paragraphs, a table and core properties."""
    import docx

    document = docx.Document()
    props = document.core_properties
    props.title = "Council budget statement 2027"
    props.author = "Finance Committee"
    props.language = "en-GB"
    props.subject = "Budget"
    props.created = dt.datetime(2026, 10, 3, 12, 0)
    props.modified = dt.datetime(2026, 10, 4, 8, 30)
    for kind, text in DOCX_BLOCKS:
        if kind == "heading1":
            document.add_heading(text, level=1)
        elif kind == "heading2":
            document.add_heading(text, level=2)
        elif kind == "table":
            table = document.add_table(rows=2, cols=2)
            table.cell(0, 0).text = "Item"
            table.cell(0, 1).text = "Cost"
            left, right = text.split(" | ")
            table.cell(1, 0).text = left
            table.cell(1, 1).text = right
        else:
            document.add_paragraph(text)
    document.add_paragraph("")  # empty paragraphs are not blocks
    document.save(str(path))
    return path


MARKDOWN_NOTE = """---
title: "Ferry timetable changes from December"
date: 2026-11-02
author: [Ana Ruiz, Tom Kerr]
lang: en
tags: [transport, islands]
---

# Ferry timetable *changes* from December

The **island ferry** will run _two extra_ sailings on weekdays, says
[the operator](https://ferry.example/news/timetable_2027 "Timetable").

> "We listened to commuters," said operations manager Colm Byrne.

- Departures from Oban move to 07:15.
- The last sailing leaves at 21:40.

See `timetable.pdf` and <https://ferry.example> for details.

![Ferry at the pier](img/ferry.png)

[operator]: https://ferry.example
"""

#: What the Markdown note reads like once the markup is removed (paragraph texts).
MARKDOWN_WORDS = (
    "Ferry timetable changes from December",
    "The island ferry will run two extra sailings on weekdays, says\nthe operator.",
    '"We listened to commuters," said operations manager Colm Byrne.',
    "Departures from Oban move to 07:15.",
    "See timetable.pdf and https://ferry.example for details.",
)
