"""Write ``report.html``, the self-contained HTML report, into every run folder.

The same code path as ``docmill report RUN`` (:func:`docmill.report.write_report`),
run on the temporary run folder once every sink is closed. Disable it with
``-p no:export_report`` for runs that need no report.
"""

from __future__ import annotations

from typing import Any

from docmill import RunInfo, hookimpl, write_report


@hookimpl
def run_complete(run: RunInfo, manifest: dict[str, Any]) -> None:
    write_report(run.folder, manifest)
