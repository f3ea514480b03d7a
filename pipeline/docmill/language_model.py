"""py3langid's model, read from a faster copy of it in the user's cache.

py3langid ships its model as an LZMA-compressed ``.npz`` (4.6 MB): every process
that identifies a language decompresses 68 MB first, ~0.55 s of CPU in each plugin
worker, on the critical path of a one-document run. :func:`load` keeps the same
arrays as a zlib-compressed ``.npz`` (7.9 MB) under the user's cache folder
(``$XDG_CACHE_HOME/docmill``, else ``~/.cache/docmill``), which loads in a
third of the time, and builds the identifier from it exactly as py3langid's
``LanguageIdentifier.from_model_file`` does. The copy is named after py3langid's
version and the model file's size and time, written atomically, and only ever an
optimisation: a cache that cannot be read or written (a read-only home, a full
disk) means the model is read from the package as before.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any


def cache_folder() -> Path:
    """Where docmill keeps copies that are faster to load: ``$XDG_CACHE_HOME/docmill``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "docmill"


def load() -> Any:
    """py3langid's ``LanguageIdentifier`` with normalised probabilities."""
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    source = MODEL_DIR / MODEL_FILE
    try:
        arrays = _cached_arrays(source)
    except Exception:  # any trouble with the copy: py3langid's own way
        return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return _identifier(arrays)


def _cached_arrays(source: Path) -> dict[str, Any]:
    import numpy as np
    from py3langid import __version__

    stat = source.stat()
    name = f"py3langid-{__version__}-{stat.st_size}-{int(stat.st_mtime)}.npz"
    cached = cache_folder() / name
    with contextlib.suppress(OSError, ValueError), np.load(cached, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}
    arrays = _decompressed(source)
    with contextlib.suppress(OSError):
        cached.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cached.parent, prefix=".tmp-", suffix=".npz")
        try:
            with os.fdopen(fd, "wb") as out:
                np.savez_compressed(out, **arrays)
            os.replace(tmp, cached)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
    return arrays


def _decompressed(source: Path) -> dict[str, Any]:
    """The model's arrays, read as py3langid reads them (LZMA, then ``.npz``)."""
    import lzma
    import shutil

    import numpy as np

    with tempfile.TemporaryFile(suffix=".npz") as tmp:
        with lzma.open(source) as src:
            shutil.copyfileobj(src, tmp, length=1 << 20)
        tmp.seek(0)
        with np.load(tmp, allow_pickle=False) as data:
            return {key: data[key] for key in data.files}


def _identifier(arrays: dict[str, Any]) -> Any:
    """The identifier ``LanguageIdentifier.from_model_file`` builds from these arrays."""
    import numpy as np
    from py3langid.langid import LanguageIdentifier
    from py3langid.modelio import _to_array

    return LanguageIdentifier(
        np.asarray(arrays["ptc"]),
        np.asarray(arrays["pc"]),
        arrays["classes"].tolist(),
        _to_array(arrays["nextmove"]),
        arrays["out_feat"].tolist(),
        norm_probs=True,
        tk_row=_to_array(arrays["nextmove_row"]),
    )
