"""Load saved web pages: the article's main text, without the page around it.

trafilatura finds the main text and leaves out navigation, cookie banners,
share buttons, related-article teasers, comments, scripts and ads. The
document's text is that main text, one block (heading, paragraph, list item,
table row) per paragraph, blocks separated by a blank line, so the segmenter
sees the page's paragraphs. Metadata comes from the page itself: title,
author, site name and canonical URL (trafilatura), the original publication
date (htmldate, never the download date), the language from ``<html lang>`` or
``content-language``. A page where no main text is found is refused, so it
becomes a reject with that reason instead of an empty document.
"""

from __future__ import annotations

import re
from typing import Any

from docmill import Document, Source, hookimpl, iso_date, language_tag, person

HTML_TYPES = ("text/html", "application/xhtml+xml")

_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_BLOCK_SPACE = re.compile(r"[ \t\u00a0]+")


def decode_html(data: bytes) -> tuple[str, str]:
    """The page as text and its encoding: a BOM, then ``<meta charset>``, UTF-8, a guess."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace").lstrip("\ufeff"), "utf-16"
    m = _CHARSET.search(data[:4096])
    if m:
        declared = m.group(1).decode("ascii").lower()
        try:
            return data.decode(declared), declared
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        if best is None:
            return data.decode("cp1252", errors="replace"), "cp1252"
        return str(best), best.encoding


def _page_language(tree: Any) -> str | None:
    for value in tree.xpath("/html/@lang | /html/@xml:lang") or []:
        tag = language_tag(str(value))
        if tag:
            return tag
    for value in tree.xpath(
        "//meta[translate(@http-equiv,'CONTENT-LANGUAGE','content-language')='content-language']"
        "/@content | //meta[@property='og:locale']/@content"
    ):
        tag = language_tag(str(value))
        if tag:
            return tag
    return None


def _blocks(text: str) -> str:
    """trafilatura's one-block-per-line text as blank-line separated paragraphs."""
    lines = (_BLOCK_SPACE.sub(" ", line).strip() for line in text.splitlines())
    return "\n\n".join(line for line in lines if line)


@hookimpl
def load(source: Source) -> Document | None:
    if source.media_type not in HTML_TYPES:
        return None
    import htmldate
    import trafilatura
    from trafilatura.utils import load_html

    html, encoding = decode_html(source.data)
    tree = load_html(html)
    if tree is None:
        raise ValueError("not a readable HTML page (the parser found no document in it)")
    extracted = trafilatura.bare_extraction(
        html,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        include_images=False,
        deduplicate=False,
        # Precision over recall, and no fallback extractors: a page of menus and
        # banners must come out empty (a reject), not as a document of menu items.
        favor_precision=True,
        fast=True,
    )
    if extracted is None or isinstance(extracted, dict):
        raise ValueError("no main text found in the page (only navigation, boilerplate or scripts)")
    text = _blocks(extracted.text or "")
    if not text:
        raise ValueError("no main text found in the page (only navigation, boilerplate or scripts)")
    published = iso_date(
        htmldate.find_date(tree, original_date=True, extensive_search=False)
    ) or iso_date(extracted.date)
    meta: dict[str, Any] = {}
    for key, value in (
        ("site_name", extracted.sitename),
        ("canonical_url", extracted.url),
        ("hostname", extracted.hostname),
        ("description", extracted.description),
        ("categories", extracted.categories),
        ("tags", extracted.tags),
        ("license", extracted.license),
    ):
        if value:
            meta[key] = value
    return Document(
        media_type="text/html",
        text=text,
        title=extracted.title or None,
        author=person(extracted.author),
        published=published,
        language=_page_language(tree),
        encoding=encoding,
        meta=meta,
    )
