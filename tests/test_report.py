"""The HTML report as a file: inert data, strict CSP, deterministic, streamed, made by every run."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import shutil
import tracemalloc
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from docmill.records import DateMention, Document, Finding, Record, sort_key
from docmill.report import REPORT, NotARunError, render, report_data, write_report
from docmill.runs.manifest import read_manifest, write_manifest
from tests.conftest import SEEDS, RunResult
from tests.report_folders import Money, document, entity, hostile_run, money_run, write_run

DATA_BLOCK = re.compile(
    r'<script type="application/json" id="docmill-data">(.*?)</script>', re.DOTALL
)


def test_document_text_cannot_leave_the_data_block(tmp_path: Path) -> None:
    folder, doc, _ = hostile_run(tmp_path)
    page = write_report(folder).read_text(encoding="utf-8")
    # Only the report's script elements (its code, the summary block, one data block per
    # document): the document's "</script>" and "<script>" are in JSON strings, "<" escaped.
    expected = json.loads(json.dumps(report_data(folder)))
    assert page.count("<script") == page.count("</script>") == 2 + len(expected["docs"])
    assert "<img" not in page and "<b>" not in page
    (block,) = DATA_BLOCK.findall(page)
    bodies = expected.pop("bodies")
    assert json.loads(block) == expected
    for i, body in enumerate(bodies):
        (doc_block,) = re.findall(
            rf'<script type="application/json" id="doc-data-{i}">(.*?)</script>', page
        )
        assert json.loads(doc_block) == body
    assert bodies[0]["text"] == doc.text
    assert expected["docs"][0]["title"] == "Hostile <script> title"
    assert "<title>docmill report · run 20261126T100000000000Z-abcdef</title>" in page


def test_csp_blocks_network_and_allows_only_the_report_script(tmp_path: Path) -> None:
    folder, _, _ = hostile_run(tmp_path)
    page = write_report(folder).read_text(encoding="utf-8")
    (attr,) = re.findall(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    csp = html.unescape(attr)
    assert "default-src 'none'" in csp
    assert "unsafe-inline" not in csp.split("script-src", 1)[1].split(";", 1)[0]
    (script,) = re.findall(r"<script>(.*?)</script>", page, flags=re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp
    assert "http://" not in page and "https://" not in page  # nothing to fetch, no CDN


def test_report_is_deterministic_and_smaller_than_its_jsonl(tmp_path: Path) -> None:
    folder, _, _ = hostile_run(tmp_path)
    first = write_report(folder).read_bytes()
    assert write_report(folder).read_bytes() == first
    assert not list(folder.glob(".*.tmp"))


def _doc_blocks(page: str) -> list[Any]:
    return [
        json.loads(block)
        for block in re.findall(
            r'<script type="application/json" id="doc-data-\d+">(.*?)</script>', page
        )
    ]


def _many_docs(out: Path, n: int, size: int) -> tuple[Path, list[tuple[Document, list[Record]]]]:
    """A run of ``n`` documents of about ``size`` characters, each with a few records."""
    docs: list[tuple[Document, list[Record]]] = []
    for i in range(n):
        filler = f"Line {i}: the harbour board of Rivertown met on Monday. " * (size // 55)
        doc = document(f"Story {i}: Anna Berg spoke in Rivertown.\n\n{filler}\n", f"Story {i}")
        start = doc.text.index("Monday")
        records: list[Record] = [
            entity(doc, "Anna Berg", "PERSON"),
            entity(doc, "Rivertown", "GPE"),
            entity(doc, "Rivertown", "GPE", nth=1),
            DateMention(
                doc_id=doc.id,
                id=f"d{i}",
                start=start,
                end=start + 6,
                text="Monday",
                value="2025-02-24",
                plugin="extract_dates",
            ),
            Finding(
                doc_id=doc.id,
                code="check",
                severity="info" if i % 2 else "warning",
                message=f"finding {i}",
                start=start,
                end=start + 6,
                plugin="validate_consistency",
            ),
        ]
        docs.append((doc, records))
    return write_run(out / "20261126T100000000000Z-many00", docs), docs


def test_records_out_of_document_order_give_the_same_report(tmp_path: Path) -> None:
    # docmill writes each kind file document by document; a file that interleaves
    # documents (or names a document the run does not have) is read the same way.
    folder, docs = _many_docs(tmp_path / "ordered", 6, 300)
    expected_page = write_report(folder).read_bytes()
    page = expected_page.decode("utf-8")
    kinds = json.loads(DATA_BLOCK.findall(page)[0])["kinds"]
    for body, (doc, records) in zip(_doc_blocks(page), docs, strict=True):
        assert body["text"] == doc.text
        spans = [r for r in sorted(records, key=sort_key) if r.kind != "finding"]
        assert [(kinds[s[0]], s[1], s[2]) for s in body["spans"]] == [
            (r.kind, r.start, r.end) for r in spans
        ]
        assert [f[2] for f in body["findings"]] == [
            r.message for r in records if isinstance(r, Finding)
        ]

    messy = tmp_path / "messy" / folder.name
    shutil.copytree(folder, messy)
    for kind, name in read_manifest(messy).files.items():
        if kind in ("document", "reject"):
            continue
        per_doc: dict[str, list[bytes]] = {}
        for line in (messy / name).read_bytes().splitlines():
            per_doc.setdefault(json.loads(line)["doc_id"], []).append(line)
        groups = list(per_doc.values())[::-1]  # last document first, then round robin
        lines = [
            g[i] for i in range(max(map(len, groups), default=0)) for g in groups if i < len(g)
        ]
        stray = {"doc_id": "no-such-doc", "start": 0, "end": 4, "plugin": "stray"}
        stray |= {"label": "ORG", "severity": "error", "code": "x", "message": "stray"}
        lines.insert(len(lines) // 2, json.dumps(stray).encode())
        (messy / name).write_bytes(b"\n".join(lines) + b"\n")
    assert write_report(messy).read_bytes() == expected_page
    assert render(report_data(messy)).encode("utf-8") == expected_page


def test_the_report_streams_one_document_at_a_time(tmp_path: Path) -> None:
    # 200 documents of ~30 KB: building the page in memory holds every text (and the
    # page) at once, about 30 MB of Python objects here; the streamed report holds the
    # per-document summaries and one document (its line, its parse, its JSON block).
    folder, docs = _many_docs(tmp_path, 200, 30_000)
    total = sum(len(doc.text) for doc, _ in docs)
    assert total > 5_000_000
    tracemalloc.start()
    try:
        path = write_report(folder)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < total / 4, f"write_report peaked at {peak} bytes for {total} of text"
    page = path.read_text(encoding="utf-8")
    assert [b["text"] for b in _doc_blocks(page)] == [doc.text for doc, _ in docs]
    assert page == render(report_data(folder))


def test_a_plugin_span_kind_is_drawn_with_the_fields_its_record_type_names(
    tmp_path: Path,
) -> None:
    folder = money_run(tmp_path)
    page = write_report(folder, kinds={"money": Money}).read_text(encoding="utf-8")
    summary = json.loads(DATA_BLOCK.findall(page)[0])
    assert summary["kinds"] == ["entity", "money"]
    assert summary["fields"] == {"entity": ["label", "canonical"], "money": ["amount", "currency"]}
    (body,) = _doc_blocks(page)
    spans = {summary["kinds"][row[0]]: row for row in body["spans"]}
    start = body["text"].index("12.50 EUR")
    money_plugin = summary["sources"].index("money")
    assert spans["money"] == [1, start, start + 9, money_plugin, 12.5, "EUR"]
    assert spans["entity"][4:] == ["ORG", None]  # canonical = its text: left to the page
    assert page == render(report_data(folder, kinds={"money": Money}))

    # A kind whose model is unknown here (plugin not installed) is drawn by its offsets.
    bare = report_data(folder, kinds={})
    assert bare["fields"]["money"] == []
    assert [row[4:] for row in bare["bodies"][0]["spans"] if row[0] == 1] == [[None, None]]


def test_a_failed_write_leaves_the_old_report_and_no_temporary_file(tmp_path: Path) -> None:
    folder, _, _ = hostile_run(tmp_path)
    before = write_report(folder).read_bytes()
    findings = folder / "findings.jsonl"
    broken = [json.loads(line) for line in findings.read_text(encoding="utf-8").splitlines()]
    del broken[-1]["code"]  # read only when the document's data block is written
    findings.write_text("".join(json.dumps(f) + "\n" for f in broken), encoding="utf-8")
    with pytest.raises(KeyError):
        write_report(folder)
    assert (folder / REPORT).read_bytes() == before
    assert not list(folder.glob(".*.tmp"))


def test_a_folder_without_manifest_is_refused(tmp_path: Path) -> None:
    from docmill.cli import app

    with pytest.raises(NotARunError):
        write_report(tmp_path)
    result = CliRunner().invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 2
    assert "not a run folder" in result.output
    assert not (tmp_path / REPORT).exists()


class _BrokenReporter:
    """A plugin whose run_complete raises: the run must still complete, report included."""

    from docmill.hookspecs import hookimpl

    @hookimpl
    def run_complete(self, run: object, manifest: dict[str, object]) -> None:
        raise OSError("disk full (on purpose)")


@pytest.mark.flow
def test_every_run_writes_the_report_and_the_cli_rebuilds_it(
    run_flow: Callable[..., RunResult], tmp_path: Path
) -> None:
    from docmill.cli import app
    from docmill.orchestration.flow import RunCompleteWarning
    from docmill.testing import registered

    out = tmp_path / "out"
    with (
        registered(("broken_reporter", _BrokenReporter())),
        warnings.catch_warnings(record=True) as caught,
    ):
        warnings.simplefilter("always", RunCompleteWarning)
        result = run_flow(sorted(SEEDS.iterdir()), out)
    messages = [str(w.message) for w in caught if issubclass(w.category, RunCompleteWarning)]
    assert messages == [
        "docmill plugin 'broken_reporter' failed in run_complete: OSError: disk full (on purpose)"
    ]
    report = result.folder / REPORT
    assert report.is_file() and not list(out.glob(".partial-*"))
    assert "export_report" in result.summary["plugins"]
    jsonl = sum(p.stat().st_size for p in result.folder.glob("*.jsonl"))
    assert report.stat().st_size < 5 * jsonl
    data = report_data(result.folder)
    assert [d["id"] for d in data["docs"]] == [d["id"] for d in result.records("document")]
    assert sum(len(b["spans"]) for b in data["bodies"]) == sum(
        result.summary["counts"][k] for k in ("entity", "quote", "date", "edit")
    )
    built = report.read_bytes()
    report.unlink()
    cli = CliRunner().invoke(app, ["report", "--out", str(out)])  # latest run by default
    assert cli.exit_code == 0, cli.output
    assert cli.output.strip() == str(report)
    assert report.read_bytes() == built

    # a report an older docmill drew (its hash in the manifest) is redrawn, and the
    # run still validates: the manifest gets the new report's hash
    manifest = read_manifest(result.folder)
    report.write_text("<p>an older docmill's report</p>\n", encoding="utf-8")
    assert manifest.hashes is not None
    old = {**manifest.hashes, REPORT: hashlib.sha256(report.read_bytes()).hexdigest()}
    write_manifest(result.folder, manifest.model_copy(update={"hashes": old}))
    assert CliRunner().invoke(app, ["validate", str(result.folder)]).exit_code == 0
    assert CliRunner().invoke(app, ["report", str(result.folder)]).exit_code == 0
    assert report.read_bytes() == built
    checked = CliRunner().invoke(app, ["validate", str(result.folder)])
    assert checked.exit_code == 0, checked.output
    assert read_manifest(result.folder) == manifest


class _MoneyExtractor:
    """A plugin with its own span kind: pound amounts as ``money`` records."""

    from docmill.hookspecs import hookimpl

    @hookimpl
    def record_types(self) -> list[type[Record]]:
        return [Money]

    @hookimpl
    def extract(self, doc: Any) -> Iterator[Money]:
        for m in re.finditer(r"£(\d[\d,]*)", doc.text):
            number = m[1].rstrip(",")
            end = m.start(1) + len(number)
            amount = float(number.replace(",", ""))
            yield Money(start=m.start(), end=end, amount=amount, currency="GBP")


@pytest.mark.flow
def test_a_runs_report_draws_a_plugins_span_kind_with_its_fields(
    run_flow: Callable[..., RunResult], tmp_path: Path
) -> None:
    from docmill.cli import app
    from docmill.testing import registered

    out = tmp_path / "out"
    with registered(("money", _MoneyExtractor())):
        result = run_flow([SEEDS / "harbour_bridge_reopens.txt"], out)
        report = result.folder / REPORT
        built = report.read_bytes()
        report.unlink()  # `docmill report` with the plugin installed: the same bytes
        cli = CliRunner().invoke(app, ["report", str(result.folder)])
        assert cli.exit_code == 0, cli.output
        assert report.read_bytes() == built
    moneys = result.records("money")
    assert moneys and all(m["plugin"] == "money" for m in moneys)
    page = built.decode("utf-8")
    summary = json.loads(DATA_BLOCK.findall(page)[0])
    assert summary["fields"]["money"] == ["amount", "currency"]
    money = summary["kinds"].index("money")
    (body,) = _doc_blocks(page)
    drawn = [(row[1], row[2], row[4], row[5]) for row in body["spans"] if row[0] == money]
    assert drawn == [(m["start"], m["end"], m["amount"], "GBP") for m in moneys]
    assert all(body["text"][m["start"] : m["end"]].startswith("£") for m in moneys)
