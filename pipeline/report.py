"""The HTML report of a run: one self-contained ``report.html`` in the run folder.

The report is built from the run folder alone (``manifest.json`` plus the JSONL
files it lists), so the built-in plugin ``export_report`` (at the end of every
run) and ``docmill report RUN`` (afterwards) write the same file from the same
inputs. Contracts:

- Self-contained: CSS, script and data are inline; a Content-Security-Policy
  forbids every network request and lets only the report's own script run (by
  its sha256), so the file opens from disk in any browser, offline.
- Safe: document text is data, never markup. It travels as JSON inside a
  ``<script type="application/json">`` block with every ``<`` escaped, and the
  script puts it on the page with ``textContent`` / ``setAttribute`` only.
- Lazy: the page opens on a small summary block (run, totals, one line per
  document); each document's text, spans and findings are a JSON block of their
  own, parsed and laid out only when the document's section is opened, so a run
  of 1,000 documents opens quickly. The embedded data is smaller than the JSONL
  it comes from (segments are left out, field names, kinds and plugin names are
  not repeated).
- Deterministic: the same run folder gives a byte-identical report.
"""

from __future__ import annotations

import base64
import hashlib
import html
import os
import re
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

from pipeline.runs import MANIFEST, read_manifest

REPORT = "report.html"
_PLACEHOLDER = re.compile(r"(__DOCMILL_[A-Z]+__)")

#: Record kinds the report draws as highlights (each span kind has a fixed form).
SPAN_KINDS = ("entity", "quote", "date", "edit")
#: Record kinds the report leaves out of the per-document data (counted in the overview).
SKIPPED_KINDS = frozenset({"document", "segment", "reject", "finding"})


class NotARunError(ValueError):
    """The folder given is not a complete run folder (no ``manifest.json``)."""


def _asset(name: str) -> str:
    return resources.files("pipeline").joinpath("report_assets", name).read_text(encoding="utf-8")


def _read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    if not path.is_file():
        return
    with path.open("rb") as fh:
        for line in fh:
            if line.strip():
                record: dict[str, Any] = orjson.loads(line)
                yield record


def _span_row(kind: str, rec: dict[str, Any], text: str) -> list[Any]:
    """A span as ``[kind, start, end, plugin, a, b]``: a/b are the kind's own fields.

    An entity's canonical name is left out (null) when it is its source text.
    """
    a: Any = None
    b: Any = None
    start, end = rec["start"], rec["end"]
    if kind == "entity":
        canonical = rec.get("canonical")
        a, b = rec.get("label"), None if canonical == text[start:end] else canonical
    elif kind == "quote":
        a, b = rec.get("speaker"), rec.get("cue")
    elif kind == "date":
        a = rec.get("value")
    elif kind == "edit":
        a, b = rec.get("replacement"), rec.get("reason")
    return [kind, start, end, rec.get("plugin", ""), a, b]


def _count(counter: dict[str, int], key: str) -> None:
    counter[key] = counter.get(key, 0) + 1


