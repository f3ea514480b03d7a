"""PDF through the real loaders and stages: text per page, page numbers, refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from docmill.engine.stages import DocState, load_one, record_kinds, run_stage
from docmill.plugins import Manager, build_manager
from docmill.records import Segment
from docmill.sources import Source
from tests.format_fixtures import (
    PDF_PAGES,
    write_encrypted_pdf,
    write_pdf,
    write_scanned_pdf,
)


@pytest.fixture(scope="module")
def mgr() -> Manager:
    return build_manager()


def load(mgr: Manager, path: Path, name: str | None = None) -> DocState:
    return load_one(mgr, Source.from_bytes(name or path.name, path.read_bytes(), path))


def test_pdf_text_metadata_and_page_ranges(mgr: Manager, tmp_path: Path) -> None:
    state = load(mgr, write_pdf(tmp_path / "results.pdf"))
    doc = state.document
    assert doc is not None, state.reject
    assert (doc.media_type, doc.plugin) == ("application/pdf", "load_pdf")
    assert doc.title == "Harbour authority annual results"
    assert doc.author == "Harbour Authority Press Office"
    assert doc.published == "2026-11-12"
    assert doc.language == "en"
    assert doc.meta["page_count"] == 2
    pages = doc.meta["pages"]
    assert len(pages) == 2
    for (start, end), paragraphs in zip(pages, PDF_PAGES, strict=True):
        page_text = " ".join(doc.text[start:end].split())
        for paragraph in paragraphs:
            assert paragraph in page_text


def test_segments_carry_the_page_they_start_on(mgr: Manager, tmp_path: Path) -> None:
    state = load(mgr, write_pdf(tmp_path / "results.pdf"))
    assert state.document is not None
    kinds = record_kinds(mgr)
    for stage in ("clean", "segment"):
        run_stage(stage, mgr, [state], kinds)
    assert state.reject is None
    segments = [r for r in state.records if isinstance(r, Segment)]
    pages = state.document.meta["pages"]
    assert {s.page for s in segments} == {1, 2}
    for seg in segments:
        start, end = pages[seg.page - 1]
        assert start <= seg.start and seg.end <= end, seg
    rotterdam = [s for s in segments if s.type == "sentence" and "Rotterdam" in s.text]
    assert [s.page for s in rotterdam] == [2]
    # pypdf gives lines; the loader marks where paragraphs end, so each is a segment
    paragraphs = [(s.page, " ".join(s.text.split())) for s in segments if s.type == "paragraph"]
    assert paragraphs == [
        (number, text) for number, page in enumerate(PDF_PAGES, 1) for text in page
    ]


def test_pdf_is_sniffed_by_content_not_by_name(mgr: Manager, tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "results.pdf")
    state = load(mgr, path, name="press-release.dat")
    assert state.document is not None and state.document.media_type == "application/pdf"


def test_scanned_pdf_without_text_layer_is_rejected(mgr: Manager, tmp_path: Path) -> None:
    state = load(mgr, write_scanned_pdf(tmp_path / "scan.pdf"))
    assert state.reject is not None
    assert (state.reject.stage, state.reject.plugin) == ("load", "load_pdf")
    assert "no text layer (OCR not supported)" in state.reject.error


def test_pdf_that_needs_a_password_is_rejected(mgr: Manager, tmp_path: Path) -> None:
    state = load(mgr, write_encrypted_pdf(tmp_path / "locked.pdf", user_password="s3cret"))
    assert state.reject is not None and state.reject.plugin == "load_pdf"
    assert "encrypted" in state.reject.error and "password" in state.reject.error


def test_pdf_restricted_only_against_editing_is_read(mgr: Manager, tmp_path: Path) -> None:
    state = load(mgr, write_encrypted_pdf(tmp_path / "restricted.pdf", user_password=None))
    doc = state.document
    assert doc is not None, state.reject
    assert "berth four" in doc.text
    assert doc.meta["encrypted"] is True


def test_damaged_pdf_is_rejected_with_a_readable_reason(mgr: Manager, tmp_path: Path) -> None:
    good = write_pdf(tmp_path / "results.pdf").read_bytes()
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(good[:200])
    state = load(mgr, broken)
    assert state.reject is not None and state.reject.plugin == "load_pdf"
    assert "PDF" in state.reject.error
