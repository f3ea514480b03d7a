#!/usr/bin/env bash
# Make sure Debian's Chromium is installed for the report's browser tests
# (tests/test_report_browser.py drive it with Playwright; no browser is downloaded).
#
# Idempotent and quiet: does nothing when Chromium is already there. As root with
# apt-get (CI, a fresh Debian machine) it installs the packages `chromium` and
# `fonts-liberation`. Otherwise it says how to install them and succeeds, and the
# browser tests skip with that reason -- unless DOCMILL_REQUIRE_BROWSER is set (CI
# sets it), in which case a missing browser is an error here and in the tests.
set -euo pipefail

chromium="${DOCMILL_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$chromium" ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: installing Debian's chromium for the browser tests" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null
  if [ -x "$chromium" ]; then
    exit 0
  fi
  echo "ensure-chromium: chromium installed but $chromium is missing" >&2
  exit 1
fi
echo "ensure-chromium: $chromium not found; install it with" \
  "'sudo apt-get install chromium fonts-liberation' (the browser tests skip without it)" >&2
if [ -n "${DOCMILL_REQUIRE_BROWSER:-}" ]; then
  exit 1
fi
exit 0
