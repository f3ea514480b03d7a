"""Finding inputs (folders, globs, @lists, include/exclude) and sniffing their media type."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from docmill.cli import EXIT_USAGE, app
from docmill.sources import DOCX, InputFile, discover, guess_media_type
from tests.format_fixtures import MARKDOWN_NOTE, news_page, write_docx, write_pdf


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "news"
    (root / "2026" / "11").mkdir(parents=True)
    (root / "a.txt").write_text("Plain note.\n")
    (root / "b.md").write_text("# Heading\n")
    (root / "2026" / "11" / "c.html").write_text("<html><body><p>x</p></body></html>")
    (root / "2026" / "11" / "d.txt").write_text("Another note.\n")
    (root / ".hidden.txt").write_text("secret\n")
    (root / ".git").mkdir()
    (root / ".git" / "config.txt").write_text("[core]\n")
    return root


def names(found: list[InputFile]) -> list[str]:
    return [f.name for f in found]


def test_folder_is_read_recursively_without_hidden_files(corpus: Path) -> None:
    assert names(discover([corpus])) == [
        "news/2026/11/c.html",
        "news/2026/11/d.txt",
        "news/a.txt",
        "news/b.md",
    ]


def test_output_folder_inside_the_input_is_skipped(corpus: Path) -> None:
    out = corpus / "outputs"
    (out / "run-1").mkdir(parents=True)
    (out / "run-1" / "documents.txt").write_text("{}\n")
    assert names(discover([corpus], exclude=[out])) == names(discover([corpus]))[:4]
    assert "news/outputs/run-1/documents.txt" in names(discover([corpus]))
    matched = discover([f"{corpus}/**/*.txt"], exclude=[out])
    assert names(matched) == ["a.txt", "d.txt"]
    with pytest.raises(FileNotFoundError, match="no file matches"):
        discover([f"{out}/**/*.txt"], exclude=[out])


def test_glob_patterns_expand_and_skip_hidden_files(corpus: Path) -> None:
    assert names(discover([f"{corpus}/**/*.txt"])) == ["a.txt", "d.txt"]
    assert names(discover([f"{corpus}/*.md"])) == ["b.md"]
    with pytest.raises(FileNotFoundError, match="no file matches the pattern"):
        discover([f"{corpus}/*.pdf"])


def test_same_file_name_in_two_folders_gets_two_names(tmp_path: Path) -> None:
    for sub in ("monday", "tuesday"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "index.html").write_text(f"<html>{sub}</html>")
    found = discover([f"{tmp_path}/*/index.html"])
    assert names(found) == ["monday/index.html", "tuesday/index.html"]


def test_two_folders_with_one_name_keep_apart(tmp_path: Path) -> None:
    for parent in ("agency", "wire"):
        (tmp_path / parent / "news").mkdir(parents=True)
        (tmp_path / parent / "news" / "story.txt").write_text(f"From the {parent}.")
    found = discover([tmp_path / "agency" / "news", tmp_path / "wire" / "news"])
    assert names(found) == ["news/story.txt", "wire/news/story.txt"]


def test_a_file_reached_twice_is_read_once(corpus: Path) -> None:
    found = discover([corpus, corpus / "a.txt", f"{corpus}/*.txt"])
    assert [f.path.resolve() for f in found].count((corpus / "a.txt").resolve()) == 1


def test_list_file_names_paths_relative_to_itself(corpus: Path, tmp_path: Path) -> None:
    listing = corpus / "inputs.lst"
    listing.write_text("# today's inputs\n\na.txt\n2026/**/*.html\n\n")
    assert names(discover([f"@{listing}"])) == ["a.txt", "c.html"]
    with pytest.raises(FileNotFoundError, match="no such list file"):
        discover([f"@{tmp_path / 'missing.lst'}"])


def test_include_and_exclude_globs_filter_inputs(corpus: Path) -> None:
    assert names(discover([corpus], include_globs=["*.txt"])) == [
        "news/2026/11/d.txt",
        "news/a.txt",
    ]
    assert names(discover([corpus], exclude_globs=["news/2026/*"])) == ["news/a.txt", "news/b.md"]
    both = discover([corpus], include_globs=["*.txt", "*.md"], exclude_globs=["a.*"])
    assert names(both) == ["news/2026/11/d.txt", "news/b.md"]


def test_media_type_by_content_first_then_extension(tmp_path: Path) -> None:
    pdf = write_pdf(tmp_path / "x.pdf").read_bytes()
    docx = write_docx(tmp_path / "x.docx").read_bytes()
    assert guess_media_type("release.bin", pdf) == "application/pdf"
    assert guess_media_type("attachment", docx) == DOCX
    assert guess_media_type("page.txt", news_page().encode()) == "text/html"
    assert guess_media_type("page", b"\n  <!DOCTYPE html><html><p>x</p></html>") == "text/html"
    assert guess_media_type("note.md", b"Just words.\n") == "text/markdown"
    assert guess_media_type("stdin", MARKDOWN_NOTE.encode()) == "text/markdown"
    assert guess_media_type("stdin", b"Plain words on a line.\n") == "text/plain"
    assert guess_media_type("notes.md", b"<div>inline html in markdown</div>\n") == "text/markdown"
    # weak signs do not overrule a text extension
    about = b"# Tips\n\nEvery file starts with %PDF- and a <html> tag is not HTML.\n"
    assert guess_media_type("tips.md", about) == "text/markdown"
    assert guess_media_type("tips.txt", about) == "text/plain"
    assert guess_media_type("x.bin", b"\n\n" + pdf) == "application/pdf"
    assert guess_media_type("x", b"<!-- saved -->\n<html><p>x</p></html>") == "text/html"


def test_run_reports_a_pattern_matching_nothing_as_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["run", f"{tmp_path}/*.html", "--out", str(tmp_path)])
    assert result.exit_code == EXIT_USAGE
    assert "no file matches the pattern" in result.output


HTML_ONLY_EMAIL = (
    b"From: Desk <desk@example.org>\r\nSubject: Harbour reopens\r\n"
    b"Content-Type: text/html; charset=utf-8\r\n\r\n"
    b"<html><body><p>The harbour reopened on Monday.</p></body></html>\r\n"
)


def test_a_container_extension_is_not_overruled_by_what_it_contains(tmp_path: Path) -> None:
    # An e-mail whose only part is HTML looks like HTML within its first KiB.
    assert guess_media_type("note.eml", HTML_ONLY_EMAIL) == "message/rfc822"
    assert guess_media_type("page.mht", HTML_ONLY_EMAIL) == "message/rfc822"
    assert guess_media_type("note", HTML_ONLY_EMAIL) == "text/html"  # no extension: content
    assert guess_media_type("note.bin", HTML_ONLY_EMAIL) == "text/html"  # a generic one too
    docx = write_docx(tmp_path / "x.docx").read_bytes()
    assert guess_media_type("book.epub", docx) == "application/epub+zip"  # a ZIP package
    assert guess_media_type("archive.zip", docx) == DOCX  # a plain ZIP is sniffed
    assert guess_media_type("inbox.mbox", b"From x\n<html>") == "application/mbox"


def test_loaders_are_handed_the_container_type() -> None:
    from docmill.testing import PluginFailed, run_plugins

    with pytest.raises(PluginFailed, match="no loader"):
        run_plugins(text=HTML_ONLY_EMAIL.decode(), name="note.eml")
