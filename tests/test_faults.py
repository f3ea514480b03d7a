"""Faults around a run, injected for real: each ends like a database transaction.

Disk full (a small tmpfs, and the file-size limit RLIMIT_FSIZE), a read-only output
folder (a read-only mount: these tests run as root, whom ``chmod`` does not stop),
an output folder that cannot be created, a Prefect home that cannot be written,
a Prefect API whose port something else holds, and a real Prefect server killed in
the middle of a run. Each ``docmill run`` is a real process against a real API (the
session's, unless the test brings its own server); each test asserts the one-line
message, exit code 6, that nothing was published (no run folder, no ``.partial-*``
left, LATEST unchanged), and that the next run on the same folders writes JSONL
byte-identical to a clean run.
"""

from __future__ import annotations

import http.server
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from docmill.orchestration.server import healthy
from docmill.runs.folder import LATEST, PARTIAL_PREFIX
from tests.conftest import SEEDS
from tests.waiting import wait_until

pytestmark = pytest.mark.flow

ROOT = Path(__file__).resolve().parent.parent
EXIT_ENVIRONMENT = 6

#: An extractor that, when DOCMILL_TEST_GATE is set, records each document it sees and
#: then waits (at most a minute) until the test creates the gate file: the test kills
#: the Prefect server in between.
GATE = """
import os, time
from pathlib import Path
from docmill import hookimpl

@hookimpl
def extract(doc):
    gate = os.environ.get("DOCMILL_TEST_GATE")
    if gate:
        with open(gate + ".seen", "a") as fh:
            fh.write(doc.id + "\\n")
        deadline = time.monotonic() + 60
        while not Path(gate).exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    return []
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site folder with the gate plugin installed as a distribution (entry point)."""
    folder = tmp_path_factory.mktemp("site")
    (folder / "docmill_test_gate.py").write_text(GATE, encoding="utf-8")
    dist = folder / "docmill_test_gate-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: docmill-test-gate\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[docmill]\ngate = docmill_test_gate\n")
    return folder


@pytest.fixture(scope="module")
def api_url(docmill_prefect: None) -> str:
    """The session's Prefect API: every docmill process of these tests uses it."""
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    assert url, "the session has a Prefect API"
    return str(url)


class Docmill:
    """``docmill run`` as a user runs it: a process of its own, with its own environment."""

    def __init__(self, root: Path, site: Path, api_url: str) -> None:
        self.root = root
        self.env = {
            k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "DOCMILL_"))
        }
        self.env.update(
            PYTHONPATH=os.pathsep.join([str(site), str(ROOT / "pipeline"), str(ROOT / "plugins")]),
            PREFECT_HOME=str(root / "prefect-home"),
            PREFECT_API_URL=api_url,
            # no model load in each run's worker: the faults, not the entities, are under test
            DOCMILL_DISABLE_PLUGINS="extract_entities",
        )
        self.corpus = root / "corpus"
        self.corpus.mkdir()
        for seed in sorted(SEEDS.glob("*.txt"))[:3]:
            shutil.copy(seed, self.corpus / seed.name)

    def run(
        self,
        out: Path,
        *args: str,
        env: dict[str, str] | None = None,
        preexec_fn: Callable[[], None] | None = None,
        wait: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "docmill", "run", str(self.corpus), "--out", str(out), *args],
            cwd=self.root,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=600,
            preexec_fn=preexec_fn,
        )


@pytest.fixture(scope="module")
def docmill(tmp_path_factory: pytest.TempPathFactory, site: Path, api_url: str) -> Docmill:
    return Docmill(tmp_path_factory.mktemp("faults"), site, api_url)


@pytest.fixture(scope="module")
def clean(docmill: Docmill) -> dict[str, bytes]:
    """The JSONL of a clean run over the corpus: what every run after a fault must write."""
    out = docmill.root / "clean"
    done = docmill.run(out)
    assert done.returncode == 0, done.stderr
    return _jsonl(out / (out / LATEST).read_text().strip())


