"""Limits that tell a hang from a big job, and a bomb from a big document.

Every input here is generated in the test: a long document of ordinary
paragraphs, a .docx whose document.xml unpacks to 300 MB, a PDF whose one content
stream unpacks past ``max_expanded``, a 5 MB single line. Bombs are refused by the
loaders before anything is parsed; the worker process measures its own peak
memory (``VmHWM``) and reports it, so "bounded" is asserted from the process, not
guessed from a clock.
"""

from __future__ import annotations

import functools
import inspect
import io
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from docmill import LimitExceeded, Limits
from docmill.engine import DocState, run_stage
from docmill.engine.workers import PoolConfig, WorkerPool, WorkerSetup
from docmill.limits import DEFAULT_LIMITS
from docmill.plugins import build_manager
from docmill.settings import DEFAULT_TIME_LIMIT, Settings
from docmill.sources import InputFile, Source
from tests.conftest import SEEDS, RunResult, check_offsets

Run = Callable[..., RunResult]
MB = 1_000_000
#: What a worker that only loads may reach while refusing a bomb (it would be
#: gigabytes if the bomb were unpacked; the worker starts at ~60-100 MB).
WORKER_PEAK = 400 * 1024 * 1024
LOADERS = ("load_docx", "load_pdf", "load_text")


# -- inputs -------------------------------------------------------------------------


def paragraphs() -> list[str]:
    """The seed articles' paragraphs: ordinary news prose."""
    found = []
    for path in sorted(SEEDS.glob("*.txt")):
        found += [p.strip() for p in path.read_text("utf-8").split("\n\n") if len(p) > 80]
    return found


def long_text(size: int) -> str:
    """About ``size`` characters of paragraphs, each a seed paragraph with its number."""
    seeds, out, n = paragraphs(), [], 0
    while n < size:
        para = f"{seeds[len(out) % len(seeds)]} (Part {len(out) + 1}.)"
        out.append(para)
        n += len(para) + 2
    return "\n\n".join(out) + "\n"


