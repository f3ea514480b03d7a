"""Settings: ``docmill.toml``, ``[tool.docmill]`` in pyproject.toml, ``DOCMILL_*`` env vars.

Precedence, highest first: command-line flags, environment, ``docmill.toml``,
``[tool.docmill]`` of ``pyproject.toml`` (both read from the current folder),
defaults. Plugin settings live under ``[plugins.NAME]`` (or
``DOCMILL_PLUGINS__NAME__KEY``), NAME being the name the plugin is registered
under (its entry-point name), and are validated against the model a plugin
declares with the ``settings_model`` hook (:func:`check_plugin_settings`). The
plugin manager validates them once and hands each plugin its own as the
``settings`` argument of its stage hooks
(:meth:`docmill.plugins.Manager.settings`); tests set them with
:func:`override_plugin_settings`.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    PyprojectTomlConfigSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from docmill.limits import DEFAULT_LIMITS, Limits

CONFIG_FILE = "docmill.toml"
DEFAULT_BATCH_SIZE = 64
#: Seconds any plugin may spend on one document (``time_limit``), however small.
DEFAULT_TIME_LIMIT = 120.0
#: Seconds more per million characters of the document (``time_per_mb``).
DEFAULT_TIME_PER_MB = 180.0

M = TypeVar("M", bound=BaseModel)


class Settings(BaseSettings):
    """docmill's own settings."""

    model_config = SettingsConfigDict(
        env_prefix="DOCMILL_",
        extra="ignore",
        toml_file=CONFIG_FILE,
        pyproject_toml_table_header=("tool", "docmill"),
    )

    out: Path = Field(default=Path("outputs"), description="Folder that receives run folders.")
    batch_size: int = Field(
        default=DEFAULT_BATCH_SIZE, ge=1, description="Documents per Prefect task run."
    )
    disable: list[str] = Field(default_factory=list, description="Plugins not to load.")
    max_bytes: int = Field(
        default=50_000_000, ge=1, description="Inputs larger than this are rejected unread."
    )
    max_text: int = Field(
        default=DEFAULT_LIMITS.max_text,
        ge=1,
        description="Characters of text a loaded document may have; more is a reject.",
    )
    max_line: int = Field(
        default=DEFAULT_LIMITS.max_line,
        ge=1,
        description="Characters one line (paragraph) of a document's text may have; "
        "a longer one is a reject (NER and sentence splitting hold a paragraph at once).",
    )
    max_expanded: int = Field(
        default=DEFAULT_LIMITS.max_expanded,
        ge=1,
        description="Bytes a compressed input (the members of a .docx or other zip, the "
        "content streams of a PDF) may unpack to; checked before it is parsed.",
    )
    max_ratio: float = Field(
        default=DEFAULT_LIMITS.max_ratio,
        gt=1,
        description="Times its packed size one zip member over 1 MB may unpack to "
        "(a decompression bomb); checked before it is parsed.",
    )
    max_pages: int = Field(
        default=DEFAULT_LIMITS.max_pages, ge=1, description="Pages a PDF may have."
    )
    time_limit: float = Field(
        default=DEFAULT_TIME_LIMIT,
        ge=0,
        description=(
            "Seconds one plugin may spend on any document, however small (a hang is stopped "
            "after this); `time_per_mb` adds to it by size. A document over its limit is "
            "stopped and rejected. Plugins run in a worker process so a hung one can be "
            "stopped; 0 runs them in-process with no limit."
        ),
    )
    time_per_mb: float = Field(
        default=DEFAULT_TIME_PER_MB,
        ge=0,
        description=(
            "Seconds added to `time_limit` per million characters of the document's text "
            "(per MB of the file in load), so a long document is given time in proportion."
        ),
    )
    order: dict[str, list[str]] = Field(
        default_factory=dict,
        description=(
            "Hook name -> plugin names in the order they run, overriding tryfirst/trylast; "
            "unlisted plugins run after them, or where '...' stands."
        ),
    )
    runner: Literal["local", "dask"] = Field(
        default="local",
        description="Task runner: 'local' (threads in this process) or 'dask' (prefect-dask).",
    )
    address: str | None = Field(
        default=None,
        description="Dask scheduler (tcp://HOST:PORT) for runner 'dask'; unset starts a "
        "LocalCluster of `workers` processes.",
    )
    workers: int | None = Field(
        default=None,
        ge=1,
        description="Processes running stage work: plugin worker processes with runner "
        "'local' (unset: 1), the processes of a local Dask cluster with runner 'dask' "
        "(unset: 2). Each loads the plugins (and their models) once.",
    )
    in_flight: int | None = Field(
        default=None,
        ge=1,
        description="Batches submitted at once; unset: one more than `workers` with runner "
        "'local', 2 per worker with runner 'dask'.",
    )
    server_home: Path = Field(
        default=Path(".docmill/prefect"),
        description="PREFECT_HOME of the local Prefect server docmill starts for serve and "
        "dask when PREFECT_API_URL is unset.",
    )
    server_port: int = Field(
        default=4200,
        ge=0,
        le=65535,
        description="Port of that local server (a free one if taken; 0: any free port).",
    )
    background_server: bool = Field(
        default=True,
        description="Without PREFECT_API_URL, runs use a local Prefect server docmill starts "
        "once and keeps in the background (in PREFECT_HOME; `docmill server status|stop`); "
        "false: Prefect's temporary API in every run (no background process, ~12 s a run).",
    )
    server_idle_timeout: float = Field(
        default=1800.0,
        ge=0,
        description="Seconds without a run after which the background server stops itself "
        "(0: only `docmill server stop` stops it).",
    )
    missed_runs: Literal["one", "all", "none"] = Field(
        default="one",
        description="Runs of a schedule that came due while `docmill serve` was not running: "
        "'one' catch-up run at start (default), 'all' of them, or 'none'; the others are "
        "marked Skipped.",
    )

    def limits(self) -> Limits:
        """The expansion limits these settings give (:class:`docmill.Limits`)."""
        return Limits(
            max_text=self.max_text,
            max_line=self.max_line,
            max_expanded=self.max_expanded,
            max_ratio=self.max_ratio,
            max_pages=self.max_pages,
        )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls),
            PyprojectTomlConfigSettingsSource(settings_cls),
        )


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    with path.open("rb") as fh:
        return tomllib.load(fh)


