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
disk) means the model is read from the package as before. :func:`derived` keeps
arrays computed from the model the same way (the automaton's state depths that
:mod:`docmill.langid_fast` needs: ~0.25 s of CPU per process otherwise).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
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


def _copy_name(source: Path) -> str:
    """The name of the copy of the model at ``source`` (py3langid's version, its size, time)."""
    from py3langid import __version__

    stat = source.stat()
    return f"py3langid-{__version__}-{stat.st_size}-{int(stat.st_mtime)}"


def derived(tag: str, make: Callable[[], Any]) -> Any:
    """``make()``, an array computed from py3langid's model, kept in the cache folder
    next to the copy (``<copy name>-<tag>.npy``): computed once per model, not once per
    process. ``tag`` names what ``make`` computes and how (change it when that changes);
    None from ``make`` is not kept. Like the copy, only an optimisation: a cache that
    cannot be read or written means ``make()`` is called."""
    import numpy as np
    from py3langid.langid import MODEL_DIR, MODEL_FILE

    try:
        cached = cache_folder() / f"{_copy_name(MODEL_DIR / MODEL_FILE)}-{tag}.npy"
    except OSError:
        return make()
    with contextlib.suppress(OSError, ValueError):
        return np.load(cached, allow_pickle=False)
    array = make()
    if array is not None:
        _write(cached, lambda out: np.save(out, array, allow_pickle=False))
    return array


def _write(path: Path, write: Callable[[Any], None]) -> None:
    """Write ``path`` atomically through ``write(file)``; a folder that cannot be written
    leaves no file (and no temporary one)."""
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
        try:
            with os.fdopen(fd, "wb") as out:
                write(out)
            os.replace(tmp, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)


def _cached_arrays(source: Path) -> dict[str, Any]:
    import numpy as np

    cached = cache_folder() / f"{_copy_name(source)}.npz"
    with contextlib.suppress(OSError, ValueError), np.load(cached, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}
    arrays = _decompressed(source)
    _write(cached, lambda out: np.savez_compressed(out, **arrays))
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