def _jsonl(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.jsonl"))}


def _state(out: Path) -> tuple[list[str], str | None]:
    """(entries of ``out``, what LATEST says)."""
    if not out.is_dir():
        return [], None
    latest = out / LATEST
    return sorted(p.name for p in out.iterdir()), (
        latest.read_text() if latest.is_file() else None
    )


def assert_fault(
    done: subprocess.CompletedProcess[str], before: tuple[list[str], str | None], out: Path
) -> str:
    """Exit 6, one line on stderr saying nothing was published, and nothing was."""
    rejects = [p.read_text()[:2000] for p in out.glob("*/rejects.jsonl")]
    assert done.returncode == EXIT_ENVIRONMENT, (done.stderr, rejects)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr  # one sentence, no traceback
    assert "Traceback" not in done.stderr
    assert "nothing was published and LATEST was not moved" in lines[0]
    assert lines[0].startswith("docmill: ") and "then run again" in lines[0]
    after = _state(out)
    assert after == before, "no run folder, no .partial-* left, LATEST unchanged"
    return lines[0]


def assert_next_run_is_clean(
    done: subprocess.CompletedProcess[str], out: Path, clean: dict[str, bytes]
) -> None:
    assert done.returncode == 0, done.stderr
    names, latest = _state(out)
    assert latest is not None and not any(n.startswith(PARTIAL_PREFIX) for n in names)
    assert _jsonl(out / latest.strip()) == clean


def _mount(target: Path, options: str) -> None:
    target.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()})")


def _remount(target: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(target)], check=True)


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Callable[[str, str], Path]]:
    """``tmpfs(name, options)``: a real tmpfs mounted at ``tmp_path/name``, unmounted after."""
    mounted: list[Path] = []

    def mount(name: str, options: str) -> Path:
        target = tmp_path / name
        _mount(target, options)
        mounted.append(target)
        return target

    yield mount
    for target in reversed(mounted):
        subprocess.run(["umount", "-l", str(target)], check=False)


def test_disk_full_stops_the_run_and_publishes_nothing(
    docmill: Docmill, clean: dict[str, bytes], tmpfs: Callable[[str, str], Path]
) -> None:
    disk = tmpfs("disk", "size=64k,mode=0755")
    out = disk / "outputs"
    before = _state(out)
    done = docmill.run(out)
    line = assert_fault(done, before, out)
    assert "No space left on device" in line and str(out) in line, line
    assert "free some space" in line

    _remount(disk, "size=64m")  # space freed, same folders
    assert_next_run_is_clean(docmill.run(out), out, clean)


def test_file_size_limit_stops_the_run_and_publishes_nothing(
    docmill: Docmill, clean: dict[str, bytes], tmp_path: Path
) -> None:
    out = tmp_path / "outputs"
    before = _state(out)

    def limit() -> None:  # in the docmill process only: 16 KB per file
        resource.setrlimit(resource.RLIMIT_FSIZE, (16_384, 16_384))

    done = docmill.run(out, preexec_fn=limit)
    line = assert_fault(done, before, out)
    assert "File too large" in line and str(out) in line, line

    assert_next_run_is_clean(docmill.run(out), out, clean)


def test_a_read_only_output_folder_publishes_nothing(
    docmill: Docmill, clean: dict[str, bytes], tmpfs: Callable[[str, str], Path]
) -> None:
    out = tmpfs("ro", "size=64m,mode=0755")
    (out / LATEST).write_text("20000101T000000000000Z-000000\n")  # a LATEST to keep
    _remount(out, "ro")
    before = _state(out)
    done = docmill.run(out)
    line = assert_fault(done, before, out)
    assert f"the output folder {out} cannot be written (Read-only file system" in line, line

    _remount(out, "rw")
    assert_next_run_is_clean(docmill.run(out), out, clean)


def test_an_output_folder_that_cannot_be_created(
    docmill: Docmill, clean: dict[str, bytes], tmp_path: Path
) -> None:
    blocker = tmp_path / "results"
    blocker.write_text("a file where the output folder's parent should be\n")
    out = blocker / "outputs"
    done = docmill.run(out)
    line = assert_fault(done, ([], None), out)
    assert f"the output folder {out} cannot be created (Not a directory" in line, line
    assert blocker.read_text().startswith("a file")
    # -v adds the traceback; the sentence stays the last line
    verbose = docmill.run(out, "-v")
    assert verbose.returncode == EXIT_ENVIRONMENT
    assert "Traceback (most recent call last)" in verbose.stderr
    assert "NotADirectoryError" in verbose.stderr
    assert verbose.stderr.strip().splitlines()[-1] == line

    blocker.unlink()
    assert_next_run_is_clean(docmill.run(out), out, clean)


