"""Where Debian's Chromium is and the flags it needs here, for the report's browser
tests (tests/test_report_browser.py) and scripts/bench_report.py.

Chromium is installed by ``scripts/ensure-chromium.sh`` (``make pytest`` runs it);
``DOCMILL_CHROMIUM`` names another binary.
"""

from __future__ import annotations

import os
import shutil

CHROMIUM = os.environ.get("DOCMILL_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
#: Flags this machine needs (closed network, root, no GPU); Playwright adds --headless.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
