"""Realistic saved web pages around a known article body, built in code (no page is committed).

:func:`article_page` wraps a title and paragraphs in the furniture of a real news or
blog page: navigation, a cookie banner, a share bar, teaser and related-article
lists, comments, a newsletter box, a footer. Four layouts differ in markup the way
sites do (semantic ``<article>``, a CMS of nested ``<div>``s, a blog, a local-news CMS
that sets the story in ``<span>``s). Every piece of
furniture text is in :data:`FURNITURE`, so a test or ``make eval`` can tell article
text from page text. :func:`menus_only_page` is a page with no article at all.
"""

from __future__ import annotations

from html import escape

#: Text of the page around the article: none of it belongs to the article.
FURNITURE = (
    "We value your privacy",
    "This site uses cookies to personalise content and ads and to analyse our traffic",
    "Accept all",
    "Reject non-essential",
    "Home",
    "World",
    "Business",
    "Culture",
    "Sport",
    "Opinion",
    "Subscribe for 1 euro a week",
    "Share on Facebook",
    "Share on X",
    "Email this story",
    "Print",
    "Related stories",
    "Mayor unveils plan for night buses on the ring road",
    "Five things to do in the city this weekend",
    "Most read",
    "Storm warning for the coast on Friday night",
    "Comments (3)",
    "Great piece, thanks for covering this properly.",
    "I disagree with almost every word of this.",
    "Who is paying for all of this? Not me, I hope.",
    "Sign up to our daily newsletter",
    "Advertisement",
    "About us",
    "Contact",
    "Privacy policy",
    "All rights reserved",
)


def _paragraphs(paragraphs: tuple[str, ...] | list[str], tag: str = "p") -> str:
    return "\n".join(f"      <{tag}>{escape(p, quote=False)}</{tag}>" for p in paragraphs)


def _head(title: str, published: str, site: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{escape(title)} | {site}</title>
  <meta property="og:site_name" content="{site}">
  <meta property="og:title" content="{escape(title)}">
  <meta property="og:type" content="article">
  <meta property="article:published_time" content="{published}T07:00:00+00:00">
  <script>window.analytics = window.analytics || []; analytics.push("pageview");</script>
</head>
"""


_COOKIES = """  <div class="cookie-consent" id="cookie-consent">
    <h3>We value your privacy</h3>
    <p>This site uses cookies to personalise content and ads and to analyse our traffic.</p>
    <button>Accept all</button><button>Reject non-essential</button>
  </div>
"""
_NAV = """  <header><nav class="menu"><ul>
    <li><a href="/">Home</a></li><li><a href="/world">World</a></li>
    <li><a href="/business">Business</a></li><li><a href="/culture">Culture</a></li>
    <li><a href="/sport">Sport</a></li><li><a href="/opinion">Opinion</a></li>
  </ul></nav><a class="promo" href="/subscribe">Subscribe for 1 euro a week</a></header>
"""
_SHARE = """      <div class="share-tools">
        <a href="/share/fb">Share on Facebook</a> <a href="/share/x">Share on X</a>
        <a href="/share/mail">Email this story</a> <button>Print</button>
      </div>
"""
_RELATED = """    <aside class="related-links">
      <h2>Related stories</h2>
      <ul><li><a href="/a">Mayor unveils plan for night buses on the ring road</a></li>
      <li><a href="/b">Five things to do in the city this weekend</a></li></ul>
      <h2>Most read</h2>
      <ol><li><a href="/c">Storm warning for the coast on Friday night</a></li></ol>
    </aside>
"""
_COMMENTS = """    <section class="comments" id="comments">
      <h2>Comments (3)</h2>
      <div class="comment"><span class="user">reader_one</span>
        <p>Great piece, thanks for covering this properly.</p></div>
      <div class="comment"><span class="user">contrarian</span>
        <p>I disagree with almost every word of this.</p></div>
      <div class="comment"><span class="user">taxpayer</span>
        <p>Who is paying for all of this? Not me, I hope.</p></div>
    </section>
"""
_FOOTER = """  <div class="newsletter-box"><p>Sign up to our daily newsletter</p>
    <form><input type="email"><button>Sign up</button></form></div>
  <footer><a href="/about">About us</a> <a href="/contact">Contact</a>
    <a href="/privacy">Privacy policy</a><p>© The Daily Example. All rights reserved.</p></footer>
</body>
</html>
"""


def article_page(
    title: str, paragraphs: tuple[str, ...] | list[str], published: str, layout: int = 0
) -> str:
    """A saved page whose article is ``title`` and ``paragraphs``; ``layout`` picks the markup."""
    body = _paragraphs(paragraphs, "span" if layout % 4 == 3 else "p")
    head = _head(title, published, "The Daily Example")
    if layout % 4 == 3:
        # a local-news CMS that sets the story in inline elements, no <p> or <article>
        main = f"""  <div class="page"><div class="col-main">
    <div class="story-title">{escape(title)}</div>
{_SHARE}    <div class="story-text">
{body}
    </div></div>
{_RELATED}  </div>
"""
    elif layout % 4 == 0:
        main = f"""  <main>
    <article>
      <h1>{escape(title)}</h1>
      <p class="byline">By Staff Reporter, <time datetime="{published}">{published}</time></p>
{_SHARE}{body}
    </article>
{_RELATED}{_COMMENTS}  </main>
"""
    elif layout % 4 == 1:
        main = f"""  <div id="wrapper"><div class="ad-banner">Advertisement</div>
    <div class="content-area"><div class="post-container">
      <h1 class="headline">{escape(title)}</h1>
{_SHARE}      <div class="story-body">
{body}
      </div>
    </div>
{_RELATED}    </div>
{_COMMENTS}  </div>
"""
    else:
        main = f"""  <div class="blog">
    <div class="entry">
      <h2 class="entry-title">{escape(title)}</h2>
      <div class="entry-content">
{body}
      </div>
{_SHARE}    </div>
{_COMMENTS}{_RELATED}  </div>
"""
    return f"{head}<body>\n{_COOKIES}{_NAV}{main}{_FOOTER}"


def menus_only_page() -> str:
    """A page of navigation, banners and teasers only: no article to extract."""
    return (
        _head("Home", "2024-05-01", "The Daily Example")
        + f'<body>\n{_COOKIES}{_NAV}  <div class="ad-banner">Advertisement</div>\n'
        + _RELATED
        + _FOOTER
    )