@pytest.mark.parametrize("how", ["read-only", "below a file"])
def test_a_prefect_home_that_cannot_be_written(
    docmill: Docmill,
    clean: dict[str, bytes],
    tmpfs: Callable[[str, str], Path],
    tmp_path: Path,
    how: str,
) -> None:
    out = tmp_path / "outputs"
    if how == "read-only":
        home = tmpfs("home", "size=64m,mode=0755")
        _remount(home, "ro")
        reason = "Read-only file system"
    else:
        (tmp_path / "home").write_text("not a folder\n")
        home = tmp_path / "home" / "prefect"
        reason = "Not a directory"
    done = docmill.run(out, env={"PREFECT_HOME": str(home)})
    line = assert_fault(done, ([], None), out)
    assert f"Prefect's home folder {home} cannot be written ({reason}" in line, line
    assert "set PREFECT_HOME" in line

    if how == "read-only":
        _remount(home, "rw")
    else:
        (tmp_path / "home").unlink()
    assert_next_run_is_clean(docmill.run(out, env={"PREFECT_HOME": str(home)}), out, clean)


class _NotPrefect(http.server.BaseHTTPRequestHandler):
    """Something else holding the port: a web server that knows no Prefect API."""

    def do_GET(self) -> None:
        self.send_error(404)

    do_POST = do_PATCH = do_PUT = do_DELETE = do_GET

    def log_message(self, *args: Any) -> None:
        pass


def test_the_api_port_taken_by_something_else(
    docmill: Docmill, clean: dict[str, bytes], tmp_path: Path, api_url: str
) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NotPrefect)
    port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    out = tmp_path / "outputs"
    try:
        done = docmill.run(out, env={"PREFECT_API_URL": f"http://127.0.0.1:{port}/api"})
    finally:
        server.shutdown()
        server.server_close()
    line = assert_fault(done, ([], None), out)
    assert f"the Prefect API at http://127.0.0.1:{port}/ answered 404" in line, line

    assert_next_run_is_clean(docmill.run(out), out, clean)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _start_server(home: Path) -> tuple[subprocess.Popen[bytes], str]:
    """A real Prefect API server (uvicorn, as Prefect's own temporary one) with its own home."""
    import prefect

    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(home), PREFECT_UI_ENABLED="0", PREFECT_LOGGING_LEVEL="WARNING")
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--app-dir", str(Path(prefect.__file__).parent.parent),
         "--factory", "prefect.server.api.server:create_app", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "error"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/api"
    wait_until(lambda: healthy(url), "answer from the Prefect server", 180, proc=proc)
    return proc, url


def test_the_prefect_api_lost_in_the_middle_of_a_run(
    docmill: Docmill, clean: dict[str, bytes], tmp_path: Path
) -> None:
    server, url = _start_server(tmp_path / "server-home")
    out = tmp_path / "outputs"
    gate = tmp_path / "gate"
    env = {
        **docmill.env,
        "PREFECT_API_URL": url,
        "DOCMILL_TEST_GATE": str(gate),
        "PREFECT_CLIENT_MAX_RETRIES": "1",  # give up after one retry (default: 5, ~1 min)
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "docmill", "run", str(docmill.corpus), "--out", str(out),
         "--batch-size", "1"],
        cwd=docmill.root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        seen = Path(f"{gate}.seen")
        # the first document is in extract
        wait_until(seen.is_file, "document in extract", proc=proc,
                   output=lambda: "" if proc.poll() is None else "\n".join(proc.communicate()))
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(30)
        gate.touch()
        _stdout, stderr = proc.communicate(timeout=600)
    finally:
        if proc.poll() is None:
            proc.kill()
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
    done = subprocess.CompletedProcess(proc.args, proc.returncode, "", stderr)
    line = assert_fault(done, ([], None), out)
    assert f"the Prefect API at {url.removesuffix('api')} stopped answering" in line, line

    assert_next_run_is_clean(docmill.run(out), out, clean)
