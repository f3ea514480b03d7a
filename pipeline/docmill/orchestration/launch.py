"""Starting a run: check a request before any work, then run the flow once.

``docmill run``, ``docmill serve`` and :func:`docmill.run` start runs the same
way: :func:`plan_run` applies docmill's Prefect defaults, checks that the inputs
exist, resolves the task runner from settings and flags, builds the run's one
plugin manager (:func:`~docmill.orchestration.manager.fresh_manager`) and
validates every plugin's settings, raising :class:`UsageError` for anything
wrong before a run folder exists; :func:`execute` runs the flow. Prefect is
imported by :func:`execute`, not by this module, once the slow parts of a run's
start (plugin workers, the Prefect server) are on their way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from docmill.engine.workers import spare
from docmill.orchestration import runners, warmup
from docmill.orchestration.environment import configure
from docmill.orchestration.manager import Warn, checked_settings, fresh_manager
from docmill.plugins import Manager
from docmill.settings import PluginSettingsError, Settings
from docmill.sources import discover


class UsageError(ValueError):
    """A run refused before any work: a missing input, an unknown runner, bad settings."""


@dataclass(frozen=True)
class RunPlan:
    """A checked run: the flow's parameters, how to run it, and its plugin manager."""

    parameters: dict[str, Any]
    options: runners.RunnerOptions
    manager: Manager


def plan_run(
    paths: Sequence[str],
    settings: Settings,
    *,
    out: Path | None = None,
    include: Iterable[str] = (),
    exclude: Iterable[str] = (),
    disable: Iterable[str] = (),
    batch_size: int | None = None,
    full: bool = False,
    fail_fast: bool = False,
    runner: str | None = None,
    address: str | None = None,
    workers: int | None = None,
    in_flight: int | None = None,
    warn: Warn | None = None,
) -> RunPlan:
    """Check a run request and build its plugin manager; raises :class:`UsageError`.

    ``settings`` are docmill's (files and environment); every other argument that
    is not None wins over them, as a command-line flag does. ``disable`` adds to
    ``settings.disable``; ``fail_fast`` stops the run at the first plugin error
    (:class:`docmill.engine.PluginError`) instead of recording it. ``warn``
    receives set-up warnings (plugins skipped, settings for unknown plugins) as
    lines; without it they are Python warnings.
    """
    configure()
    include, exclude = list(include), list(exclude)
    try:
        discover(paths, include_globs=include, exclude_globs=exclude)
    except FileNotFoundError as exc:
        raise UsageError(str(exc)) from None
    try:
        options = runners.RunnerOptions.from_settings(
            settings, runner=runner, address=address, workers=workers, in_flight=in_flight
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    disabled = sorted(set(settings.disable) | set(disable))
    mgr = fresh_manager(disabled, warn=warn)
    try:
        checked_settings(mgr, warn)
    except PluginSettingsError as exc:
        raise UsageError(str(exc)) from None
    parameters: dict[str, Any] = {
        "paths": list(paths),
        "include": include,
        "exclude": exclude,
        "out": str(out or settings.out),
        "batch_size": batch_size or settings.batch_size,
        "disable": disabled,
        "max_bytes": settings.max_bytes,
        "time_limit": settings.time_limit,
        "time_per_mb": settings.time_per_mb,
        **asdict(settings.limits()),
        "full": full,
        "fail_fast": fail_fast,
        "in_flight": options.batches_in_flight,
        "workers": options.plugin_workers,
    }
    return RunPlan(parameters, options, mgr)


def prepare() -> None:
    """Start a plugin worker process before the run is even planned (a spare: its
    interpreter and imports overlap the caller's; the run's pool adopts it, see
    :mod:`docmill.engine.workers.spare`); :func:`end_early` ends it if unused."""
    spare.prespawn()


def begin(plan: RunPlan) -> None:
    """Start the run's plugin workers and its first batch now, before Prefect is imported
    (:mod:`docmill.orchestration.warmup`); :func:`execute` does it if this was not called.

    The command line calls it before anything imports Prefect; :func:`end_early`
    closes what it started if the run then fails before :func:`execute`.
    """
    if plan.options.runner != "local" or not warmup.start(plan.parameters):
        spare.discard()  # no plugin worker in this process: end the spare now


def end_early() -> None:
    """Close the workers :func:`prepare` and :func:`begin` started that no flow took."""
    warmup.discard()
    spare.discard()


def execute(plan: RunPlan, progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Run the flow of ``plan`` to completion and return its summary (the manifest).

    ``progress(done, total)`` is called after each batch is written. Exceptions of
    the flow run propagate; the run folder of a failed run is never published.

    The fixed cost of a run overlaps: the plugin workers start and run the first
    batch (loading their model, :func:`begin`) and the background Prefect server
    is found or started (:mod:`docmill.orchestration.run_api`) before Prefect is
    imported. Besides the manifest the summary has ``prefect_ui``, the flow run's
    page in the Prefect UI (None on the temporary API), and ``server_started``,
    the UI address of the background server when this run started it.
    """
    begin(plan)
    try:
        with runners.api(plan.options) as api:
            from docmill.orchestration import flow  # Prefect: imported while the rest starts

            api.ready()
            flow.set_progress(progress)
            try:
                summary: dict[str, Any] = runners.complete(
                    runners.flow_for(plan.options)(**plan.parameters)
                )
                flow.send_pending()
            finally:
                flow.set_progress(None)
    finally:
        warmup.discard()
    summary["prefect_ui"] = api.link(summary.get("flow_run_id"))
    summary["server_started"] = api.started.ui_url if api.started else None
    return summary
