"""The report page: the template in ``assets/`` filled with the report's data, in pieces.

Self-contained and safe: CSS, script and data are inline; a Content-Security-Policy
forbids every network request and lets only the report's own script run (by its
sha256). Data travels as JSON in ``<script type="application/json">`` blocks with
every ``<`` escaped, so document text can never end a block or become markup.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from collections.abc import Iterable, Iterator
from importlib import resources
from typing import Any

import orjson

_PLACEHOLDER = re.compile(r"(__DOCMILL_[A-Z]+__)")


def _asset(name: str) -> str:
    return resources.files("docmill.report").joinpath("assets", name).read_text(encoding="utf-8")


def json_for_script(data: Any) -> str:
    """JSON safe inside ``<script type="application/json">``: no ``<`` can end the block."""
    raw = orjson.dumps(data).decode("utf-8")
    return raw.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def page_pieces(summary: dict[str, Any], bodies: Iterable[dict[str, Any]]) -> Iterator[str]:
    """The report page in pieces: the template with the summary, then one block per body.

    ``bodies`` is consumed lazily, one document's data block at a time.
    """
    script = _asset("report.js")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    csp = (
        "default-src 'none'; "
        f"script-src 'sha256-{digest}'; "
        "style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
    )
    run_id = str(summary["run"].get("run_id") or "")
    page = _asset("report.html")
    parts = {
        "__DOCMILL_CSP__": html.escape(csp, quote=False).replace('"', "&quot;"),
        "__DOCMILL_TITLE__": html.escape(f"docmill report · run {run_id}"),
        "__DOCMILL_STYLE__": _asset("report.css"),
        "__DOCMILL_DATA__": json_for_script(summary),
        "__DOCMILL_BODIES__": "",  # streamed below
        "__DOCMILL_SCRIPT__": script,
    }
    # One pass over the template only: a placeholder inside document text stays text.
    pieces = _PLACEHOLDER.split(page)
    if sorted(pieces[1::2]) != sorted(parts):
        raise RuntimeError(f"report template placeholders {pieces[1::2]} != {sorted(parts)}")
    for i, piece in enumerate(pieces):
        if i % 2 == 0 or piece != "__DOCMILL_BODIES__":
            yield parts[piece] if i % 2 else piece
            continue
        for n, body in enumerate(bodies):
            yield "\n" if n else ""
            yield f'<script type="application/json" id="doc-data-{n}">'
            yield json_for_script(body)
            yield "</script>"


def render(data: dict[str, Any]) -> str:
    """The report page for :func:`docmill.report.report_data`'s output, as one string."""
    summary = {k: v for k, v in data.items() if k != "bodies"}
    return "".join(page_pieces(summary, data["bodies"]))
