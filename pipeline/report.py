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
- Lazy: a document's text is laid out only when its section is opened, so a
  run of 1,000 documents opens quickly; the embedded data is smaller than the
  JSONL it comes from (segments are left out, field names are not repeated).
- Deterministic: the same run folder gives a byte-identical report.
"""

from __future__ import annotations

import base64
import hashlib
import html
import os
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

from pipeline.runs import MANIFEST, read_manifest

REPORT = "report.html"

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


def _span_row(kind: str, rec: dict[str, Any]) -> list[Any]:
    """A span as ``[kind, start, end, plugin, a, b]``: a/b are the kind's own fields."""
    a: Any = None
    b: Any = None
    if kind == "entity":
        a, b = rec.get("label"), rec.get("canonical")
    elif kind == "quote":
        a, b = rec.get("speaker"), rec.get("cue")
    elif kind == "date":
        a, b = rec.get("value"), rec.get("text")
    elif kind == "edit":
        a, b = rec.get("replacement"), rec.get("reason")
    return [kind, rec["start"], rec["end"], rec.get("plugin", ""), a, b]


def report_data(folder: Path, manifest: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything the report shows, read from a run folder (``manifest`` given or read).

    Documents keep the order of ``documents.jsonl``; each carries its source text,
    its spans (entities, quotes, dates, edits and plugins' own span kinds, in file
    order) and its findings. Segments are counted, not embedded.
    """
    if manifest is None:
        if not (folder / MANIFEST).is_file():
            raise NotARunError(f"{folder} is not a run folder (no {MANIFEST})")
        manifest = read_manifest(folder)
    files: dict[str, str] = dict(manifest.get("files", {}))
    docs: list[dict[str, Any]] = []
    by_id: dict[str, dict[str, Any]] = {}
    for d in _read_jsonl(folder / files.get("document", "documents.jsonl")):
        doc = {
            "id": d["id"],
            "title": d.get("title"),
            "source": d.get("source"),
            "published": d.get("published"),
            "text": d["text"],
            "spans": [],
            "findings": [],
        }
        docs.append(doc)
        by_id[d["id"]] = doc
    for kind in sorted(files):
        if kind in SKIPPED_KINDS:
            continue
        for rec in _read_jsonl(folder / files[kind]):
            owner = by_id.get(rec.get("doc_id", ""))
            if owner is None or not isinstance(rec.get("start"), int) or "end" not in rec:
                continue
            owner["spans"].append(_span_row(kind, rec))
    for f in _read_jsonl(folder / files.get("finding", "findings.jsonl")):
        owner = by_id.get(f.get("doc_id", ""))
        if owner is not None:
            owner["findings"].append(
                [
                    f["severity"],
                    f["code"],
                    f["message"],
                    f.get("start"),
                    f.get("end"),
                    f.get("plugin", ""),
                ]
            )
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
        "docs": docs,
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
        "__DOCMILL_DATA__": _json_for_script(data),
        "__DOCMILL_SCRIPT__": script,
    }
    for key, value in parts.items():
        before, sep, after = page.partition(key)
        if not sep:
            raise RuntimeError(f"report template has no {key}")
        page = before + value + after
    return page


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
