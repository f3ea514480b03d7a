"""Faults around a run (the disk, the output folder, Prefect's home and API), in one sentence.

A run that fails because of its environment rather than its input or its plugins
ends like a database transaction: the ``.partial-*`` folder is removed, nothing
is published, ``LATEST`` stays where it was. :func:`describe` turns the
exception that ended it into one sentence saying what failed, where, that
nothing was published and what to do; the command line prints it and exits with
its own code (``EXIT_ENVIRONMENT``), the traceback only with ``-v``. Anything it
does not recognise is left to the caller (an unexpected error).

:func:`check_prefect_home` and :func:`check_output` find the faults that can be
seen before any work (a Prefect home or output folder that cannot be written),
so they fail at once instead of after Prefect's temporary API has started (or
has timed out failing to start).
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

#: errno values that mean the disk (or the process's file-size limit) is full.
_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
#: errno values that mean a folder cannot be written or created.
_REFUSED = {errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOTDIR, errno.EEXIST, errno.ENOENT}

NOTHING_PUBLISHED = "nothing was published and LATEST was not moved"


class EnvironmentFault(Exception):
    """A fault around a run, found before any work; ``str()`` is the sentence for the user."""


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc``, its causes and contexts, and the members of exception groups, each once."""
    todo, seen = [exc], set()
    while todo:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if isinstance(current, BaseExceptionGroup):
            todo.extend(current.exceptions)
        for nxt in (current.__cause__, current.__context__):
            if nxt is not None:
                todo.append(nxt)


def _inside(path: str | os.PathLike[str] | None, folder: Path) -> bool:
    if not path:
        return False
    try:
        Path(os.path.abspath(path)).relative_to(os.path.abspath(folder))
    except ValueError:
        return False
    return True


def _creates(path: str | os.PathLike[str] | None, folder: Path) -> bool:
    """True when ``path`` is ``folder`` or one of the folders above it (made on the way)."""
    if not path:
        return False
    target = Path(os.path.abspath(folder))
    return Path(os.path.abspath(path)) in (target, *target.parents)


def prefect_home() -> Path:
    """Prefect's home folder as this process sees it."""
    from docmill.orchestration.environment import default_prefect_home

    return Path(os.environ.get("PREFECT_HOME") or default_prefect_home()).expanduser()


def _os_fault(exc: OSError, out: Path) -> str | None:
    reason = exc.strerror or type(exc).__name__
    where = exc.filename or out
    home = prefect_home()
    if exc.errno in _FULL:
        return (
            f"docmill: {reason} writing {where}; the run was stopped and {NOTHING_PUBLISHED}: "
            f"free some space (or raise the file-size limit) or pass --out on another disk, "
            "then run again"
        )
    if exc.errno not in _REFUSED:
        return None
    if _inside(exc.filename, home) or _creates(exc.filename, home):
        return (
            f"docmill: Prefect's home folder {home} cannot be written ({reason}: {where}); "
            f"{NOTHING_PUBLISHED}: set PREFECT_HOME to a writable folder or make it "
            "writable, then run again"
        )
    if _creates(exc.filename, out) and not out.is_dir():
        return (
            f"docmill: the output folder {out} cannot be created ({reason}: {where}); "
            f"{NOTHING_PUBLISHED}: pass --out a folder that can be created, then run again"
        )
    if _inside(exc.filename, out) or _creates(exc.filename, out):
        return (
            f"docmill: the output folder {out} cannot be written ({reason}: {where}); "
            f"{NOTHING_PUBLISHED}: make it writable or pass --out another folder, "
            "then run again"
        )
    return None


def _api_fault(exc: BaseException) -> str | None:
    import httpx

    if isinstance(exc, httpx.HTTPStatusError) and exc.response.status_code in (404, 405):
        url = str(exc.request.url.copy_with(path="/", query=None))
        return (
            f"docmill: the Prefect API at {url} answered {exc.response.status_code} "
            f"(is something else using that address or port?); {NOTHING_PUBLISHED}: point "
            "PREFECT_API_URL at a Prefect server (or unset it), then run again"
        )
    if isinstance(exc, httpx.HTTPStatusError) and exc.response.status_code >= 500:
        url = str(exc.request.url.copy_with(path="/", query=None))
        return (
            f"docmill: the Prefect API at {url} failed ({exc.response.status_code}); "
            f"{NOTHING_PUBLISHED}: check the Prefect server and its log, then run again"
        )
    if isinstance(exc, httpx.TransportError):
        try:
            url = str(exc.request.url.copy_with(path="/", query=None))
        except RuntimeError:  # an error raised without its request
            url = os.environ.get("PREFECT_API_URL") or "its address"
        return (
            f"docmill: the Prefect API at {url} stopped answering ({type(exc).__name__}: "
            f"{exc or 'no answer'}); the run was stopped and {NOTHING_PUBLISHED}: "
            "start the Prefect server again (or unset PREFECT_API_URL), then run again"
        )
    return None


def describe(exc: BaseException, out: Path) -> str | None:
    """One sentence for the environment fault that ended a run writing under ``out``, or None.

    Looks through ``exc``'s causes and contexts (Prefect re-raises, Python chains)
    for a full disk, an output folder or Prefect home that cannot be written or
    created, a Prefect API that stopped answering or is not a Prefect API, and a
    local Prefect server that did not start.
    """
    from docmill.orchestration.server import ServerError

    for current in _chain(exc):
        if isinstance(current, EnvironmentFault):
            return str(current)
        if isinstance(current, ServerError):
            return (
                f"docmill: {current}; {NOTHING_PUBLISHED}: free the port (setting "
                "server_port) or see the server's log, then run again"
            )
        if isinstance(current, OSError):
            found = _os_fault(current, out)
            if found:
                return found
        found = _api_fault(current)
        if found:
            return found
        if isinstance(current, RuntimeError) and "ephemeral Prefect API server" in str(current):
            return (
                f"docmill: Prefect's temporary API did not start ({str(current)[:200]}); "
                f"{NOTHING_PUBLISHED}: check that {prefect_home()} is writable and see "
                "-v, then run again"
            )
    return None


def _probe(folder: Path) -> None:
    """Create ``folder`` (and its parents) and a file in it, removed again; OSError if not."""
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=".docmill-probe-", dir=folder)
    os.close(fd)
    os.unlink(name)


def check_prefect_home() -> None:
    """Raise :class:`EnvironmentFault` unless Prefect's home folder can be created and written."""
    home = prefect_home()
    try:
        _probe(home)
    except OSError as exc:
        if exc.filename is None or _inside(exc.filename, home):
            exc.filename = str(home)
        raise EnvironmentFault(_os_fault(exc, home) or str(exc)) from exc


def check_output(out: Path) -> None:
    """Raise :class:`EnvironmentFault` unless the output folder can be created and written."""
    try:
        _probe(out)
    except OSError as exc:
        if exc.filename is None or _inside(exc.filename, out):  # the probe file: name the folder
            exc.filename = str(out)
        raise EnvironmentFault(_os_fault(exc, out) or str(exc)) from exc


def api_gone(exc: BaseException) -> bool:
    """True when ``exc`` (or what it came from) is the Prefect API not answering at all."""
    import httpx

    return any(isinstance(current, httpx.TransportError) for current in _chain(exc))


def stop_temporary_servers() -> None:
    """Stop the temporary API servers Prefect started in this process (before ``os._exit``)."""
    try:
        from prefect.server.api.server import SubprocessASGIServer
    except ImportError:
        return
    for server in list(SubprocessASGIServer._instances.values()):
        try:
            server.stop()
        except Exception:  # it is gone already: nothing to stop
            continue
