"""The public API: `docmill` and `docmill.testing` are all a plugin author imports.

The built-in plugins, the example package, the code in the docs and the packages
`docmill plugins new` writes import only these two modules, so what they teach is
what stays stable; helper modules inside `docmill_builtins` may import each other.
"""

from __future__ import annotations

import ast
import importlib
import re
from collections.abc import Iterator

import pytest

from docmill.scaffold import KINDS, render
from tests.conftest import ROOT

PUBLIC = {"docmill", "docmill.testing"}
OURS = {"docmill", "docmill_builtins"}  # what the docmill distribution installs
FENCE = re.compile(r"^```python[^\n]*\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def isort_key(name: str) -> tuple[int, str]:
    """The order ruff's RUF022 keeps ``__all__`` in: CONSTANTS, Classes, functions."""
    if name.isupper():
        return (0, name)
    return (1, name) if name[:1].isupper() else (2, name)


@pytest.mark.parametrize("module_name", sorted(PUBLIC))
def test_all_is_sorted_and_every_name_exists(module_name: str) -> None:
    module = importlib.import_module(module_name)
    names = list(module.__all__)
    assert names == sorted(names, key=isort_key), f"{module_name}.__all__ is not sorted"
    assert len(set(names)) == len(names)
    missing = [name for name in names if not hasattr(module, name)]
    assert not missing, f"{module_name}.__all__ names what it does not have: {missing}"


def imported_modules(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, module) of every absolute import in a parsed file."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module


def private_imports(code: str, where: str, own: str | None = None) -> list[str]:
    """Imports of docmill's modules beyond the public two (``own`` package excepted)."""
    bad = []
    for line, module in imported_modules(ast.parse(code, where)):
        top = module.split(".")[0]
        if top == own:
            continue
        if top in OURS and module not in PUBLIC:
            bad.append(f"{where}:{line}: {module}")
    return bad


def sources() -> Iterator[tuple[str, str, str | None]]:
    """(where, code, own package) of everything that must import only the public API."""
    for path in sorted((ROOT / "plugins" / "docmill_builtins").rglob("*.py")):
        yield str(path.relative_to(ROOT)), path.read_text(encoding="utf-8"), "docmill_builtins"
    for path in sorted((ROOT / "examples").rglob("*.py")):
        own = path.relative_to(ROOT / "examples").parts[0].replace("-", "_")
        yield str(path.relative_to(ROOT)), path.read_text(encoding="utf-8"), own
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for i, block in enumerate(FENCE.findall(doc.read_text(encoding="utf-8"))):
            yield f"{doc.relative_to(ROOT)} (python block {i + 1})", block, None
    for kind in KINDS:
        for rel, text in render("demo", kind).items():
            if rel.endswith(".py"):
                yield f"docmill plugins new --kind {kind}: {rel}", text, "docmill_demo"


def test_builtins_examples_docs_and_scaffolds_import_only_the_public_api() -> None:
    checked, bad = 0, []
    for where, code, own in sources():
        bad += private_imports(code, where, own)
        checked += 1
    assert checked > 30
    assert not bad, "imports beyond docmill and docmill.testing:\n" + "\n".join(bad)


def test_the_check_catches_a_private_import() -> None:
    code = "import docmill\nfrom docmill.records import Span\nimport docmill.settings as s\n"
    assert private_imports(code, "x.py") == ["x.py:2: docmill.records", "x.py:3: docmill.settings"]
    assert private_imports("from docmill_builtins.entity_names import x\n", "y.py") == [
        "y.py:1: docmill_builtins.entity_names"
    ]
    assert not private_imports("from docmill_builtins import x\n", "z.py", "docmill_builtins")
    assert not private_imports("import docmill_money\nfrom docmill.testing import x\n", "t.py")


def test_importing_docmill_testing_and_its_pytest_plugin_does_not_import_prefect() -> None:
    import subprocess
    import sys

    code = (
        "import sys, docmill.testing, docmill.testing.pytest_plugin\n"
        "print(sorted(m for m in ('prefect', 'docmill.engine', 'spacy') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip() == "[]"
