"""The ``docmill`` command line: a Typer app, one module per command group.

:mod:`~docmill.cli.app` holds the app, its entry point :func:`main` and what the
commands share; importing this package registers every command on it. The CLI
is the top layer: no other docmill module imports it.
"""

from docmill.cli import inspect, plugins, report, run, schedules, serve, server, validate
from docmill.cli.app import (
    EXIT_ENVIRONMENT,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_PLUGIN_ERRORS,
    EXIT_REJECTS,
    EXIT_USAGE,
    add_plugin_commands,
    app,
    main,
)

__all__ = [
    "EXIT_ENVIRONMENT",
    "EXIT_INVALID",
    "EXIT_OK",
    "EXIT_PLUGIN_ERRORS",
    "EXIT_REJECTS",
    "EXIT_USAGE",
    "add_plugin_commands",
    "app",
    "inspect",
    "main",
    "plugins",
    "report",
    "run",
    "schedules",
    "serve",
    "server",
    "validate",
]
