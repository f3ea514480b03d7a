"""``docmill schedules``: the served deployments, without the Prefect CLI; serve's options.

``docmill schedules list`` shows every deployment of the docmill flow (its
schedule, what it serves, the next run, runs late, the last result);
``pause``/``resume``/``delete NAME`` manage one. Like ``serve`` they use the
server at PREFECT_API_URL, else the local server of a ``docmill serve`` running
from this folder, else they start that local server for the command.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, TypeVar, cast

import typer

from docmill.cli.app import app, load_settings, usage
from docmill.orchestration.schedules import MISSED_RUNS_CHOICES, MissedRuns

if TYPE_CHECKING:
    from prefect.client.orchestration import PrefectClient

T = TypeVar("T")

#: ``docmill serve --name``: the deployment; default derived from inputs and output.
NameOption = Annotated[
    str | None,
    typer.Option(
        "--name",
        help="Deployment name (default: derived from the inputs and --out, so each "
        "configuration has its own schedule).",
    ),
]
#: ``docmill serve --missed-runs``.
MissedRunsOption = Annotated[
    str | None,
    typer.Option(
        "--missed-runs",
        help="Runs that came due while not served: 'one' catch-up run (default), 'all', 'none'.",
        show_default=False,
    ),
]


def missed_runs_choice(given: str | None, configured: MissedRuns) -> MissedRuns:
    """The ``--missed-runs`` value, else the setting; a usage error for anything else."""
    value = configured if given is None else given
    if value in MISSED_RUNS_CHOICES:
        return cast(MissedRuns, value)
    usage(f"--missed-runs takes one of {', '.join(MISSED_RUNS_CHOICES)}")


def _with_client(work: Callable[[PrefectClient], Awaitable[T]]) -> T:
    """Run ``work`` against the configured Prefect API or docmill's local server."""
    from docmill.orchestration.environment import configure
    from docmill.orchestration.server import prefect_api

    configure()
    settings = load_settings()
    with prefect_api(
        settings.server_home, settings.server_port, echo=False, reuse_running=True
    ):
        from prefect.client.orchestration import get_client

        async def run() -> T:
            async with get_client() as client:
                return await work(client)

        return asyncio.run(run())


def list_command() -> None:
    """Show the deployments of the docmill flow: schedule, inputs -> output, next and last run."""
    from docmill.orchestration.deployments import list_deployments

    found = _with_client(list_deployments)
    if not found:
        typer.echo("no deployments (start one with `docmill serve`)")
        return
    now = datetime.now(UTC)
    rows = [status.row(now) for status in found]
    headers = list(rows[0])
    widths = {h: max(len(h), *(len(r[h]) for r in rows)) for h in headers}
    typer.echo("  ".join(h.ljust(widths[h]) for h in headers).rstrip())
    for r in rows:
        typer.echo("  ".join(r[h].ljust(widths[h]) for h in headers).rstrip())


def _manage(verb: str, name: str) -> None:
    from docmill.orchestration import deployments

    action = {
        "pause": deployments.pause,
        "resume": deployments.resume,
        "delete": deployments.delete,
    }
    try:
        _with_client(lambda client: action[verb](client, name))
    except deployments.DeploymentNotFound as exc:
        usage(f"{exc} (see `docmill schedules list`)")
    done = {"pause": "paused", "resume": "resumed", "delete": "deleted"}[verb]
    typer.echo(f"{done} docmill/{name}")


DeploymentName = Annotated[str, typer.Argument(help="Deployment name, as `list` shows it.")]


def pause_command(name: DeploymentName) -> None:
    """Pause a deployment's schedule (no new runs; `docmill serve` of it resumes it)."""
    _manage("pause", name)


def resume_command(name: DeploymentName) -> None:
    """Resume a paused deployment's schedule."""
    _manage("resume", name)


def delete_command(name: DeploymentName) -> None:
    """Delete a deployment and its pending runs (the history of past runs stays)."""
    _manage("delete", name)


schedules_app = typer.Typer(
    name="schedules",
    help="The deployments `docmill serve` registered: list, pause, resume, delete.",
    no_args_is_help=True,
)
schedules_app.command(name="list")(list_command)
schedules_app.command(name="pause")(pause_command)
schedules_app.command(name="resume")(resume_command)
schedules_app.command(name="delete")(delete_command)
app.add_typer(schedules_app, name="schedules")
