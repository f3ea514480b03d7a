"""Restarting ``docmill serve``: a new configuration takes effect at once, missed runs follow
the policy, and configurations served from one folder keep their own schedules.

One real ``prefect server start`` for the module (PREFECT_API_URL for every
command, as an operator with a server would run them); each ``docmill serve``
is started as a user would start it and stopped with Ctrl-C to its process
group. What happened is read back from the run folders and the server's own
database.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from docmill.orchestration.schedules import deployment_name
from docmill.orchestration.server import LocalServer, healthy
from docmill.runs.folder import MANIFEST
from tests.conftest import SEEDS
from tests.waiting import DEADLINE, wait_until

pytestmark = [pytest.mark.flow, pytest.mark.slow]

DOCMILL = Path(sys.executable).with_name("docmill")
#: Seconds between two reads of the server's database while waiting (it serves the runs).
POLL = 0.5


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    local = LocalServer(tmp_path_factory.mktemp("server"), port=0)
    local.start()
    try:
        yield local
    finally:
        local.stop()


@pytest.fixture(autouse=True)
def _deployments_deleted(server: LocalServer) -> Iterator[None]:
    """Each test's deployments are deleted after it, with the runs they still had scheduled.

    ``docmill serve`` leaves its schedule active when stopped (so the next serve
    catches up): left on the module's server, every 2-s schedule of an earlier test
    would go on making runs that the server marks Late, hundreds a minute, and its
    database lock errors would slow every later test (the last one most).
    """
    yield
    if server.process is None or not healthy(server.api_url):
        return
    asyncio.run(_delete_deployments(server.api_url))


async def _delete_deployments(api_url: str) -> None:
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: api_url}):
        async with get_client() as client:
            for deployment in await client.read_deployments():
                await client.delete_deployment(deployment.id)


def _env(server: LocalServer, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API_")}
    env.update(
        PREFECT_API_URL=server.api_url,
        PREFECT_HOME=str(tmp_path / "client-home"),
        PREFECT_RUNNER_POLL_FREQUENCY="1",
        DOCMILL_DISABLE_PLUGINS="extract_entities",  # no model load: the schedule is under test
        DOCMILL_TIME_LIMIT="0",  # plugins in the flow-run process: one process less per run
    )
    return env


class Served:
    """One ``docmill serve`` process in its own session; ``stop`` is Ctrl-C."""

    def __init__(self, tmp_path: Path, server: LocalServer, label: str, *args: str) -> None:
        self.log_path = tmp_path / f"serve-{label}.log"
        self.started = datetime.now(UTC)
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                [str(DOCMILL), "serve", *args],
                cwd=tmp_path,
                env=_env(server, tmp_path),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def output(self) -> str:
        return self.log_path.read_text()

    def wait_for(self, condition: Callable[[], object], what: str) -> None:
        """Until ``condition()``; fails with serve's output if serve exits first."""
        wait_until(condition, what, proc=self.proc, output=lambda: self.output, poll=POLL)

    def stop(self) -> str:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(timeout=90)
            finally:
                if self.proc.poll() is None:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                    self.proc.wait()
        assert self.proc.returncode == 0, self.output
        assert "docmill: stopped" in self.output
        return self.output


def _corpus(tmp_path: Path, name: str, seed: str) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    shutil.copy(SEEDS / seed, folder)
    return folder


def _complete_runs(out: Path) -> set[str]:
    return {p.parent.name for p in out.glob(f"*/{MANIFEST}") if not p.parent.name.startswith(".")}


def _flow_runs(server: LocalServer, deployment: str) -> list[dict[str, Any]]:
    """The deployment's flow runs as the server's database has them."""
    db = sqlite3.connect(server.home / "prefect.db", timeout=30)
    try:
        rows = db.execute(
            "select fr.state_type, fr.state_name, fr.parameters, fr.run_count, fr.start_time,"
            " fr.expected_start_time, s.message from flow_run fr join deployment d"
            " on fr.deployment_id = d.id left join flow_run_state s on s.id = fr.state_id"
            " where d.name = ?",
            (deployment,),
        ).fetchall()
    finally:
        db.close()
    return [
        {
            "state": state,
            "name": name,
            "out": json.loads(params).get("out"),
            "ran": run_count > 0,
            "start": _time(start),
            "expected": _time(expected),
            "message": message or "",
        }
        for state, name, params, run_count, start, expected, message in rows
    ]


