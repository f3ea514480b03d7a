"""Run folders: written under a temporary name, renamed when complete.

A run folder is complete when it has its final name and a ``manifest.json``;
the manifest is written last, atomically, then the folder is renamed and the
output folder's ``LATEST`` file is replaced atomically. A crashed run leaves only
a ``.partial-*`` folder, which no reader takes for a run; the next run on the same
output folder removes it. A running run holds a lock on its ``.partial-*``
folder (``flock`` on the folder itself, released by the kernel when the process
dies, however it dies), so only folders no live process holds are removed.
"""

from __future__ import annotations

import os
import secrets
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from docmill.runs.atomic import fsync_path, write_bytes_atomic
from docmill.runs.manifest import MANIFEST, Manifest, write_manifest

LATEST = "LATEST"
PARTIAL_PREFIX = ".partial-"
#: A ``.partial-*`` folder younger than this is never removed (it may be a run that
#: has made its folder but not locked it yet).
STALE_AFTER = 60.0


def new_run_id(now: datetime | None = None) -> str:
    """A sortable, unique run id: UTC time plus a random suffix."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")
    return f"{stamp}-{secrets.token_hex(3)}"


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """An exclusive lock on ``folder`` (flock on the folder itself: no lock file)."""
    try:
        import fcntl
    except ImportError:  # not POSIX: the atomic renames alone
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _try_lock(folder: Path) -> int | None:
    """An open descriptor holding an exclusive lock on ``folder``, or None if another has it."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock, so nothing is ever taken for stale
        return None
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def remove_stale_partials(out: Path) -> list[Path]:
    """Remove the ``.partial-*`` folders under ``out`` that no live run holds; returns them.

    A folder is stale when no process holds its lock (the run that made it was
    killed or crashed) and it is older than :data:`STALE_AFTER` seconds.
    """
    removed: list[Path] = []
    now = time.time()
    for folder in sorted(out.glob(PARTIAL_PREFIX + "*")):
        try:
            if not folder.is_dir() or now - folder.stat().st_mtime < STALE_AFTER:
                continue
        except OSError:
            continue
        fd = _try_lock(folder)
        if fd is None:
            continue
        try:
            shutil.rmtree(folder, ignore_errors=True)
        finally:
            os.close(fd)
        removed.append(folder)
    return removed


class RunFolder:
    """The folder one run writes into (locked while the run lives)."""

    def __init__(self, out: Path, run_id: str) -> None:
        self.out = out
        self.run_id = run_id
        self.final = out / run_id
        self.tmp = out / f"{PARTIAL_PREFIX}{run_id}"
        self._lock: int | None = None

    def create(self) -> Path:
        """Make the ``.partial-*`` folder and lock it; remove stale ones of killed runs."""
        self.out.mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir()
        self._lock = _try_lock(self.tmp)
        remove_stale_partials(self.out)
        return self.tmp

    def _unlock(self) -> None:
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    def finish(self, manifest: Manifest) -> Path:
        """Write the manifest, publish the folder under its final name, point LATEST at it.

        Every file is flushed to the disk before the manifest is written, and the
        manifest before the rename, so a folder with its final name is complete even
        after a power cut. LATEST moves only forward: a run that finishes after a run
        started later leaves LATEST on the later one (runs at once do not fight).
        """
        for path in sorted(self.tmp.iterdir()):
            if path.is_file():
                fsync_path(path)
        write_manifest(self.tmp, manifest)
        os.replace(self.tmp, self.final)
        self._unlock()
        with _locked(self.out):
            current = _pointer(self.out)
            if current is None or current <= self.run_id:
                write_bytes_atomic(self.out / LATEST, f"{self.run_id}\n".encode())
        fsync_path(self.out)
        return self.final

    def abandon(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)
        self._unlock()


def _pointer(out: Path) -> str | None:
    """The run id LATEST names, if it names a complete run folder directly under ``out``."""
    try:
        name = (out / LATEST).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    if not name or name.startswith(".") or "/" in name or "\\" in name:
        return None
    return name if (out / name / MANIFEST).is_file() else None


def latest_run(out: Path) -> Path | None:
    """The most recent complete run folder under ``out``, or None."""
    name = _pointer(out)
    if name is not None:
        return out / name
    runs = sorted(p for p in out.glob("*/" + MANIFEST) if not p.parent.name.startswith("."))
    return runs[-1].parent if runs else None
