"""``docmill plugins``: list the plugins, their order per hook, and scaffold a new one."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Annotated

import typer

from docmill.cli.app import app, err, load_settings, manager, usage

plugins_app = typer.Typer(help="List and manage plugins.", invoke_without_command=True)
app.add_typer(plugins_app, name="plugins")


@plugins_app.callback()
def plugins(
    ctx: typer.Context,
    all_: Annotated[bool, typer.Option("--all", help="Include disabled plugins.")] = False,
    hook: Annotated[str | None, typer.Option("--hook", help="Only plugins with this hook.")] = None,
) -> None:
    """Print the plugins as JSON: name, version, status, hooks."""
    if ctx.invoked_subcommand is not None:
        return
    mgr = manager(load_settings().disable)
    if hook is not None and not hasattr(mgr.pm.hook, hook):
        usage(f"no such hook: {hook}")
    typer.echo(json.dumps(mgr.listing(hook=hook, include_disabled=all_), indent=2))


@plugins_app.command("order")
def plugins_order() -> None:
    """Print, for every hook, the plugins implementing it in the order they run (JSON)."""
    mgr = manager(load_settings().disable)
    typer.echo(json.dumps(mgr.effective_order(), indent=2))


@plugins_app.command("new")
def plugins_new(
    name: Annotated[str, typer.Argument(help="Plugin name: lowercase letters, digits, - or _.")],
    stage: Annotated[
        str,
        typer.Option(
            "--stage", help="Kind to start from: load, clean, segment, extract, validate, export."
        ),
    ] = "extract",
    directory: Annotated[
        Path, typer.Option("--dir", help="Folder to create docmill-NAME/ in.")
    ] = Path("."),
) -> None:
    """Create a plugin package docmill-NAME/: pyproject with the entry point, module, test."""
    from docmill.plugins import build_manager
    from docmill.scaffold import ScaffoldError, next_steps, plugin_name, scaffold

    try:
        folder = scaffold(name, stage, directory)
    except ScaffoldError as exc:
        usage(str(exc))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        taken = plugin_name(name) in build_manager(order={}, warn=False).infos
    if taken:
        err(f"warning: a plugin named {name!r} is already installed; rename one of them")
    err("next:\n  " + "\n  ".join(next_steps(name, stage, folder)))
    typer.echo(str(folder))
