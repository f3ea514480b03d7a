"""The HTML report as a file: inert data block, strict CSP, deterministic, written by every run."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.report import REPORT, NotARunError, report_data, write_report
from tests.conftest import SEEDS, RunResult
from tests.report_folders import hostile_run

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


def test_a_folder_without_manifest_is_refused(tmp_path: Path) -> None:
    from pipeline.cli import app

    with pytest.raises(NotARunError):
        write_report(tmp_path)
    result = CliRunner().invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 2
    assert "not a run folder" in result.output
    assert not (tmp_path / REPORT).exists()


class _BrokenReporter:
    """A plugin whose run_complete raises: the run must still complete, report included."""

    from pipeline.hookspecs import hookimpl

    @hookimpl
    def run_complete(self, run: object, manifest: dict[str, object]) -> None:
        raise OSError("disk full (on purpose)")


@pytest.mark.flow
def test_every_run_writes_the_report_and_the_cli_rebuilds_it(
    run_flow: Callable[..., RunResult], tmp_path: Path
) -> None:
    from pipeline.cli import app
    from pipeline.flow import RunCompleteWarning
    from pipeline.testing import registered

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