def _time(text: str | None) -> datetime | None:
    if text is None:
        return None
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _late(server: LocalServer, deployment: str) -> int:
    now = datetime.now(UTC)
    return sum(
        1
        for r in _flow_runs(server, deployment)
        if r["state"] == "SCHEDULED" and r["expected"] is not None and r["expected"] < now
    )


def _completed(server: LocalServer, deployment: str, after: datetime | None = None) -> int:
    return sum(
        1
        for r in _flow_runs(server, deployment)
        if r["state"] == "COMPLETED" and (after is None or r["start"] > after)
    )


def test_a_restart_with_another_configuration_never_runs_the_old_one(
    tmp_path: Path, server: LocalServer
) -> None:
    """Serve A, stop, wait past several intervals, serve B under the same name."""
    a_in, b_in = _corpus(tmp_path, "a", "central_bank_rates.txt"), _corpus(
        tmp_path, "b", "harbour_bridge_reopens.txt"
    )
    a_out, b_out = tmp_path / "out-a", tmp_path / "out-b"

    a = Served(tmp_path, server, "a", str(a_in), "--interval", "2", "--out", str(a_out),
               "--name", "news")
    try:
        # one run shows A served (a second would only add a run's start-up, ~10 s)
        a.wait_for(lambda: len(_complete_runs(a_out)) >= 1 and _completed(server, "news") >= 1,
                   "a run of A")
    finally:
        a.stop()
    a_runs = _complete_runs(a_out)
    # several intervals
    wait_until(lambda: _late(server, "news") >= 3, "three late runs of A", poll=POLL)

    b = Served(tmp_path, server, "b", str(b_in), "--interval", "2", "--out", str(b_out),
               "--name", "news")
    try:
        b.wait_for(lambda: len(_complete_runs(b_out)) >= 2 and
                   _completed(server, "news", after=b.started) >= 2, "two runs of B")
    finally:
        output = b.stop()

    assert _complete_runs(a_out) == a_runs  # nothing went into A's output after A stopped
    runs = _flow_runs(server, "news")
    started_since = [r for r in runs if r["ran"] and r["start"] > b.started]
    assert started_since and {r["out"] for r in started_since} == {str(b_out)}
    replaced = [r for r in runs if r["name"] == "Replaced"]
    assert len(replaced) >= 3 and {r["out"] for r in replaced} == {str(a_out)}
    assert {r["state"] for r in replaced} == {"CANCELLED"}
    # no run of A's configuration is left waiting
    assert not [r for r in runs if r["out"] == str(a_out) and r["state"] == "SCHEDULED"]
    assert f"docmill: replaced {len(replaced)} scheduled runs of the previous configuration" \
        in output, output


