"""sha256, the one way docmill fingerprints bytes: inputs, run files, module sources.

Ground floor: imports nothing of docmill's, so every layer (sources, engine,
runs, report) may use it. Digests are lowercase hex, as written to records
(``Document.sha256``) and manifests (``inputs[].sha256``, ``hashes``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

#: Bytes read at a time by :func:`sha256_file`.
_CHUNK = 1 << 20


def sha256_bytes(data: bytes) -> str:
    """The sha256 of ``data``, as 64 lowercase hex digits."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    """The sha256 of a file's bytes, read in chunks (memory stays small for any size).

    Raises ``OSError`` when the file cannot be read.
    """
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()
