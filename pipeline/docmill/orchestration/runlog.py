"""What a run says as it goes, at INFO on its Prefect flow-run logger: the UI shows it.

Batches written, the summary, reuse counts, every reject and every plugin error
(the first :data:`MAX_LINES` of each). docmill's Prefect defaults
(:mod:`docmill.orchestration.environment`) send INFO to the API but only
warnings to the console, so the terminal stays quiet; ``docmill run -v`` prints
them too.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import orjson

#: Rejects and plugin errors logged one by one; the rest are counted.
MAX_LINES = 20
#: The ``code`` of the finding that stands for a plugin's failed contribution.
PLUGIN_ERROR = "plugin-error"


def run_logger() -> logging.Logger | logging.LoggerAdapter[logging.Logger]:
    """The flow run's logger (to the API), or ``docmill``'s outside a flow run."""
    from prefect.exceptions import MissingContextError
    from prefect.logging import get_run_logger

    try:
        return get_run_logger()
    except MissingContextError:
        return logging.getLogger("docmill")


def batch_written(number: int, batches: int, done: int, total: int) -> None:
    run_logger().info(
        "batch %d of %d written: %d of %d documents done", number, batches, done, total
    )


def started(total: int, todo: int, batches: int, folder: Path) -> None:
    reused = total - todo
    run_logger().info(
        "%d inputs: %d to process in %d batches, %d reused from earlier runs; run folder %s",
        total, todo, batches, reused, folder,
    )


def finished(summary: dict[str, Any], folder: Path) -> None:
    """The summary, then each reject and plugin error of the finished run in ``folder``."""
    log = run_logger()
    counts = ", ".join(f"{n} {kind}" for kind, n in summary.get("counts", {}).items() if n)
    cache = summary.get("cache") or {}
    log.info(
        "%d documents, %d rejects in %.1fs (%s); reused %s, processed %s -> %s",
        summary.get("documents", 0), summary.get("rejects", 0), summary.get("seconds", 0.0),
        counts or "no records", cache.get("reused", 0), cache.get("reprocessed", 0), folder,
    )
    files = summary.get("files", {})
    _each(log, folder / files.get("reject", "rejects.jsonl"), "reject", _reject_line)
    _each(log, folder / files.get("finding", "findings.jsonl"), "plugin error", _error_line)


def _reject_line(record: dict[str, Any]) -> str | None:
    return f"reject {record.get('source')}: {record.get('stage')}: {record.get('error')}"


def _error_line(record: dict[str, Any]) -> str | None:
    if record.get("code") != PLUGIN_ERROR:
        return None
    return f"plugin error in {record.get('doc_id')}: {record.get('message')}"


def _each(
    log: logging.Logger | logging.LoggerAdapter[logging.Logger],
    path: Path,
    what: str,
    line_of: Any,
) -> None:
    if not path.is_file():
        return
    shown = more = 0
    with path.open("rb") as fh:
        for raw in fh:
            if what == "plugin error" and PLUGIN_ERROR.encode() not in raw:
                continue
            line = line_of(orjson.loads(raw))
            if line is None:
                continue
            if shown < MAX_LINES:
                log.info(line)
                shown += 1
            else:
                more += 1
    if more:
        log.info("... and %d more %ss (see %s)", more, what, path.name)
