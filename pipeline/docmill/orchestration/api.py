"""``docmill.run``: the pipeline from Python (notebooks, scripts), returning the run read back.

The same run as ``docmill run``: the same Prefect flow, Prefect defaults, checks
(inputs exist, settings and every plugin's settings validate), task runner
options and run folder; only the way it reports differs. Problems found before
any work raise :class:`~docmill.orchestration.launch.UsageError` (a
``ValueError``); plugin load warnings are Python warnings; the finished run is
returned as a :class:`~docmill.runs.read.Run`, the same view
:func:`docmill.read_run` gives of any run folder.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from docmill.engine.stages import record_kinds
from docmill.orchestration.launch import UsageError, execute, plan_run
from docmill.runs.read import Run, read_run
from docmill.settings import Settings

#: Settings that are not keyword arguments of :func:`run`: ``out`` is a parameter of
#: its own, ``order`` is read by every plugin manager from docmill.toml.
_NOT_KEYWORDS = frozenset({"out", "order"})


def run(
    paths: str | Path | Iterable[str | Path],
    out: str | Path | None = None,
    *,
    include: Iterable[str] = (),
    exclude: Iterable[str] = (),
    full: bool = False,
    **settings: Any,
) -> Run:
    """Run the inputs under ``paths`` through the pipeline into a new run folder below ``out``.

    ``paths`` is one path or several: files, folders, glob patterns, ``@LIST``
    files, as on the command line. ``out`` defaults to the ``out`` setting
    (``outputs``). ``settings`` are docmill's settings as keywords (``batch_size``,
    ``disable``, ``max_bytes``, ``time_limit``, ``runner``, ``address``,
    ``workers``, ``in_flight``, ``server_home``, ``server_port``); they win over
    docmill.toml and ``DOCMILL_*`` as flags do. Plugin settings come from
    docmill.toml and the environment. ``include``/``exclude`` filter the inputs
    by glob; ``full`` processes every document again instead of reusing an
    earlier run's records.

    Returns the run: ``.folder``, ``.manifest`` (typed) and ``.records(kind)``,
    an iterator of record models (plugins' kinds included). Works inside a
    running event loop (a notebook) too. Raises ``UsageError`` (a ``ValueError``)
    for a missing input or an invalid setting, before any run folder exists.
    """
    path_list = [str(paths)] if isinstance(paths, (str, Path)) else [str(p) for p in paths]
    plan = plan_run(
        path_list,
        _settings(settings),
        out=Path(out) if out is not None else None,
        include=include,
        exclude=exclude,
        full=full,
    )
    summary = execute(plan)
    return read_run(summary["folder"], kinds=record_kinds(plan.manager))


def _settings(values: dict[str, Any]) -> Settings:
    """docmill's settings with ``values`` winning; unknown names and bad values raise."""
    known = sorted(set(Settings.model_fields) - _NOT_KEYWORDS)
    for name in values:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise TypeError(
                f"docmill.run() got an unknown setting {name!r}{hint}; "
                f"settings: {', '.join(known)}"
            )
    try:
        return Settings(**values)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise UsageError(f"invalid settings: {problems}") from None
