"""Command-line options shared by several commands (run, serve, show, …)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

OutOption = Annotated[Path | None, typer.Option("--out", "-o", help="Output folder.")]
BatchSizeOption = Annotated[
    int | None, typer.Option("--batch-size", min=1, help="Documents per task run.")
]
PluginOption = Annotated[
    list[str] | None, typer.Option("-p", help="no:NAME disables plugin NAME (repeatable).")
]
FullOption = Annotated[
    bool, typer.Option("--full", help="Process every document on every run (no reuse).")
]
