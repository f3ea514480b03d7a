"""Deployment naming and the restart plan (orchestration.schedules), no server.

The same functions run against a real server in test_serve_restart.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from docmill.orchestration.schedules import (
    PendingRun,
    deployment_name,
    describe,
    describe_while_serving,
    plan,
    plan_while_serving,
)
from tests.conftest import SEEDS

START = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
A = {"paths": ["/data/a"], "out": "/data/out-a"}
B = {"paths": ["/data/b"], "out": "/data/out-b"}


def _run(seconds: float, parameters: dict[str, object]) -> PendingRun:
    return PendingRun(uuid4(), START + timedelta(seconds=seconds), parameters)


def test_names_are_readable_and_differ_per_inputs_and_output() -> None:
    name = deployment_name(["/srv/news/Seeds Folder"], "/srv/outputs")
    assert name.startswith("seeds-folder-to-outputs-")
    assert name == deployment_name(["/srv/news/Seeds Folder"], "/srv/outputs")
    others = {
        deployment_name(["/srv/news/other"], "/srv/outputs"),
        deployment_name(["/srv/news/Seeds Folder"], "/srv/outputs2"),
        deployment_name(["/elsewhere/Seeds Folder"], "/srv/outputs"),  # same names, other paths
    }
    assert name not in others and len(others) == 3
    # order of the inputs does not make another deployment
    assert deployment_name(["/x/a", "/x/b"], "/o") == deployment_name(["/x/b", "/x/a"], "/o")
    long = deployment_name([f"/x/{'n' * 80}{i}" for i in range(5)], "/o")
    assert len(long) <= 60 and "/" not in long and "%" not in long


def test_runs_with_other_parameters_are_replaced_whenever_due() -> None:
    stale = [_run(-30, A), _run(-10, A), _run(20, A)]
    current = [_run(-20, B), _run(10, B)]
    decided = plan([*stale, *current], B, "all", START)
    assert decided.replaced == [stale[0].id, stale[1].id, stale[2].id]
    assert decided.catch_up == [current[0].id]
    assert decided.skipped == []


@pytest.mark.parametrize(
    ("policy", "caught_up", "skipped"),
    [("one", [3], [0, 1, 2]), ("all", [0, 1, 2, 3], []), ("none", [], [0, 1, 2, 3])],
)
def test_missed_runs_follow_the_policy(
    policy: str, caught_up: list[int], skipped: list[int]
) -> None:
    missed = [_run(-40, A), _run(-30, A), _run(-20, A), _run(-10, A)]
    future = [_run(0, A), _run(10, A)]  # due at or after the start: the schedule going on
    decided = plan([*reversed(missed), *future], A, policy, START)  # type: ignore[arg-type]
    assert decided.catch_up == [missed[i].id for i in caught_up]  # the newest is the one kept
    assert decided.skipped == [missed[i].id for i in skipped]
    assert decided.replaced == []


@pytest.mark.parametrize(
    ("policy", "caught_up", "skipped"),
    [("one", [3], [0, 1, 2]), ("all", [], []), ("none", [], [0, 1, 2])],
)
def test_runs_that_pile_up_while_serving_follow_the_policy(
    policy: str, caught_up: list[int], skipped: list[int]
) -> None:
    """A suspended machine or a long run: the runs due before a poll at START."""
    due = [_run(-40, A), _run(-30, A), _run(-20, A), _run(-1, A)]  # the last within grace
    future = [_run(5, A)]
    decided = plan_while_serving([*reversed(due), *future], policy, START, grace=2.0)  # type: ignore[arg-type]
    assert decided.catch_up == [due[i].id for i in caught_up]
    assert decided.skipped == [due[i].id for i in skipped]
    line = describe_while_serving(decided, policy)  # type: ignore[arg-type]
    if skipped:
        assert line is not None and line.startswith(f"{len(skipped)} scheduled runs came due")
        assert f"(missed_runs = {policy!r})" in line
    else:
        assert line is None


@pytest.mark.parametrize("policy", ["one", "none", "all"])
def test_one_run_due_on_time_is_the_schedule_going_on(policy: str) -> None:
    """A run that is due now while serving is never skipped, whatever the policy."""
    on_time = [_run(-1, A), _run(9, A)]
    decided = plan_while_serving(on_time, policy, START, grace=2.0)  # type: ignore[arg-type]
    assert decided.skipped == [] and decided.replaced == []


def test_nothing_pending_means_nothing_to_say() -> None:
    decided = plan([], A, "one", START)
    assert describe(decided, "one") == []
    with pytest.raises(ValueError, match="missed_runs"):
        plan([], A, "some", START)  # type: ignore[arg-type]


def test_the_console_says_what_was_done() -> None:
    decided = plan([_run(-30, A), _run(-20, B), _run(-10, B), _run(-5, B)], B, "one", START)
    assert describe(decided, "one") == [
        "replaced 1 scheduled run of the previous configuration (cancelled as 'Replaced')",
        "3 scheduled runs missed while not served: 1 to catch up now, 2 cancelled as 'Skipped'"
        " (missed_runs = 'one')",
    ]
    assert all(isinstance(i, UUID) for i in decided.skipped)


def test_serve_refuses_an_unknown_missed_runs_policy(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from docmill.cli import EXIT_USAGE, app

    result = CliRunner().invoke(
        app, ["serve", str(SEEDS), "--interval", "5", "--out", str(tmp_path), "--missed-runs", "x"]
    )
    assert result.exit_code == EXIT_USAGE, result.output
    assert "--missed-runs takes one of one, all, none" in result.output
