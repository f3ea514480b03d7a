"""Which docmill versions a plugin supports, and whether this docmill is one of them.

A plugin declares them in its distribution's dependencies (``Requires-Dist:
docmill>=0.1,<0.2``, read without importing the plugin) or in its module
(``docmill_requires = ">=0.1,<0.2"``). Outside them it is refused with
:class:`IncompatiblePlugin` and listed as ``incompatible``.
"""

from __future__ import annotations

from importlib import metadata
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from docmill.hookspecs import PROJECT


def _version() -> str:
    try:
        return metadata.version(PROJECT)
    except metadata.PackageNotFoundError:  # running from a source tree
        return "0+unknown"


__version__ = _version()


class IncompatiblePlugin(Exception):
    """A plugin declares docmill versions that do not include this one."""


def is_entry_point(target: Any) -> bool:
    """An entry point from ``importlib.metadata`` or from the ``importlib_metadata`` backport.

    Once anything imports the backport (dask and distributed do), its finder sits on
    ``sys.meta_path`` and ``importlib.metadata.entry_points()`` may hand back the
    backport's EntryPoint class, which is not a subclass of the standard one.
    """
    return isinstance(target, metadata.EntryPoint) or all(
        hasattr(target, attr) for attr in ("name", "value", "group", "load")
    )


def dist_requirement(target: Any) -> str | None:
    """The docmill specifier in an entry point's distribution's ``Requires-Dist``."""
    dist = getattr(target, "dist", None) if is_entry_point(target) else None
    for line in (dist.requires or []) if dist is not None else []:
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        if canonicalize_name(req.name) != PROJECT:
            continue
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        return str(req.specifier) or None
    return None


def check_compatible(name: str, requires: str | None, where: str) -> None:
    """Raise :class:`IncompatiblePlugin` when ``requires`` excludes this docmill."""
    if not requires or __version__ == "0+unknown":
        return
    try:
        spec = SpecifierSet(requires)
    except InvalidSpecifier as exc:
        raise IncompatiblePlugin(
            f"invalid docmill version specifier {requires!r} ({where})"
        ) from exc
    if not spec.contains(__version__, prereleases=True):
        raise IncompatiblePlugin(
            f"plugin {name!r} supports docmill {requires} ({where}), but this is docmill "
            f"{__version__}: install a version of the plugin made for it, or disable it "
            f"with -p no:{name}"
        )