def report_data(folder: Path, manifest: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything the report shows, read from a run folder (``manifest`` given or read).

    ``docs`` holds one small summary per document (in the order of
    ``documents.jsonl``: title, source, counts per kind and severity) and
    ``bodies`` the matching text, spans (entities, quotes, dates, edits and
    plugins' own span kinds, each as ``[kind, start, end, plugin, a, b]`` with
    kind and plugin as indexes into ``kinds`` and ``sources``) and findings
    (``[severity, code, message, start, end, plugin, related]``). Totals per entity label,
    plugin and severity are computed here, so the page needs no pass over the
    bodies to open. Segments are counted, not embedded.
    """
    if manifest is None:
        if not (folder / MANIFEST).is_file():
            raise NotARunError(f"{folder} is not a run folder (no {MANIFEST})")
        manifest = read_manifest(folder)
    files: dict[str, str] = dict(manifest.get("files", {}))
    docs: list[dict[str, Any]] = []
    bodies: list[dict[str, Any]] = []
    by_id: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    for d in _read_jsonl(folder / files.get("document", "documents.jsonl")):
        summary: dict[str, Any] = {
            "id": d["id"],
            "title": d.get("title"),
            "source": d.get("source"),
            "published": d.get("published"),
            "n": {},
            "sev": {},
        }
        body: dict[str, Any] = {"text": d["text"], "spans": [], "findings": []}
        docs.append(summary)
        bodies.append(body)
        by_id[d["id"]] = (summary, body)
    labels: dict[str, int] = {}
    by_plugin: dict[str, int] = {}
    severities: dict[str, int] = {"error": 0, "warning": 0, "info": 0}
    for kind in sorted(files):
        if kind in SKIPPED_KINDS:
            continue
        for rec in _read_jsonl(folder / files[kind]):
            owner = by_id.get(rec.get("doc_id", ""))
            if owner is None or not isinstance(rec.get("start"), int) or "end" not in rec:
                continue
            summary, body = owner
            row = _span_row(kind, rec, body["text"])
            body["spans"].append(row)
            _count(summary["n"], kind)
            _count(by_plugin, row[3])
            if kind == "entity":
                _count(labels, str(row[4]))
    for f in _read_jsonl(folder / files.get("finding", "findings.jsonl")):
        owner = by_id.get(f.get("doc_id", ""))
        if owner is None:
            continue
        summary, body = owner
        plugin = f.get("plugin", "")
        body["findings"].append(
            [
                f["severity"],
                f["code"],
                f["message"],
                f.get("start"),
                f.get("end"),
                plugin,
                f.get("related") or None,
            ]
        )
        _count(summary["sev"], f["severity"])
        _count(severities, f["severity"])
        _count(by_plugin, plugin)
    kinds = sorted({row[0] for b in bodies for row in b["spans"]})
    sources = sorted(by_plugin)
    kind_index = {k: i for i, k in enumerate(kinds)}
    source_index = {p: i for i, p in enumerate(sources)}
    for b in bodies:
        for row in b["spans"]:
            row[0] = kind_index[row[0]]
            row[3] = source_index[row[3]]
        for row in b["findings"]:
            row[5] = source_index[row[5]]
    rejects = [
        {k: r.get(k) for k in ("source", "stage", "plugin", "error")}
        for r in _read_jsonl(folder / files.get("reject", "rejects.jsonl"))
    ]
    run = {
        k: manifest.get(k)
        for k in (
            "run_id",
            "started",
            "finished",
            "seconds",
            "n_inputs",
            "documents",
            "rejects",
            "docmill_version",
            "schema_version",
        )
    }
    return {
        "run": run,
        "counts": dict(sorted(manifest.get("counts", {}).items())),
        "timings": dict(sorted(manifest.get("timings", {}).items())),
        "plugins": dict(sorted(manifest.get("plugins", {}).items())),
        "rejects": rejects,
        "kinds": kinds,
        "sources": sources,
        "labels": dict(sorted(labels.items(), key=lambda kv: (-kv[1], kv[0]))),
        "by_plugin": dict(sorted(by_plugin.items(), key=lambda kv: (-kv[1], kv[0]))),
        "severities": severities,
        "docs": docs,
        "bodies": bodies,
    }


def _json_for_script(data: Any) -> str:
    """JSON safe inside ``<script type="application/json">``: no ``<`` can end the block."""
    raw = orjson.dumps(data).decode("utf-8")
    return raw.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def render(data: dict[str, Any]) -> str:
    """The report page for :func:`report_data`'s output."""
    script = _asset("report.js")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    csp = (
        "default-src 'none'; "
        f"script-src 'sha256-{digest}'; "
        "style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
    )
    run_id = str(data["run"].get("run_id") or "")
    page = _asset("report.html")
    parts = {
        "__DOCMILL_CSP__": html.escape(csp, quote=False).replace('"', "&quot;"),
        "__DOCMILL_TITLE__": html.escape(f"docmill report · run {run_id}"),
        "__DOCMILL_STYLE__": _asset("report.css"),
        "__DOCMILL_DATA__": _json_for_script({k: v for k, v in data.items() if k != "bodies"}),
        "__DOCMILL_BODIES__": "\n".join(
            f'<script type="application/json" id="doc-data-{i}">{_json_for_script(body)}</script>'
            for i, body in enumerate(data["bodies"])
        ),
        "__DOCMILL_SCRIPT__": script,
    }
    # One pass over the template only: a placeholder inside document text stays text.
    pieces = _PLACEHOLDER.split(page)
    if sorted(pieces[1::2]) != sorted(parts):
        raise RuntimeError(f"report template placeholders {pieces[1::2]} != {sorted(parts)}")
    return "".join(parts[p] if i % 2 else p for i, p in enumerate(pieces))


def write_report(folder: Path, manifest: dict[str, Any] | None = None) -> Path:
    """Write ``report.html`` into ``folder`` (atomically) and return its path."""
    page = render(report_data(folder, manifest))
    path = folder / REPORT
    tmp = folder / f".{REPORT}.{os.getpid()}.tmp"
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, path)
    return path


def report_command(
    run_dir: Annotated[
        Path | None, typer.Argument(help="A run folder (default: the latest run).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output folder holding the runs.")
    ] = None,
) -> None:
    """Write (or rewrite) report.html in a run folder and print its path."""
    from pipeline.runs import latest_run
    from pipeline.settings import Settings

    folder = run_dir or latest_run(out or Settings().out)
    if folder is None:
        typer.echo("Error: no complete run found", err=True)
        raise typer.Exit(2)
    try:
        path = write_report(folder)
    except NotARunError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(str(path))
