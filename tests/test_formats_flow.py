"""A run over a folder mixing all five formats, through the real flow and CLI."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from docmill.cli import EXIT_OK, app
from docmill.sources import DOCX
from tests.conftest import SEEDS, RunResult, check_offsets, read_jsonl
from tests.format_fixtures import (
    MARKDOWN_NOTE,
    NEWS_PARAGRAPHS,
    news_page,
    write_docx,
    write_pdf,
    write_scanned_pdf,
)

pytestmark = pytest.mark.flow

Run = Callable[..., RunResult]


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "rates.txt").write_bytes((SEEDS / "central_bank_rates.txt").read_bytes())
    (folder / "ferry.md").write_text(MARKDOWN_NOTE, encoding="utf-8")
    (folder / "tram.html").write_text(news_page(), encoding="utf-8")
    write_pdf(folder / "results.pdf")
    write_docx(folder / "budget.docx")
    return folder


def test_folder_of_five_formats_gives_one_document_each_with_metadata(
    run_flow: Run, mixed: Path, tmp_path: Path
) -> None:
    write_scanned_pdf(mixed / "scan.pdf")
    result = run_flow([mixed], tmp_path / "out")
    assert result.summary["documents"] == 5
    (reject,) = result.records("reject")
    assert reject["source"] == "inbox/scan.pdf"
    assert (reject["plugin"], reject["stage"]) == ("load_pdf", "load")
    assert "no text layer (OCR not supported)" in reject["error"]

    docs = {d["source"].split("/")[-1]: d for d in result.records("document")}
    meta = {
        name: (d["media_type"], d["published"], d["author"], d["language"])
        for name, d in docs.items()
    }
    assert meta == {
        "rates.txt": ("text/plain", None, None, "en"),
        "ferry.md": ("text/markdown", "2026-11-02", "Ana Ruiz; Tom Kerr", "en"),
        "tram.html": ("text/html", "2026-11-19", "Helen Okafor", "en"),
        "results.pdf": ("application/pdf", "2026-11-12", "Harbour Authority Press Office", "en"),
        "budget.docx": (DOCX, "2026-10-03", "Finance Committee", "en"),
    }
    assert docs["rates.txt"]["encoding"] == "utf-8"
    assert docs["tram.html"]["meta"]["site_name"] == "The Northern Ledger"
    assert docs["ferry.md"]["text"] == MARKDOWN_NOTE  # offsets point into the file as written

    # the later stages work on every format
    segments = result.records("segment")
    entities = result.records("entity")
    for doc in docs.values():
        assert any(s["doc_id"] == doc["id"] for s in segments), doc["source"]
        assert any(e["doc_id"] == doc["id"] for e in entities), doc["source"]
    assert check_offsets(result) > 100
    errors = [f for f in result.records("finding") if f["severity"] == "error"]
    assert not errors, errors

    pdf_id = docs["results.pdf"]["id"]
    assert {s["page"] for s in segments if s["doc_id"] == pdf_id} == {1, 2}
    assert all(s["page"] is None for s in segments if s["doc_id"] != pdf_id)
    tram_paragraphs = [
        s["text"]
        for s in segments
        if s["doc_id"] == docs["tram.html"]["id"] and s["type"] == "paragraph"
    ]
    assert tram_paragraphs[1:] == list(NEWS_PARAGRAPHS)


def test_run_reads_stdin_lists_and_filters(prefect_api: None, mixed: Path, tmp_path: Path) -> None:
    listing = tmp_path / "today.lst"
    listing.write_text("# picked by hand\ninbox/results.pdf\ninbox/*.html\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        [
            "run",
            "-",
            f"@{listing}",
            str(mixed),
            "--exclude",
            "*.docx",
            "--exclude",
            "rates.*",
            "--out",
            str(out),
        ],
        input=MARKDOWN_NOTE.replace("Ferry timetable", "Harbour ferry timetable"),
    )
    assert result.exit_code == EXIT_OK, result.output
    run_dir = out / (out / "LATEST").read_text().strip()
    docs = read_jsonl(run_dir / "documents.jsonl")
    sources = sorted(d["source"] for d in docs)
    # the pdf and html reached twice (list, then folder) are read once, named as first met
    assert sources == ["inbox/ferry.md", "results.pdf", "stdin", "tram.html"]
    stdin_doc = next(d for d in docs if d["source"] == "stdin")
    assert stdin_doc["media_type"] == "text/markdown"
    assert stdin_doc["author"] == "Ana Ruiz; Tom Kerr"
