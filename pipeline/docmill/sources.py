"""Inputs: finding the files a run reads, and what a loader is handed.

A :class:`Source`'s ``media_type`` comes from :func:`docmill.mediatypes.guess_media_type`.
"""

from __future__ import annotations

import fnmatch
import glob
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from docmill.limits import DEFAULT_LIMITS, Limits
from docmill.mediatypes import DOCX, guess_media_type

__all__ = [
    "DOCX",
    "InputFile",
    "Source",
    "discover",
    "guess_media_type",
    "read_path_list",
]

@dataclass(frozen=True)
class Source:
    """One input as a loader sees it: its bytes, a display name and a media type guess.

    ``name`` is relative (the folder argument's name and the path below it, or the
    file's name): outputs never carry the machine's absolute paths. ``limits`` are
    the run's expansion limits: a loader checks what the input unpacks to against
    them before parsing it (``source.limits.check_zip(source.data)``).
    """

    name: str
    data: bytes
    media_type: str
    path: Path | None = field(default=None, compare=False)
    limits: Limits = field(default=DEFAULT_LIMITS, compare=False)

    @classmethod
    def from_bytes(
        cls, name: str, data: bytes, path: Path | None = None, limits: Limits = DEFAULT_LIMITS
    ) -> Source:
        """Build a source, guessing its media type from content and name."""
        media_type = guess_media_type(name, data)
        return cls(name=name, data=data, media_type=media_type, path=path, limits=limits)


@dataclass(frozen=True, order=True)
class InputFile:
    """A file found for a run: its display name and where it is."""

    name: str
    path: Path = field(compare=False)


def _is_hidden(part: str) -> bool:
    return part.startswith(".") and part not in (".", "..")


#: Characters that make a PATH argument a glob pattern (when no such file exists).
_GLOB_CHARS = frozenset("*?[")


def discover(
    paths: Iterable[str | Path],
    exclude: Iterable[Path] = (),
    include_globs: Iterable[str] = (),
    exclude_globs: Iterable[str] = (),
) -> list[InputFile]:
    """Every input file ``paths`` name, sorted by display name.

    Each path is a file, a folder (read recursively), a glob pattern (``*``, ``?``,
    ``[...]``, ``**`` for any depth; used when no file has that literal name) or
    ``@LIST``: a text file naming one path, folder or glob per line (blank lines
    and ``#`` comments skipped, relative entries read from the list's folder).
    Hidden files and folders and the folders in ``exclude`` (the output folder)
    are skipped inside folders and glob matches; a file named explicitly is
    always taken. ``include_globs`` keeps only files whose display name or file
    name matches one of them; ``exclude_globs`` drops matching files.

    Display names are relative: ``<folder name>/<path below it>`` for files found
    in a folder, the file name otherwise (with parent folders prepended when two
    different files would share a name). A file reached twice is read once.
    Raises ``FileNotFoundError`` for a path, list or pattern that names nothing.
    """
    excluded = {p.resolve() for p in exclude}
    found: dict[str, InputFile] = {}
    seen: set[Path] = set()
    loose: list[Path] = []
    roots: dict[str, Path] = {}  # display name of each folder input -> the folder

    def add(name: str | None, path: Path) -> None:
        try:
            real = path.resolve()
        except (OSError, RuntimeError):  # a symlink loop: still an input (it becomes a reject)
            real = path.absolute()
        if real in seen:
            return
        seen.add(real)
        if name is None:
            loose.append(path)
        else:
            found[name] = InputFile(name, path)

    for raw in _expand_lists(paths):
        path = Path(raw)
        if path.exists() or path.is_symlink():
            matches, explicit = [path], True
        elif _GLOB_CHARS & set(str(raw)):
            matches = [Path(m) for m in sorted(glob.glob(str(raw), recursive=True))]
            matches = [m for m in matches if not _under(m, excluded)]
            if not matches:
                raise FileNotFoundError(f"no file matches the pattern {raw}")
            explicit = False
        else:
            raise FileNotFoundError(f"no such file or folder: {raw}")
        for match in matches:
            if match.is_dir():
                if not explicit and match.resolve() in excluded:
                    continue
                root_name = _root_name(match.resolve(), roots)
                for item in _walk(match, excluded):
                    add(f"{root_name}/{item.relative_to(match).as_posix()}", item)
            else:
                add(None, match)
    for path, name in _short_names(loose, set(found)).items():
        found[name] = InputFile(name, path)
    includes, excludes = list(include_globs), list(exclude_globs)
    kept = [
        f
        for f in found.values()
        if (not includes or _matches(f.name, includes)) and not _matches(f.name, excludes)
    ]
    return sorted(kept)


def read_path_list(list_file: Path) -> list[str]:
    """The entries of an ``@LIST`` file, relative ones resolved against its folder."""
    try:
        lines = list_file.read_text(encoding="utf-8-sig").splitlines()
    except FileNotFoundError:
        raise FileNotFoundError(f"no such list file: {list_file}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FileNotFoundError(f"cannot read the list file {list_file}: {exc}") from None
    entries = []
    for line in lines:
        entry = line.strip()
        if not entry or entry.startswith("#"):
            continue
        entry_path = Path(entry).expanduser()
        entries.append(str(entry_path if entry_path.is_absolute() else list_file.parent / entry))
    return entries


def _expand_lists(paths: Iterable[str | Path]) -> Iterator[str | Path]:
    for raw in paths:
        text = str(raw)
        if text.startswith("@") and len(text) > 1 and not Path(text).exists():
            yield from read_path_list(Path(text[1:]))
        else:
            yield raw


def _matches(name: str, patterns: list[str]) -> bool:
    base = name.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatchcase(name, p) or fnmatch.fnmatchcase(base, p) for p in patterns)


def _under(path: Path, folders: set[Path]) -> bool:
    if not folders:
        return False
    real = path.resolve()
    return any(real == f or f in real.parents for f in folders)


def _root_name(folder: Path, roots: dict[str, Path]) -> str:
    """The folder's name, with parents prepended if another folder input has that name."""
    parts = folder.parts
    for depth in range(1, len(parts) + 1):
        name = "/".join(p for p in parts[-depth:] if p != "/") or "input"
        if roots.setdefault(name, folder) == folder:
            return name
    return folder.as_posix()


def _short_names(paths: list[Path], taken: set[str]) -> dict[Path, str]:
    """A display name per loose file: its file name, or as many parent folders as it
    takes to tell apart files that share a name (or a name a folder input uses)."""
    names: dict[Path, str] = {}
    parts = {p: p.resolve().parts for p in paths}
    depth = dict.fromkeys(paths, 1)
    while True:
        current = {p: "/".join(parts[p][-depth[p] :]) for p in paths}
        counts: dict[str, int] = {}
        for name in current.values():
            counts[name] = counts.get(name, 0) + 1
        clash = [
            p
            for p in paths
            if (counts[current[p]] > 1 or current[p] in taken) and depth[p] < len(parts[p]) - 1
        ]
        if not clash:
            names = current
            break
        for p in clash:
            depth[p] += 1
    return names


def _walk(root: Path, excluded: set[Path]) -> Iterator[Path]:
    seen: set[tuple[int, int]] = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        here = Path(dirpath)
        try:
            st = here.stat()
        except OSError:
            continue
        if (st.st_dev, st.st_ino) in seen:
            dirnames[:] = []
            continue
        seen.add((st.st_dev, st.st_ino))
        dirnames[:] = sorted(
            d for d in dirnames if not _is_hidden(d) and (here / d).resolve() not in excluded
        )
        for name in sorted(filenames):
            if not _is_hidden(name):
                yield here / name
