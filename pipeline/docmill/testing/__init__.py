"""Test helpers for plugin authors: run plugins over a text or a file, or in the real flow.

:func:`run_plugins` drives one input through load, clean, segment, extract and
validate with the functions the real flow uses, on a real plugin manager holding
the plugins you pass plus the built-in loaders, cleaners, segmenter and span
validator — no Prefect, no NLP model; a test takes milliseconds::

    import docmill_money
    from docmill.testing import run_plugins

    result = run_plugins(("money", docmill_money), text="It cost $5.")
    assert [m.amount for m in result.records("money")] == [5.0]

Plugins are modules, objects, or ``(name, plugin)`` pairs (the name is what
``settings={"money": {...}}`` and ``[order]`` refer to). ``strict=True`` (the
default) makes a plugin that raises or returns a bad record fail the test with
:class:`PluginFailed`; ``strict=False`` returns the ``plugin-error`` finding (or the
reject) as a real run writes it.

:func:`run_flow` runs the real Prefect flow and reads the run folder back; the
pytest plugin shipped with docmill (:mod:`docmill.testing.pytest_plugin`) wraps it
in fixtures: ``docmill_prefect`` (one Prefect API per session) and ``docmill_run``.

Names are imported on first use, so importing this package (as pytest does when it
loads docmill's plugin) costs nothing until a helper is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from docmill.testing.flow import FlowResult, prefect_api, registered, run_flow
    from docmill.testing.unit import (
        BUILTINS,
        SUPPORT_PLUGINS,
        PluginArg,
        PluginFailed,
        Result,
        make_manager,
        run_plugins,
    )

_WHERE = {
    "BUILTINS": "unit",
    "FlowResult": "flow",
    "PluginArg": "unit",
    "PluginFailed": "unit",
    "Result": "unit",
    "SUPPORT_PLUGINS": "unit",
    "make_manager": "unit",
    "prefect_api": "flow",
    "registered": "flow",
    "run_flow": "flow",
    "run_plugins": "unit",
}

__all__ = [
    "BUILTINS",
    "SUPPORT_PLUGINS",
    "FlowResult",
    "PluginArg",
    "PluginFailed",
    "Result",
    "make_manager",
    "prefect_api",
    "registered",
    "run_flow",
    "run_plugins",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'docmill.testing' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"docmill.testing.{module}"), name)
    globals()[name] = value
    return value
