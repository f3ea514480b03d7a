"""Run folders: written under a temporary name, renamed when complete.

A run folder is complete when it has its final name and a ``manifest.json``;
the manifest is written last, atomically, then the folder is renamed and the
output folder's ``LATEST`` file is replaced atomically. A crashed run leaves only
a ``.partial-*`` folder, which no reader takes for a run.
"""

from __future__ import annotations

import os
import secrets
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

LATEST = "LATEST"
MANIFEST = "manifest.json"
PARTIAL_PREFIX = ".partial-"


def new_run_id(now: datetime | None = None) -> str:
    """A sortable, unique run id: UTC time plus a random suffix."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")
    return f"{stamp}-{secrets.token_hex(3)}"


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON to ``path`` through a temporary file and a rename."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n")
    os.replace(tmp, path)


class RunFolder:
    """The folder one run writes into."""

    def __init__(self, out: Path, run_id: str) -> None:
        self.out = out
        self.run_id = run_id
        self.final = out / run_id
        self.tmp = out / f"{PARTIAL_PREFIX}{run_id}"

    def create(self) -> Path:
        self.out.mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir()
        return self.tmp

    def finish(self, manifest: dict[str, Any]) -> Path:
        """Write the manifest, publish the folder under its final name, point LATEST at it."""
        write_json_atomic(self.tmp / MANIFEST, manifest)
        os.replace(self.tmp, self.final)
        latest = self.out / LATEST
        tmp = self.out / f".{LATEST}.{os.getpid()}.tmp"
        tmp.write_text(self.run_id + "\n", encoding="utf-8")
        os.replace(tmp, latest)
        return self.final

    def abandon(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)


def latest_run(out: Path) -> Path | None:
    """The most recent complete run folder under ``out``, or None."""
    pointer = out / LATEST
    if pointer.is_file():
        run = out / pointer.read_text(encoding="utf-8").strip()
        if (run / MANIFEST).is_file():
            return run
    runs = sorted(p for p in out.glob("*/" + MANIFEST) if not p.parent.name.startswith("."))
    return runs[-1].parent if runs else None


def read_manifest(run: Path) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads((run / MANIFEST).read_bytes())
    return data