def docx_bomb(expanded: int) -> bytes:
    """A real .docx whose word/document.xml unpacks to ``expanded`` bytes (streamed, not held)."""
    import docx

    seed = docx.Document()
    seed.add_paragraph("A paragraph.")
    buf = io.BytesIO()
    seed.save(buf)
    src = zipfile.ZipFile(buf)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for info in src.infolist():
            if info.filename != "word/document.xml":
                zf.writestr(info, src.read(info))
                continue
            head, tail = src.read(info).decode().split("<w:body>", 1)
            para = "<w:p><w:r><w:t>" + "a" * 50_000 + "</w:t></w:r></w:p>"
            chunk = (para * (MB // len(para))).encode()
            with zf.open("word/document.xml", "w") as fh:
                fh.write(f"{head}<w:body>".encode())
                for _ in range(-(-expanded // len(chunk))):
                    fh.write(chunk)
                fh.write(tail.encode())
    return out.getvalue()


@functools.cache
def bomb_300mb() -> bytes:
    """:func:`docx_bomb` of 300 MB, built once (~3 s) for the three tests that refuse it."""
    return docx_bomb(300 * MB)


def understate(data: bytes, member: str, size: int) -> bytes:
    """The zip ``data`` with ``member``'s declared uncompressed size set to ``size`` (a lie)."""
    raw = bytearray(data)
    name = member.encode()
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = raw.find(signature)
        while at != -1:
            name_at = at + (30 if signature == b"PK\x03\x04" else 46)
            if raw[name_at : name_at + len(name)] == name:
                struct.pack_into("<I", raw, at + offset, size)
            at = raw.find(signature, at + 4)
    return bytes(raw)


def pdf_with_stream(lines: Iterator[bytes]) -> bytes:
    """A one-page PDF whose content stream is ``lines``, Flate-compressed as they come."""
    packer = zlib.compressobj(1)
    stream = b"".join(packer.compress(line) for line in lines) + packer.flush()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream)
        + stream
        + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % at for at in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def text_lines(count: int) -> Iterator[bytes]:
    yield b"BT /F1 12 Tf 72 720 Td 14 TL\n"
    for i in range(count):
        yield b"(Line %d of a page that never ends.) '\n" % i
    yield b"ET\n"


# -- limits on what an input expands to -------------------------------------------------


def load_in_worker(pool: WorkerPool, path: Path) -> DocState:
    (state,) = pool.run("load", [DocState.of(InputFile(path.name, path))])
    return state


@pytest.fixture
def loader_pool() -> Iterator[WorkerPool]:
    with WorkerPool(PoolConfig(WorkerSetup(only=LOADERS), time_limit=60)) as pool:
        yield pool


def test_bombs_and_a_5mb_line_are_refused_before_parsing_in_bounded_memory(
    tmp_path: Path, loader_pool: WorkerPool
) -> None:
    """Default limits: each is a reject saying what it would expand to and what to raise."""
    docx_file = tmp_path / "bomb.docx"
    docx_file.write_bytes(bomb_300mb())
    assert docx_file.stat().st_size < 2 * MB  # well under max_bytes: only unpacking is big
    pdf_file = tmp_path / "stream.pdf"
    pdf_file.write_bytes(pdf_with_stream(text_lines(3_500_000)))  # ~140 MB of page content
    line_file = tmp_path / "line.txt"
    line_file.write_text("word " * MB, encoding="utf-8")  # 5 MB, not one line break

    docx_state = load_in_worker(loader_pool, docx_file)
    assert docx_state.reject is not None
    assert (docx_state.reject.stage, docx_state.reject.plugin) == ("load", "load_docx")
    assert "would unpack to at least 300." in docx_state.reject.error
    assert "raise max_expanded" in docx_state.reject.error
    assert not docx_state.reject.traceback  # a refusal, not a crash

    pdf_state = load_in_worker(loader_pool, pdf_file)
    assert pdf_state.reject is not None
    assert (pdf_state.reject.stage, pdf_state.reject.plugin) == ("load", "load_pdf")
    assert "the PDF's page content streams unpack to more than 100.0 MB" in pdf_state.reject.error
    assert "raise max_expanded" in pdf_state.reject.error

    line_state = load_in_worker(loader_pool, line_file)
    assert line_state.reject is not None
    assert (line_state.reject.stage, line_state.reject.plugin) == ("load", "docmill")
    assert "a line (paragraph) of 5,000,000 characters" in line_state.reject.error
    assert "raise max_line" in line_state.reject.error

    # one worker did all three (none was killed) and never came near the bombs' size
    assert len(loader_pool.workers) == 1
    assert 0 < loader_pool.peak_memory() < WORKER_PEAK, loader_pool.peak_memory()


def test_a_zip_that_understates_its_size_is_still_capped(
    tmp_path: Path, loader_pool: WorkerPool
) -> None:
    """Declared 1 MB, really 300 MB: counted while inflating, refused past what it declares.

    (:mod:`zipfile` would truncate it to 1 MB, but only after inflating all 300 MB.)
    """
    liar = tmp_path / "liar.docx"
    liar.write_bytes(understate(bomb_300mb(), "word/document.xml", MB))
    declared = {i.filename: i.file_size for i in zipfile.ZipFile(liar).infolist()}
    assert declared["word/document.xml"] == MB  # the archive passes the declared-size check
    state = load_in_worker(loader_pool, liar)
    assert state.reject is not None and state.reject.plugin == "load_docx"
    assert (
        "'word/document.xml' in the Word document unpacks to more than the 1,000,000 bytes "
        "it declares" in state.reject.error
    )
    assert 0 < loader_pool.peak_memory() < WORKER_PEAK, loader_pool.peak_memory()


def test_ratio_and_page_limits_and_what_stays_readable(tmp_path: Path) -> None:
    """In-process: a smaller bomb trips max_ratio; the same generators at ordinary sizes load."""
    mgr = build_manager(only=LOADERS)

    def load(name: str, data: bytes, limits: Limits = DEFAULT_LIMITS) -> DocState:
        source = Source.from_bytes(name, data, limits=limits)
        (state,) = run_stage("load", mgr, [DocState.of(source)], {})
        return state

    small_bomb = load("small.docx", docx_bomb(20 * MB))
    assert small_bomb.reject is not None
    assert "'word/document.xml' in the Word document would unpack to" in small_bomb.reject.error
    assert "raise max_ratio" in small_bomb.reject.error

    pdf = pdf_with_stream(text_lines(40))
    readable = load("short.pdf", pdf)
    assert readable.document is not None, readable.reject
    assert "Line 39 of a page that never ends." in readable.document.text
    over_pages = load("short.pdf", pdf, Limits(max_pages=0))
    assert over_pages.reject is not None
    assert "the PDF has 1 pages, over the limit of 0 (raise max_pages" in over_pages.reject.error

    text = long_text(1_200_000)
    assert load("long.txt", text.encode()).document is not None
    over_text = load("long.txt", text.encode(), Limits(max_text=MB))
    assert over_text.reject is not None and over_text.reject.plugin == "docmill"
    assert f"the text is {len(text):,} characters, over the limit of 1,000,000" in (
        over_text.reject.error
    )
    assert "raise max_text" in over_text.reject.error


def test_limits_check_text_counts_every_kind_of_line_break() -> None:
    limits = Limits(max_line=10)
    limits.check_text("0123456789\n0123456789\r\n0123456789\u20290123456789")
    with pytest.raises(LimitExceeded, match="line \\(paragraph\\) of 11 characters") as caught:
        limits.check_text("short\n0123456789A\nshort")
    assert caught.value.setting == "max_line"


def test_limit_settings_reach_the_flow(monkeypatch: pytest.MonkeyPatch) -> None:
    """Defaults, DOCMILL_* and validation; every limit is a parameter of the flow."""
    from docmill.orchestration.flow import docmill_flow

    settings = Settings()
    assert settings.limits() == Limits()
    assert settings.time_limit == DEFAULT_TIME_LIMIT and settings.time_per_mb > 0
    monkeypatch.setenv("DOCMILL_MAX_EXPANDED", "5000")
    monkeypatch.setenv("DOCMILL_TIME_PER_MB", "7.5")
    assert Settings().limits().max_expanded == 5000
    assert Settings().time_per_mb == 7.5
    monkeypatch.setenv("DOCMILL_MAX_RATIO", "0.5")
    with pytest.raises(ValueError, match="max_ratio"):
        Settings()
    parameters = inspect.signature(docmill_flow.fn).parameters
    for name in ("time_limit", "time_per_mb", *Limits.__dataclass_fields__):
        assert name in parameters and name in Settings.model_fields


# -- a time limit that tells a hang from a big job ----------------------------------------

SLOW_CLEANER = """
import time
from docmill import hookimpl

SECONDS_PER_MILLION = 3.0

@hookimpl
def clean(doc):
    if doc.text.startswith("HANG"):
        while True:
            time.sleep(0.05)
    if doc.text.startswith("TWICE"):
        time.sleep(1.2)  # each of two cleaners: 2.4 s in the stage, within 2 s each
    time.sleep(len(doc.text) / 1_000_000 * SECONDS_PER_MILLION)  # work in proportion to size
    return []
"""


def test_the_budget_grows_with_the_document_and_a_hang_is_still_stopped(
    tmp_path: Path, install_plugin: Callable[..., str]
) -> None:
    """Two cleaners taking 3 s per million characters each, limits 2 s + 6 s per million.

    A 1.5M-character document needs 4.5 s in each, over the base but inside its
    11 s budget; with no allowance per size it is stopped at 2 s; a small document
    that hangs is stopped at 2 s either way; each plugin has a budget of its own.
    """
    install_plugin("slow", SLOW_CLEANER)
    install_plugin("slower", SLOW_CLEANER)
    files = {
        "warm.txt": "A short text.\n",  # the stage's first document gets a start-up grace
        "long.txt": long_text(1_500_000),
        "hang.txt": "HANG on a small document.\n",
        "twice.txt": "TWICE as long as one plugin's limit, in two plugins.\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    setup = WorkerSetup(only=("load_text", "slow", "slower"), order={"clean": ["slow", "slower"]})
    with WorkerPool(PoolConfig(setup)) as pool:  # default limits to load
        loaded = pool.run("load", [DocState.of(InputFile(n, tmp_path / n)) for n in files])
    assert all(state.alive for state in loaded)

    def clean(time_per_mb: float, names: list[str]) -> dict[str, DocState]:
        config = PoolConfig(setup, time_limit=2, time_per_mb=time_per_mb)
        with WorkerPool(config) as pool:
            cleaned = pool.run("clean", [s for s in loaded if s.source in names])
        return {s.source: s for s in cleaned}

    scaled = clean(6.0, ["warm.txt", "long.txt", "twice.txt", "hang.txt"])
    assert scaled["long.txt"].reject is None and scaled["long.txt"].clean is not None
    assert scaled["twice.txt"].reject is None
    hang = scaled["hang.txt"].reject
    assert hang is not None and (hang.stage, hang.plugin) == ("clean", "slow")
    assert "time limit of 2 seconds per plugin for this document" in hang.error
    assert "clean plugin 'slow' was still running" in hang.error

    flat = clean(0.0, ["warm.txt", "long.txt"])
    stopped = flat["long.txt"].reject
    assert stopped is not None and (stopped.stage, stopped.plugin) == ("clean", "slow")
    assert "time limit of 2 seconds per plugin for this document (time_limit 2 s)" in (
        stopped.error
    )
    assert "raise time_limit or time_per_mb" in stopped.error


# -- a real long document, end to end ----------------------------------------------------


@pytest.mark.flow
@pytest.mark.slow
def test_a_multi_mb_document_becomes_a_document_with_default_settings(
    run_flow: Run, tmp_path: Path
) -> None:
    """Just past 1 MB of paragraphs (spaCy's 1,000,000-character max_length) beside a bomb.

    The smallest size that proves the point (its cost grows with every character):
    bigger ones are `make bench`'s long row."""
    corpus = tmp_path / "in"
    corpus.mkdir()
    text = long_text(1_000_001)
    assert 1_000_000 < len(text) < 1_002_000  # past max_length by less than a paragraph
    (corpus / "long.txt").write_text(text, encoding="utf-8")
    (corpus / "bomb.docx").write_bytes(bomb_300mb())
    result = run_flow([corpus], tmp_path / "out", batch_size=2)
    (doc,) = result.records("document")
    assert doc["source"] == "in/long.txt" and doc["text"] == text
    (reject,) = result.records("reject")
    assert reject["source"] == "in/bomb.docx" and "raise max_expanded" in reject["error"]
    errors = [f for f in result.records("finding") if f["severity"] == "error"]
    assert not errors, errors[:3]
    # the end of the document is processed as well as its start
    paragraphs = [s for s in result.records("segment") if s["type"] == "paragraph"]
    assert len(paragraphs) == text.count("\n\n") + 1
    entities = result.records("entity")
    assert max(e["start"] for e in entities) > len(text) - 5_000
    assert check_offsets(result) > len(paragraphs)


def test_the_worker_names_a_plugin_while_its_settings_are_first_validated() -> None:
    """A plugin's first call validates every plugin's settings through hooks of their own;
    the worker's marker must still name the plugin (it names who a time limit stops)."""
    import dataclasses
    import tempfile

    from pydantic import BaseModel

    from docmill import hookimpl
    from docmill.engine.workers.child import TracedManager
    from docmill.engine.workers.protocol import MARKER_SIZE, Marker

    class Options(BaseModel):
        level: int = 1

    seen: list[tuple[str, str]] = []
    with tempfile.TemporaryFile() as fh:
        fh.write(bytes(MARKER_SIZE))
        fh.flush()
        marker = Marker(fh.fileno())

        class Probe:
            @hookimpl
            def settings_model(self) -> type[BaseModel]:
                return Options

            @hookimpl
            def clean(self, doc: object, settings: Options) -> list[object]:
                seen.append(marker.read())
                return []

        base = build_manager(only=("probe",), extra=[("probe", Probe())])
        fields = {f.name: getattr(base, f.name) for f in dataclasses.fields(base) if f.init}
        mgr = TracedManager(**fields, marker=marker, stage="clean")
        for _, call in mgr.ordered("clean"):
            call(doc=None)
        assert seen == [("clean", "probe")]
        assert marker.read() == ("clean", "docmill")
