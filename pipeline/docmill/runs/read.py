"""Reading a run folder back: :func:`read_run` gives a :class:`Run` with typed records.

The same view of a run whatever made it (``docmill run``, ``docmill.run()``, a
scheduled run, a run folder copied from elsewhere): its folder, its typed
:class:`~docmill.runs.manifest.Manifest`, and the records of each kind as an
iterator of record models, read lazily line by line.

Which model a kind is read into: the mapping given to :func:`read_run` (a
plugin's own kinds, say ``{"money": Money}``); else docmill's core kinds
(:data:`docmill.records.CORE_RECORD_TYPES`); else, only when a run holds a kind
neither names, the kinds the installed plugins declare (``record_types``; the
plugins are loaded once, on first need). A kind no model is known for raises
:class:`UnknownKindError` from :meth:`Run.records`; :meth:`Run.dicts` reads any
kind as plain dicts, model or not.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar, overload

from docmill.records import CORE_RECORD_TYPES, Record
from docmill.runs.jsonl import read_dicts, read_models
from docmill.runs.manifest import Manifest, read_manifest

R = TypeVar("R", bound=Record)


class UnknownKindError(LookupError):
    """A kind the run does not hold, or one no record model is known for."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def installed_kinds() -> dict[str, type[Record]]:
    """Kind -> model of the core kinds and of every kind an installed plugin declares.

    Loads the plugins (all of them: a kind written by a plugin disabled today is
    still readable); a plugin that fails to load only loses its kinds.
    """
    from docmill.engine.stages import record_kinds
    from docmill.plugins import build_manager

    return record_kinds(build_manager())


class Run:
    """A complete run folder: its manifest and its records, read on demand."""

    def __init__(
        self, folder: Path, manifest: Manifest, kinds: Mapping[str, type[Record]] | None = None
    ) -> None:
        #: The run folder (holds ``manifest.json`` and one JSONL file per kind).
        self.folder = folder
        self.manifest = manifest
        self._models: dict[str, type[Record]] = {t.kind_name(): t for t in CORE_RECORD_TYPES}
        self._models.update(kinds or {})
        self._complete = kinds is not None  # no plugin lookup when the caller said which

    def __repr__(self) -> str:
        return f"Run({str(self.folder)!r}, run_id={self.manifest.run_id!r})"

    @property
    def kinds(self) -> tuple[str, ...]:
        """Every kind the run wrote a file for (sorted), empty files included."""
        return tuple(sorted(self.manifest.files))

    def path(self, kind: str) -> Path:
        """The JSONL file of ``kind`` in the run folder."""
        try:
            return self.folder / self.manifest.files[kind]
        except KeyError:
            raise UnknownKindError(
                f"the run {self.manifest.run_id} has no {kind!r} records "
                f"(its kinds: {', '.join(self.kinds)})"
            ) from None

    def model(self, kind: str) -> type[Record]:
        """The record model ``kind`` is read into (see the module's docstring)."""
        model = self._models.get(kind)
        if model is None and not self._complete:
            self._complete = True
            for name, found in installed_kinds().items():
                self._models.setdefault(name, found)
            model = self._models.get(kind)
        if model is None:
            raise UnknownKindError(
                f"no record model for kind {kind!r}: install the plugin that declares it, "
                f"pass kinds={{{kind!r}: Model}} to read_run, or read it with .dicts({kind!r})"
            )
        return model

    @overload
    def records(self, kind: type[R]) -> Iterator[R]: ...
    @overload
    def records(self, kind: str) -> Iterator[Record]: ...

    def records(self, kind: str | type[Record]) -> Iterator[Record]:
        """The records of ``kind`` (a kind name or a record class), in file order.

        Each line is validated into its model (pydantic's ``ValidationError`` if a
        line does not fit). ``run.records(Entity)`` is typed ``Iterator[Entity]``.
        """
        if isinstance(kind, type):
            path, model = self.path(kind.kind_name()), kind
        else:
            path, model = self.path(kind), self.model(kind)
        return read_models(path, model)

    def dicts(self, kind: str) -> Iterator[dict[str, Any]]:
        """The records of ``kind`` as plain dicts, in file order (any kind, model or not)."""
        return read_dicts(self.path(kind))


def read_run(folder: Path | str, kinds: Mapping[str, type[Record]] | None = None) -> Run:
    """The complete run in ``folder``.

    ``kinds`` maps kinds to the models to read them into (plugins' kinds); when
    given, no plugin is loaded to find models. Raises
    :class:`~docmill.runs.manifest.NotARunError` when ``folder`` has no
    ``manifest.json`` and :class:`~docmill.runs.manifest.ManifestError` when its
    manifest is not one docmill can read.
    """
    path = Path(folder)
    return Run(path, read_manifest(path), kinds)
