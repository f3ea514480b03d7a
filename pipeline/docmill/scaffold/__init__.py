"""``docmill plugins new NAME``: a plugin package that installs and passes its tests at once.

The package is a folder ``docmill-NAME/`` holding a ``pyproject.toml`` with the
``docmill`` entry point, one module ``docmill_NAME.py`` with a working, commented
implementation of the chosen kind's hook, tests that use :mod:`docmill.testing`
and docmill's pytest fixtures, and a README. ``pip install -e docmill-NAME`` makes
it appear in ``docmill plugins`` straight away.

The files are rendered from real template files shipped with docmill
(``docmill/scaffold/templates/<kind>/``, read with :mod:`importlib.resources`),
with ``${placeholder}`` substitution (:class:`string.Template`). A ``NAME`` may use
hyphens: ``my-plugin`` makes the folder and distribution ``docmill-my-plugin``, the
module ``docmill_my_plugin`` and the plugin name ``my_plugin`` (what users type in
``-p no:NAME``, ``[plugins.NAME]`` and ``DOCMILL_PLUGINS__NAME__KEY``).
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from string import Template

from pydantic import create_model

from docmill.plugins import __version__
from docmill.records import DocRecord

#: The kinds of plugin a scaffold starts from, and the hook each implements.
HOOKS: dict[str, str] = {
    "load": "load",
    "clean": "clean",
    "segment": "segment",
    "extract": "extract",
    "validate": "validate",
    "export": "export_sink",
}
KINDS: tuple[str, ...] = tuple(HOOKS)
#: Kept for callers of the first scaffold, which called kinds "stages".
STAGES = KINDS

_NAME = re.compile(r"[a-z][a-z0-9]*(?:[_-][a-z0-9]+)*")


class ScaffoldError(ValueError):
    """The plugin name, the kind or the target folder cannot be used."""


def _requires() -> str:
    """``docmill>=X.Y,<X.Y+1``: the minor series this docmill belongs to."""
    parts = __version__.split("+")[0].split(".")
    try:
        major, minor = int(parts[0]), int(parts[1])
    except (IndexError, ValueError):
        return "docmill"
    return f"docmill>={major}.{minor},<{major}.{minor + 1}"


def _record_kind(name: str) -> str:
    """The record kind an extractor named ``name`` declares (``tariffs`` -> ``tariff``)."""
    return name[:-1] if name.endswith("s") and not name.endswith("ss") and len(name) > 3 else name


def plugin_name(name: str) -> str:
    """The plugin (entry-point) name for a ``NAME`` argument: hyphens become ``_``.

    Raises :class:`ScaffoldError` for a name that cannot become a module name.
    """
    if not _NAME.fullmatch(name):
        raise ScaffoldError(
            f"plugin name {name!r}: use lowercase letters and digits, starting with a "
            "letter, words joined by '-' or '_' (my-plugin makes docmill-my-plugin with "
            "the module docmill_my_plugin)"
        )
    return name.replace("-", "_")


def next_steps(name: str, kind: str, folder: str | Path | None = None) -> list[str]:
    """Shell commands that take a freshly made package from files to a tested plugin.

    Every command works as printed, run from the folder the package was made in
    (``folder`` defaults to ``docmill-NAME``).
    """
    plugin = plugin_name(name)
    where = str(folder) if folder is not None else f"docmill-{plugin.replace('_', '-')}"
    steps = [
        f"pip install -e {where}",
        f"docmill plugins --hook {HOOKS[kind]}",
        "pytest -q" if where == "." else f"(cd {where} && pytest -q)",
    ]
    if kind == "segment":
        steps.append(
            "docmill run -p no:segment_text PATH   "
            "# replaces the built-in segmenter (or disable = [\"segment_text\"] in docmill.toml)"
        )
    else:
        steps.append("docmill run PATH")
    return steps


def _template(*parts: str) -> Template:
    path = resources.files("docmill.scaffold").joinpath("templates", *parts)
    return Template(path.read_text(encoding="utf-8"))


def render(name: str, kind: str) -> dict[str, str]:
    """The files of a new plugin package: relative path -> content.

    Raises :class:`ScaffoldError` for a bad name or an unknown kind.
    """
    plugin = plugin_name(name)
    if kind not in HOOKS:
        raise ScaffoldError(f"no scaffold for {kind!r} (choose from {', '.join(KINDS)})")
    record_kind = _record_kind(plugin)
    module = f"docmill_{plugin}"
    values = {
        "name": plugin,
        "dist": plugin.replace("_", "-"),
        "module": module,
        "upper": plugin.upper(),
        "kind": kind,
        "hook": HOOKS[kind],
        "kind_name": record_kind,
        "Kind": "".join(part.title() for part in record_kind.split("_")),
        "file": create_model("Kind", __base__=DocRecord, kind=(str, record_kind)).file_name(),
        "requires": _requires(),
    }
    values["steps"] = "\n".join(next_steps(plugin, kind, "."))
    return {
        "pyproject.toml": _template("common", "pyproject.toml.tmpl").substitute(values),
        "README.md": _template("common", "README.md.tmpl").substitute(values),
        f"{module}.py": _template(kind, "module.py.tmpl").substitute(values),
        f"tests/test_{plugin}.py": _template(kind, "test.py.tmpl").substitute(values),
    }


def scaffold(name: str, kind: str = "extract", parent: Path | None = None) -> Path:
    """Write a new plugin package ``docmill-NAME/`` below ``parent`` and return its folder.

    Raises :class:`ScaffoldError` for a bad name or kind, or when the folder exists.
    """
    files = render(name, kind)
    folder = (parent or Path.cwd()) / f"docmill-{plugin_name(name).replace('_', '-')}"
    if folder.exists():
        raise ScaffoldError(f"{folder} already exists")
    for rel, content in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    return folder
