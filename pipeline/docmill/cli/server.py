"""``docmill server``: the background Prefect server runs reuse: status, start, stop.

The first ``docmill run`` without ``PREFECT_API_URL`` starts it (in
``PREFECT_HOME``); it stops itself after ``server_idle_timeout`` seconds without
a run. None of these commands imports Prefect.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import typer

from docmill.cli.app import app, err, load_settings

server_app = typer.Typer(
    name="server",
    help="The background Prefect server `docmill run` starts once and reuses: "
    "status, start, stop.",
    no_args_is_help=True,
)


def _home() -> Path:
    from docmill.orchestration.environment import configure

    configure()  # PREFECT_HOME: yours, else docmill's default
    return Path(os.environ["PREFECT_HOME"]).resolve()


def _ago(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f}s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


@server_app.command("status")
def status_command() -> None:
    """Say whether the background server runs: its UI and API, pid, uptime, idle time."""
    from docmill.orchestration import background

    home = _home()
    state, idle = background.status(home)
    if state is None:
        typer.echo(f"not running (PREFECT_HOME {home}); the next `docmill run` starts it")
        return
    stops = (
        f"stops after {_ago(state.idle_timeout)} without runs"
        if state.idle_timeout > 0
        else "stops only with `docmill server stop`"
    )
    typer.echo(f"running: UI {state.ui_url}, API {state.api_url}")
    typer.echo(f"  keeper pid {state.pid}, PREFECT_HOME {state.home}, log {home / 'server.log'}")
    last = f"last used {_ago(idle)} ago, " if idle is not None else ""
    typer.echo(f"  up {_ago(time.time() - state.started)}, {last}{stops}")


@server_app.command("start")
def start_command() -> None:
    """Start the background server now (runs start it when they need it)."""
    from docmill.orchestration import background
    from docmill.orchestration.server import ServerError

    settings = load_settings()
    home = _home()
    try:
        state = background.begin(home, settings.server_port, settings.server_idle_timeout).wait()
    except ServerError as exc:
        err(f"docmill: {exc}")
        raise typer.Exit(1) from None
    typer.echo(f"running: UI {state.ui_url}, API {state.api_url}")


@server_app.command("stop")
def stop_command() -> None:
    """Stop the background server (a run that is using it fails)."""
    from docmill.orchestration import background

    home = _home()
    state = background.stop(home)
    if state is None:
        typer.echo(f"not running (PREFECT_HOME {home})")
        return
    typer.echo(f"stopped the Prefect server at {state.ui_url}")


app.add_typer(server_app, name="server")
