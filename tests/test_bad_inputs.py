"""A corpus of bad inputs, generated here (no committed binaries), through the real flow.

The rule under test: every input ends as exactly one document or exactly one
reject whose reason is a sentence a user understands; the run completes. HTML,
PDF and DOCX inputs hold whether or not their loaders are installed: with a
loader they become documents or that loader's rejects, without one they are
rejected as "no loader accepts this file".
"""

from __future__ import annotations

import io
import os
import random
import stat
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import SEEDS, RunResult, check_offsets

pytestmark = pytest.mark.flow

Run = Callable[..., RunResult]


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + bytes([x * 8 % 256, 0, 255 - x]) * 16 for x in range(16))
    ihdr = struct.pack(">IIBBBBB", 16, 16, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def _elf(rng: random.Random) -> bytes:
    header = b"\x7fELF\x02\x01\x01\x00" + bytes(8) + struct.pack("<HHI", 2, 0x3E, 1)
    return header + rng.randbytes(4096)


_PDF_PAGE = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
    b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >> endobj\n"
    b"4 0 obj << /Length 44 >>\nstream\nBT /F1 24 Tf 100 700 Td (The harbour reop"
)
_PDF_ZERO_PAGES = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
    b"xref\n0 3\n0000000000 65535 f \n0000000009 00000 n \n0000000058 00000 n \n"
    b"trailer << /Size 3 /Root 1 0 R >>\nstartxref\n107\n%%EOF\n"
)


def _junk_docx(rng: random.Random) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("word/document.xml", b"<w:document><w:body><w:p>unclosed")
        z.writestr("junk.bin", rng.randbytes(2048))
    return buf.getvalue()


def build_corpus(root: Path) -> dict[str, str]:
    """Write the corpus under ``root``; returns source name -> what it is."""
    rng = random.Random(5)
    root.mkdir()
    files: dict[str, bytes] = {
        "good.txt": (SEEDS / "central_bank_rates.txt").read_bytes(),
        "empty.txt": b"",
        "whitespace.txt": b"  \n\t\r\n   \n",
        "random.bin": rng.randbytes(8192),
        "random.txt": rng.randbytes(8192),
        "image.png": _png(),
        "program": _elf(rng),
        "bad_utf8.txt": b"The caf\xc3 opened \xff\xfe again on Monday.\n" * 3,
        "latin1.txt": "Café in São Paulo, Müller said. Ça va.\n".encode("latin-1"),
        "utf16_bom.txt": "\ufeffThe harbour reopened on Monday, officials said.\n".encode("utf-16"),
        "one_line.txt": b"the long line goes on and on " * 180_000,  # 5.2 MB, no newline
        "nested.html": b"<html><body>" + b"<div><span>" * 20_000 + b"deep text",
        "unclosed.html": b"<!doctype html><html><head><title>T</title><body><p>Open <b>bold <i>x",
        "truncated.pdf": _PDF_PAGE,
        "zero_pages.pdf": _PDF_ZERO_PAGES,
        "junk.docx": _junk_docx(rng),
        "with spaces in name.txt": b"A name with spaces is fine.\n",
        "new\nline.txt": b"A name with a newline in it.\n",
        "ünïcödé 名前 ☃.txt": "Unicode names are fine, naïvely.\n".encode(),
        "-rf.txt": b"A leading dash is not an option.\n",
        "--help.md": b"# Not a flag\n\nJust a file.\n",
        "unreadable.txt": b"You may not read this.\n",
        "folder.txt/inside.txt": b"A file inside a folder named like a file.\n",
    }
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (root / "unreadable.txt").chmod(0)
    with (root / "huge.txt").open("wb") as fh:  # 200 MB, sparse: no disk, no time
        fh.truncate(200 * 1024 * 1024)
    os.symlink("loop_b.txt", root / "loop_a.txt")
    os.symlink("loop_a.txt", root / "loop_b.txt")
    os.symlink(".", root / "again")  # a folder loop: walked once, never forever
    os.mkfifo(root / "pipe.txt")  # reading it would block forever
    names = [*files, "huge.txt", "loop_a.txt", "loop_b.txt", "pipe.txt"]
    return {f"{root.name}/{n}": n for n in names}


def _is_sentence(text: str) -> bool:
    return (
        bool(text.strip())
        and "\n" not in text
        and "Traceback" not in text
        and len(text) < 400
        and any(c.isalpha() for c in text)
    )


def test_bad_input_corpus_every_input_ends_as_one_document_or_one_reject(
    run_flow: Run, tmp_path: Path
) -> None:
    corpus = tmp_path / "corpus"
    expected = build_corpus(corpus)
    try:
        result = run_flow([corpus], tmp_path / "out", batch_size=8, time_limit=8)
    finally:
        (corpus / "unreadable.txt").chmod(stat.S_IRUSR | stat.S_IWUSR)
    summary = result.summary
    listed = [i["source"] for i in summary["inputs"]]
    assert sorted(listed) == sorted(expected), "every input is listed once, nothing else"
    docs = {d["source"]: d for d in result.records("document")}
    rejects = {r["source"]: r for r in result.records("reject")}
    assert len(docs) == summary["documents"] and len(rejects) == summary["rejects"]
    assert set(docs) | set(rejects) == set(expected)
    assert not set(docs) & set(rejects)
    for reject in rejects.values():
        assert _is_sentence(reject["error"]), reject
        assert reject["stage"] and reject["plugin"], reject
        assert str(tmp_path) not in reject["error"], reject

    def reason(name: str) -> str:
        return str(rejects[f"corpus/{name}"]["error"])

    assert "empty" in reason("empty.txt") and "empty" in reason("whitespace.txt")
    assert "over the size limit" in reason("huge.txt")
    assert "not a regular file" in reason("pipe.txt")
    assert "symbolic links" in reason("loop_a.txt") and "symbolic links" in reason("loop_b.txt")
    for name in ("random.bin", "random.txt", "image.png", "program"):
        assert "binary" in reason(name) or "no loader accepts" in reason(name), name
    for name in ("latin1.txt", "utf16_bom.txt", "bad_utf8.txt", "good.txt"):
        assert f"corpus/{name}" in docs, name
    assert docs["corpus/latin1.txt"]["text"].startswith("Café in São Paulo")
    assert docs["corpus/utf16_bom.txt"]["text"].startswith("The harbour reopened")
    for name in (
        "with spaces in name.txt",
        "new\nline.txt",
        "ünïcödé 名前 ☃.txt",
        "-rf.txt",
        "--help.md",
        "folder.txt/inside.txt",
    ):
        assert f"corpus/{name}" in docs, name
    if os.geteuid() != 0:  # root reads anything
        assert "Permission denied" in reason("unreadable.txt")
    # the 5 MB line: refused at load by max_line (NER and sentence splitting hold a paragraph)
    line = "corpus/one_line.txt"
    assert (rejects[line]["stage"], rejects[line]["plugin"]) == ("load", "docmill")
    assert "line (paragraph) of 5,220,000 characters" in rejects[line]["error"]
    assert "raise max_line" in rejects[line]["error"]
    # HTML/PDF/DOCX: whatever loaders exist, each is one document or one readable reject
    for name in ("nested.html", "unclosed.html", "truncated.pdf", "zero_pages.pdf", "junk.docx"):
        assert (f"corpus/{name}" in docs) != (f"corpus/{name}" in rejects), name
    check_offsets(result)
    # nothing was written anywhere but the run folder
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        ["LATEST", result.folder.name]
    )