def configured_order() -> dict[str, list[str]]:
    """The ``[order]`` table of the settings: hook name -> plugin names."""
    return Settings().order


#: Values set by :func:`override_plugin_settings` (tests), applied over everything.
_overrides: dict[str, dict[str, Any]] = {}
#: True inside ``override_plugin_settings(..., isolate=True)``: files and env are ignored.
_isolated: list[bool] = []
#: Bumped whenever overrides start or end, so managers know to validate again.
_generation: list[int] = [0]


def settings_generation() -> int:
    """A number that changes whenever :func:`override_plugin_settings` starts or ends."""
    return _generation[0]


@contextmanager
def override_plugin_settings(
    values: Mapping[str, Mapping[str, Any]], isolate: bool = False
) -> Iterator[None]:
    """Set plugin settings (``{"NAME": {"key": value}}``) for the duration of a block.

    Meant for tests: the values take precedence over files and environment (with
    ``isolate``, files and environment are ignored altogether, so a test does not
    depend on the folder it runs in), are validated like any other, and are gone
    (with :func:`plugin_settings`'s cache) when the block ends.
    """
    saved = {name: dict(table) for name, table in _overrides.items()}
    for name, table in values.items():
        _overrides.setdefault(name, {}).update(table)
    _isolated.append(isolate)
    _generation[0] += 1
    plugin_settings.cache_clear()
    try:
        yield
    finally:
        _isolated.pop()
        _overrides.clear()
        _overrides.update(saved)
        _generation[0] += 1
        plugin_settings.cache_clear()


def _env_value(value: str) -> Any:
    """An environment value: JSON when it is a JSON list or object, else the string."""
    if value.lstrip().startswith(("[", "{")):
        try:
            return json.loads(value)
        except ValueError:
            pass
    return value


def raw_plugin_settings(cwd: Path | None = None) -> dict[str, dict[str, Any]]:
    """The ``[plugins.NAME]`` tables and ``DOCMILL_PLUGINS__NAME__KEY`` variables, merged."""
    here = cwd or Path.cwd()
    merged: dict[str, dict[str, Any]] = {}
    if _isolated and _isolated[-1]:
        return {name: dict(table) for name, table in _overrides.items()}
    pyproject = _read_toml(here / "pyproject.toml").get("tool", {}).get("docmill", {})
    for source in (pyproject.get("plugins", {}), _read_toml(here / CONFIG_FILE).get("plugins", {})):
        for name, table in source.items():
            if isinstance(table, dict):
                merged.setdefault(name, {}).update(table)
    prefix = "DOCMILL_PLUGINS__"
    for key, value in sorted(os.environ.items()):
        if key.upper().startswith(prefix):
            name, _, field = key[len(prefix) :].partition("__")
            if name and field:
                merged.setdefault(name.lower(), {})[field.lower()] = _env_value(value)
    for name, table in _overrides.items():
        merged.setdefault(name, {}).update(table)
    return merged


@cache
def plugin_settings(name: str, model: type[M]) -> M:
    """The validated settings of plugin ``name`` (defaults where nothing is set).

    Cached per process. A plugin does not need this: its stage hooks receive their
    settings as the ``settings`` argument, found by the name it is registered under.
    """
    return model.model_validate(raw_plugin_settings().get(name, {}))


def _known_keys(model: type[BaseModel]) -> set[str]:
    keys = set()
    for field_name, info in model.model_fields.items():
        keys.add(field_name)
        if isinstance(info.alias, str):
            keys.add(info.alias)
    return keys


class PluginSettingsError(ValueError):
    """A plugin's settings do not validate; the message names the plugin and fields."""

    def __init__(self, plugin: str, errors: str) -> None:
        super().__init__(f"invalid settings for plugin {plugin!r}: {errors}")
        self.plugin = plugin


def check_plugin_settings(
    declared: Iterable[tuple[str, Callable[..., Any]]],
) -> dict[str, BaseModel]:
    """Validate every plugin's settings (``Manager.ordered("settings_model")``) now.

    Returns name -> validated settings, read afresh (files, environment,
    overrides); raises :class:`PluginSettingsError` on the first plugin whose
    settings do not validate, or that are given a key its model does not have (a
    misspelled setting must not be ignored silently).
    """
    result: dict[str, BaseModel] = {}
    raw = raw_plugin_settings()
    for name, fn in declared:
        model = fn()
        if model is None:
            continue
        unknown = sorted(set(raw.get(name, {})) - _known_keys(model))
        if unknown and model.model_config.get("extra") != "allow":
            known = ", ".join(sorted(model.model_fields)) or "none"
            raise PluginSettingsError(
                name, f"unknown setting(s) {', '.join(unknown)} (known: {known})"
            )
        try:
            result[name] = model.model_validate(raw.get(name, {}))
        except ValidationError as exc:
            errors = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
            )
            raise PluginSettingsError(name, errors) from None
    return dict(sorted(result.items()))