def test_two_configurations_keep_their_schedules_and_a_restart_catches_up_once(
    tmp_path: Path, server: LocalServer
) -> None:
    c_in, d_in = _corpus(tmp_path, "c", "rail_tunnel_inquiry.txt"), _corpus(
        tmp_path, "d", "space_agency_launch.txt"
    )
    c_out, d_out = tmp_path / "out-c", tmp_path / "out-d"
    c_name = deployment_name([str(c_in.resolve())], str(c_out.resolve()))
    d_name = deployment_name([str(d_in.resolve())], str(d_out.resolve()))
    assert c_name != d_name

    c = Served(tmp_path, server, "c", str(c_in), "--interval", "4", "--out", str(c_out))
    try:
        c.wait_for(lambda: _completed(server, c_name) >= 1, "a run of C")
    finally:
        assert f"docmill/{c_name}" in c.stop()
    c_runs = _complete_runs(c_out)

    d = Served(tmp_path, server, "d", str(d_in), "--interval", "4", "--out", str(d_out))
    try:
        d.wait_for(lambda: _completed(server, d_name) >= 2, "two runs of D")
    finally:
        d.stop()
    assert _complete_runs(c_out) == c_runs  # D ran none of C's schedule
    assert len(_complete_runs(d_out)) >= 2
    wait_until(lambda: _late(server, c_name) >= 3, "three late runs of C", poll=POLL)

    listing = _docmill(tmp_path, server, "schedules", "list")
    assert listing.returncode == 0, listing.stderr
    rows = {line.split()[0]: line for line in listing.stdout.splitlines()[1:]}
    assert set(rows) >= {c_name, d_name}
    assert "every 4s" in rows[c_name] and str(c_out.resolve()) in rows[c_name]
    assert "late since" in rows[c_name]
    # D's last result: the latest run that started (Crashed if Ctrl-C stopped it mid-run)
    last = max((r for r in _flow_runs(server, d_name) if r["ran"]), key=lambda r: r["start"])
    assert rows[d_name].split()[-3] == last["name"], rows[d_name]

    # the same configuration again, after downtime: one catch-up run, then the schedule
    # (every 120 s from now, so no scheduled run comes due during the test)
    restart = Served(tmp_path, server, "c2", str(c_in), "--interval", "120", "--out", str(c_out))
    try:
        restart.wait_for(lambda: _completed(server, c_name, after=restart.started) >= 1,
                         "the catch-up run of C")
    finally:
        output = restart.stop()
    runs = _flow_runs(server, c_name)
    since = [r for r in runs if r["ran"] and r["start"] > restart.started]
    # skipped by the restart (C's own serve may have skipped runs that piled up meanwhile)
    skipped = [r for r in runs if r["name"] == "Skipped" and "not served" in r["message"]]
    assert len(since) == 1, runs
    assert len(skipped) >= 2 and {r["state"] for r in skipped} == {"CANCELLED"}
    assert not [r for r in runs if r["state"] == "SCHEDULED" and r["expected"] < restart.started]
    assert len(_complete_runs(c_out)) == len(c_runs) + 1
    assert (
        f"docmill: {len(skipped) + 1} scheduled runs missed while not served: 1 to catch up "
        f"now, {len(skipped)} cancelled as 'Skipped' (missed_runs = 'one')"
    ) in output, output


def test_runs_that_pile_up_while_serving_are_skipped_but_the_newest(
    tmp_path: Path, server: LocalServer
) -> None:
    """The machine is suspended while serving (SIGSTOP to serve's process group): on
    resume, one of the runs that came due meanwhile runs, the others are Skipped."""
    e_in = _corpus(tmp_path, "e", "central_bank_rates.txt")
    e_out = tmp_path / "out-e"
    served = Served(tmp_path, server, "e", str(e_in), "--interval", "2", "--out", str(e_out),
                    "--name", "suspended")
    try:
        served.wait_for(lambda: _completed(server, "suspended") >= 1, "a first run")
        os.killpg(served.proc.pid, signal.SIGSTOP)
        stopped = datetime.now(UTC)
        try:
            # past the runner's 10 s prefetch, several runs come due while nothing serves
            wait_until(lambda: _late_since(server, "suspended", stopped, 12) >= 3,
                       "three runs due while suspended", poll=POLL)
        finally:
            os.killpg(served.proc.pid, signal.SIGCONT)
        resumed = datetime.now(UTC)
        served.wait_for(lambda: _completed(server, "suspended", after=resumed) >= 2,
                        "two runs after the resume")
    finally:
        output = served.stop()
    missed = [
        r for r in _flow_runs(server, "suspended")
        if r["expected"] is not None and stopped.timestamp() + 12 < r["expected"].timestamp()
        < resumed.timestamp()
    ]
    assert len(missed) >= 3, missed
    ran = [r for r in missed if r["ran"]]
    skipped = [r for r in missed if r["name"] == "Skipped"]
    assert len(ran) <= 1, missed
    assert len(skipped) >= len(missed) - 1 and {r["state"] for r in skipped} == {"CANCELLED"}
    assert all("came due while busy or suspended" in r["message"] for r in skipped), skipped
    assert "came due while a run was running or the machine was suspended" in output, output
    assert "(missed_runs = 'one')" in output


def _late_since(server: LocalServer, deployment: str, since: datetime, after: float) -> int:
    """Runs still waiting that came due more than ``after`` seconds after ``since``."""
    now = datetime.now(UTC)
    return sum(
        1
        for r in _flow_runs(server, deployment)
        if r["state"] == "SCHEDULED" and r["expected"] is not None
        and since.timestamp() + after < r["expected"].timestamp() < now.timestamp()
    )


