"""Word documents through the real loaders: paragraphs, headings, tables, core properties."""

from __future__ import annotations

from pathlib import Path

import pytest

from docmill.engine.stages import DocState, load_one
from docmill.plugins import Manager, build_manager
from docmill.sources import DOCX, Source
from tests.format_fixtures import DOCX_BLOCKS, write_docx


@pytest.fixture(scope="module")
def mgr() -> Manager:
    return build_manager()


def load(mgr: Manager, name: str, data: bytes) -> DocState:
    return load_one(mgr, Source.from_bytes(name, data))


def test_docx_blocks_in_reading_order(mgr: Manager, tmp_path: Path) -> None:
    path = write_docx(tmp_path / "budget.docx")
    doc = load(mgr, path.name, path.read_bytes()).document
    assert doc is not None and doc.plugin == "load_docx"
    blocks = doc.text.split("\n\n")
    expected = [text for _kind, text in DOCX_BLOCKS]
    expected.insert(expected.index("Libraries | £4 million"), "Item | Cost")
    assert blocks == expected


def test_docx_headings_and_core_properties(mgr: Manager, tmp_path: Path) -> None:
    path = write_docx(tmp_path / "budget.docx")
    doc = load(mgr, path.name, path.read_bytes()).document
    assert doc is not None
    assert doc.media_type == DOCX
    assert doc.title == "Council budget statement 2027"
    assert doc.author == "Finance Committee"
    assert doc.published == "2026-10-03"
    assert doc.language == "en"
    assert doc.meta["created"].startswith("2026-10-03T12:00")
    assert doc.meta["modified"].startswith("2026-10-04T08:30")
    assert doc.meta["subject"] == "Budget"
    headings = [(h["level"], doc.text[h["start"] : h["end"]]) for h in doc.meta["headings"]]
    assert headings == [(1, "Council budget statement"), (2, "Capital projects")]


def test_docx_is_sniffed_without_its_extension(mgr: Manager, tmp_path: Path) -> None:
    path = write_docx(tmp_path / "budget.docx")
    state = load(mgr, "attachment", path.read_bytes())
    assert state.document is not None and state.document.media_type == DOCX


def test_other_zip_files_are_not_word_documents(mgr: Manager, tmp_path: Path) -> None:
    import zipfile

    archive = tmp_path / "photos.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("readme.txt", "holiday photos")
    state = load(mgr, archive.name, archive.read_bytes())
    assert state.reject is not None
    assert "no loader accepts this file (media type application/zip)" in state.reject.error


def test_damaged_docx_is_rejected_by_the_docx_loader(mgr: Manager) -> None:
    state = load(mgr, "minutes.docx", b"PK\x03\x04 this is not really a zip archive")
    assert state.reject is not None
    assert (state.reject.stage, state.reject.plugin) == ("load", "load_docx")
    assert "not a readable Word (.docx) document" in state.reject.error
