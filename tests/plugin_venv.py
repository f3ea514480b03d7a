"""A throw-away virtual environment that sees this docmill, for tests that pip install.

``python -m venv`` of the project's interpreter plus two ``.pth`` files: the first
puts this checkout's source roots (``pipeline/``, ``plugins/``) on ``sys.path`` and
comes with a ``docmill`` dist-info carrying this checkout's version and entry points
(the ``pytest11`` plugin among them), so the venv runs the code under test even when
the project venv's editable install points at another checkout; the second adds the
project venv's site-packages (``site.addsitedir``) for every dependency. Creating
one takes well under a second, and packages installed into it (``pip install -e``)
never touch the project's venv. ``bin/`` gets ``pip``, ``docmill`` and ``pytest``
commands, as an activated venv would have.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_SHIMS = {
    "pip": '-m pip "$@"',
    "docmill": '-m docmill "$@"',
    "pytest": '-m pytest -p no:cacheprovider "$@"',
}


class Venv:
    """A throw-away venv at ``root`` whose ``bin`` holds python, pip, docmill, pytest."""

    def __init__(self, root: Path, prefect_api_url: str | None = None) -> None:
        self.root = root
        subprocess.run(
            [sys.executable, "-m", "venv", "--without-pip", str(root)], check=True, timeout=60
        )
        self.bin = root / "bin"
        self.python = self.bin / "python"
        purelib = subprocess.run(
            [str(self.python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        _install_checkout(Path(purelib))
        parent = sysconfig.get_paths()["purelib"]
        Path(purelib, "docmill-parent.pth").write_text(
            f"import site; site.addsitedir({parent!r})\n", encoding="utf-8"
        )
        for name, args in _SHIMS.items():
            shim = self.bin / name
            shim.write_text(f'#!/bin/sh\nexec "{self.python}" {args}\n', encoding="utf-8")
            shim.chmod(0o755)
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOCMILL_")}
        env.update(
            PATH=f"{self.bin}{os.pathsep}{env.get('PATH', '')}",
            VIRTUAL_ENV=str(root),
            PIP_DISABLE_PIP_VERSION_CHECK="1",
            PYTHONDONTWRITEBYTECODE="1",
        )
        env.pop("PYTHONPATH", None)
        if prefect_api_url:
            env["PREFECT_API_URL"] = prefect_api_url
        self.env = env

    def sh(self, script: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """Run a shell script with this venv active; raise with its output when it fails."""
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise AssertionError(
                f"exit {done.returncode} from:\n{script}\n--- stdout\n{done.stdout}"
                f"\n--- stderr\n{done.stderr[-4000:]}"
            )
        return done


def _install_checkout(purelib: Path) -> None:
    """This checkout as the venv's ``docmill``: source roots on sys.path, and metadata."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    roots = [ROOT / "pipeline", ROOT / "plugins"]
    (purelib / "docmill-checkout.pth").write_text(
        "".join(f"{root}\n" for root in roots), encoding="utf-8"
    )
    dist = purelib / f"docmill-{project['version']}.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: docmill\nVersion: {project['version']}\n",
        encoding="utf-8",
    )
    groups = {"console_scripts": project.get("scripts", {}), **project.get("entry-points", {})}
    (dist / "entry_points.txt").write_text(
        "".join(
            f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in entries.items()) + "\n"
            for group, entries in groups.items()
        ),
        encoding="utf-8",
    )


def harness_api_url() -> str:
    """The API URL of the Prefect test harness this process runs (inside ``prefect_api``)."""
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    assert url, "no Prefect API: use the prefect_api fixture"
    return str(url)