def test_pause_resume_delete_without_the_prefect_cli(tmp_path: Path, server: LocalServer) -> None:
    name = "held-for-management"
    _register(server, name, tmp_path)
    # no PREFECT_API_URL: the commands use the local server running in server_home
    # rather than start a second one on its database (which would take over server.url)
    env = {k: v for k, v in _env(server, tmp_path).items() if k != "PREFECT_API_URL"}
    env["DOCMILL_SERVER_HOME"] = str(server.home)
    listing = subprocess.run([str(DOCMILL), "schedules", "list"], cwd=tmp_path, env=env,
                             capture_output=True, text=True, timeout=DEADLINE)
    assert listing.returncode == 0, listing.stderr
    rows = {line.split()[0]: line for line in listing.stdout.splitlines()[1:]}
    assert "every 3600s" in rows[name] and f"-> {tmp_path / 'out'}" in rows[name]
    assert server.url_file.read_text() == server.api_url

    missing = _docmill(tmp_path, server, "schedules", "pause", "no-such-deployment")
    assert missing.returncode == 2 and "no deployment docmill/no-such-deployment" in missing.stderr
    for verb, paused in (("pause", 1), ("resume", 0)):
        done = _docmill(tmp_path, server, "schedules", verb, name)
        assert done.returncode == 0, done.stderr
        assert _deployments(server)[name] == paused
    deleted = _docmill(tmp_path, server, "schedules", "delete", name)
    assert deleted.returncode == 0, deleted.stderr
    assert name not in _deployments(server)


def _register(server: LocalServer, name: str, tmp_path: Path) -> None:
    """A deployment of the docmill flow, registered as serve registers one, not served."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from docmill.orchestration.flow import docmill_flow

    with temporary_settings(updates={PREFECT_API_URL: server.api_url}):
        parameters = {"paths": [str(tmp_path)], "out": str(tmp_path / "out")}
        docmill_flow.to_deployment(name=name, interval=3600, parameters=parameters).apply()


def _deployments(server: LocalServer) -> dict[str, int]:
    db = sqlite3.connect(server.home / "prefect.db", timeout=30)
    try:
        return dict(db.execute("select name, paused from deployment").fetchall())
    finally:
        db.close()


def _docmill(tmp_path: Path, server: LocalServer, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(DOCMILL), *args],
        cwd=tmp_path,
        env=_env(server, tmp_path),
        capture_output=True,
        text=True,
        timeout=DEADLINE,
    )


def test_a_lost_api_ends_that_run_and_serving_goes_on_once_it_is_back(
    tmp_path: Path, server: LocalServer
) -> None:
    """The operator's Prefect server dies (kill -9) while serve runs; nothing is published
    while it is gone, serve keeps running, and once the server is started again the
    schedule goes on. Last in the module: it restarts the module's server."""
    f_in = _corpus(tmp_path, "f", "central_bank_rates.txt")
    f_out = tmp_path / "out-f"
    served = Served(tmp_path, server, "f", str(f_in), "--interval", "3", "--out", str(f_out),
                    "--name", "outage")
    try:
        served.wait_for(lambda: _completed(server, "outage") >= 1, "a first run")
        assert server.process is not None
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait()
        during = _complete_runs(f_out)
        served.wait_for(lambda: "lost the Prefect API" in served.output, "the lost API noticed")
        assert _complete_runs(f_out) == during  # nothing published while the API is gone
        server.start()
        served.wait_for(lambda: "answers again" in served.output, "serving again")
        back = datetime.now(UTC)
        served.wait_for(lambda: _completed(server, "outage", after=back) >= 1,
                        "a run after the API is back")
    finally:
        output = served.stop()
    assert len(_complete_runs(f_out)) > len(during)
    latest = (f_out / "LATEST").read_text().strip()
    assert (f_out / latest / MANIFEST).is_file()
    # docmill's own handling prints no traceback (Prefect's API log handler may still
    # print "--- Error logging to API ---" for the lines it could not send)
    assert "ApiLost" not in output and "ExceptionGroup" not in output, output
    assert "websocket failed" not in output, output
    assert output.count("lost the Prefect API") == 1, output
    stale = [r for r in _flow_runs(server, "outage") if r["state"] in ("RUNNING", "PENDING")]
    assert stale == [], stale
