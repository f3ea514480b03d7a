"""What ``docmill serve`` does with the runs already scheduled when it (re)starts.

Prefect's server creates a deployment's scheduled runs ahead of time, each with
the parameters the deployment had then, and keeps runs that came due while
nothing served them (SCHEDULED, named "Late"). When a deployment is
re-registered, the server deletes only its *future* auto-scheduled runs; the
late ones survive with their old parameters and a new ``serve`` would run
them one after another, into the old output folder, before any run of its own.

So a serve, after registering its deployment and before its runner polls,
looks at the deployment's pending auto-scheduled runs once:

- a run whose parameters are not the deployment's current ones is *replaced*:
  set to Cancelled, named "Replaced" (the scheduler creates runs with the new
  parameters; it never runs with stale ones);
- of the runs that were due before this serve registered its deployment
  (*missed*: the upsert deleted every later run of the previous version), the
  ``missed_runs`` policy keeps the newest (``"one"``, the default: at most one
  catch-up run, as cron users expect), all (``"all"``) or none (``"none"``); the
  others are set to Cancelled, named "Skipped", so they do not stay SCHEDULED.

While it serves, the same policy applies to runs that pile up (the machine was
suspended, or a run took longer than the interval, so its successors waited):
before each poll of its runner (:func:`plan_while_serving`), ``"one"`` keeps the
newest of the runs already due and skips the older ones, ``"none"`` skips every
run more than a grace period (two polls) late, ``"all"`` runs them all, in order.

Manually created runs (``prefect deployment run``) are left alone. The plans are
pure functions (:func:`plan`, :func:`plan_while_serving`);
:func:`apply_restart_policy` and :func:`apply_serving_policy` read and write
through the Prefect API.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, Literal, get_args
from uuid import UUID

if TYPE_CHECKING:
    from prefect.client.orchestration import PrefectClient
    from prefect.client.schemas.filters import FlowRunFilter
    from prefect.client.schemas.objects import StateType

MissedRuns = Literal["one", "all", "none"]
MISSED_RUNS_CHOICES: tuple[str, ...] = get_args(MissedRuns)

#: State names given to the runs a restart does not run.
REPLACED = "Replaced"
SKIPPED = "Skipped"

#: Longest deployment name docmill derives (the digest keeps it unique).
_MAX_STEM = 48
#: Flow runs read per API call, and set per bulk request (the server's limit).
_PAGE = 200
_BULK = 50


def deployment_name(paths: Sequence[str], out: str) -> str:
    """The default deployment name for serving ``paths`` into ``out``.

    Readable (the inputs' and the output folder's names) and unique per
    configuration (a digest of the absolute paths): two serves of different
    inputs or outputs from one folder are two deployments with their own
    schedules, and a restart of the same inputs and output updates its own.
    The digest ignores the order of ``paths``.
    """
    identity = json.dumps({"paths": sorted(paths), "out": out}, sort_keys=True)
    digest = hashlib.sha256(identity.encode()).hexdigest()[:8]
    names = [_slug(PurePath(p).name) for p in sorted(paths)]
    inputs = "+".join(names[:2]) + ("+more" if len(names) > 2 else "")
    stem = f"{inputs}-to-{_slug(PurePath(out).name)}"[:_MAX_STEM].strip("-")
    return f"{stem}-{digest}"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9._]+", "-", text.lower()).strip("-.") or "root"


@dataclass(frozen=True)
class PendingRun:
    """An auto-scheduled run of the deployment that has not started."""

    id: UUID
    due: datetime
    parameters: Mapping[str, Any]


@dataclass(frozen=True)
class Plan:
    """What a restart does with the pending runs (ids, oldest first)."""

    replaced: list[UUID] = field(default_factory=list)
    skipped: list[UUID] = field(default_factory=list)
    catch_up: list[UUID] = field(default_factory=list)


def plan(
    pending: Sequence[PendingRun],
    parameters: Mapping[str, Any],
    policy: MissedRuns,
    registered: datetime,
) -> Plan:
    """Decide, for runs pending when a serve ``registered`` its deployment, what to do.

    Each is replaced, skipped, run as a catch-up, or left to the schedule.

    ``parameters`` are the deployment's current ones. Runs due at or after
    ``registered`` with current parameters are the schedule going on: untouched.
    """
    if policy not in MISSED_RUNS_CHOICES:
        raise ValueError(f"missed_runs must be one of {MISSED_RUNS_CHOICES}, not {policy!r}")
    result = Plan()
    missed: list[PendingRun] = []
    for run in sorted(pending, key=lambda r: r.due):
        if dict(run.parameters) != dict(parameters):
            result.replaced.append(run.id)
        elif run.due < registered:
            missed.append(run)
    keep = {"all": len(missed), "one": min(1, len(missed)), "none": 0}[policy]
    cut = len(missed) - keep
    result.skipped.extend(r.id for r in missed[:cut])
    result.catch_up.extend(r.id for r in missed[cut:])
    return result


def plan_while_serving(
    pending: Sequence[PendingRun], policy: MissedRuns, now: datetime, grace: float
) -> Plan:
    """Decide, before a poll of a serving runner at ``now``, which pending runs were missed.

    ``"one"``: when two or more runs are due, the newest is kept (``catch_up``) and
    the older ones are skipped; a single due run is the schedule going on.
    ``"none"``: every run due more than ``grace`` seconds ago is skipped (a free
    runner starts a due run within a poll). ``"all"``: nothing is skipped.
    """
    if policy not in MISSED_RUNS_CHOICES:
        raise ValueError(f"missed_runs must be one of {MISSED_RUNS_CHOICES}, not {policy!r}")
    due = [r for r in sorted(pending, key=lambda r: r.due) if r.due <= now]
    if policy == "one" and len(due) > 1:
        return Plan(skipped=[r.id for r in due[:-1]], catch_up=[due[-1].id])
    if policy == "none":
        late = [r.id for r in due if (now - r.due).total_seconds() > grace]
        return Plan(skipped=late)
    return Plan()


def deployment_runs(deployment_id: UUID, *states: StateType) -> FlowRunFilter:
    """A filter for the deployment's flow runs in any of ``states``."""
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterDeploymentId,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )

    return FlowRunFilter(
        deployment_id=FlowRunFilterDeploymentId(any_=[deployment_id]),
        state=FlowRunFilterState(type=FlowRunFilterStateType(any_=list(states))),
    )


async def pending_runs(client: PrefectClient, deployment_id: UUID) -> list[PendingRun]:
    """Every auto-scheduled, not yet started run of the deployment (Scheduled or Late)."""
    from prefect.client.schemas.objects import StateType
    from prefect.client.schemas.sorting import FlowRunSort

    flt = deployment_runs(deployment_id, StateType.SCHEDULED)
    found: list[PendingRun] = []
    offset = 0
    while True:
        page = await client.read_flow_runs(
            flow_run_filter=flt,
            sort=FlowRunSort.EXPECTED_START_TIME_ASC,
            limit=_PAGE,
            offset=offset,
        )
        offset += len(page)
        for run in page:
            due = run.next_scheduled_start_time or run.expected_start_time
            if run.auto_scheduled and run.run_count == 0 and due is not None:
                found.append(PendingRun(run.id, due, run.parameters))
        if len(page) < _PAGE:
            return found


async def apply_restart_policy(
    client: PrefectClient,
    deployment_id: UUID,
    policy: MissedRuns,
    registered: datetime,
) -> Plan:
    """Cancel the pending runs a (re)started serve must not run (see the module's doc)."""
    deployment = await client.read_deployment(deployment_id)
    pending = await pending_runs(client, deployment_id)
    decided = plan(pending, deployment.parameters, policy, registered)
    marks = [
        (decided.replaced, REPLACED, "scheduled with the parameters of a previous configuration"),
        (decided.skipped, SKIPPED, f"missed while not served (missed_runs = {policy!r})"),
    ]
    for ids, name, message in marks:
        await cancel_runs(client, ids, name, f"docmill serve: {message}")
    return decided


async def apply_serving_policy(
    client: PrefectClient, deployment_id: UUID, policy: MissedRuns, grace: float
) -> Plan:
    """Skip the runs that piled up while serving (:func:`plan_while_serving`)."""
    if policy == "all":
        return Plan()
    from datetime import UTC

    pending = await pending_runs(client, deployment_id)
    decided = plan_while_serving(pending, policy, datetime.now(UTC), grace)
    message = f"docmill serve: came due while busy or suspended (missed_runs = {policy!r})"
    await cancel_runs(client, decided.skipped, SKIPPED, message)
    return decided


async def cancel_runs(client: PrefectClient, ids: Sequence[UUID], name: str, message: str) -> None:
    """Set the runs that are still SCHEDULED to Cancelled named ``name``.

    Through the server's ``/flow_runs/bulk_set_state`` (50 runs a request; the
    client has no method for it), else one request per run: a restart after a
    long downtime can have hundreds of late runs.
    """
    from prefect.client.schemas.objects import StateType
    from prefect.exceptions import PrefectHTTPStatusError
    from prefect.states import Cancelled

    state = {"type": StateType.CANCELLED.value, "name": name, "message": message}
    still_scheduled = {"type": {"any_": [StateType.SCHEDULED.value]}}
    route: Any = "/flow_runs/bulk_set_state"
    for start in range(0, len(ids), _BULK):
        chunk = [str(i) for i in ids[start : start + _BULK]]
        body = {
            "flow_runs": {"id": {"any_": chunk}, "state": still_scheduled},
            "state": state,
            "force": True,
            "limit": len(chunk),
        }
        try:
            await client.request("POST", route, json=body)
        except PrefectHTTPStatusError as exc:
            if exc.response.status_code not in (404, 405):
                raise
            break  # a server without the bulk endpoint: one run at a time
    else:
        return
    for run_id in ids[start:]:
        await client.set_flow_run_state(run_id, Cancelled(name=name, message=message), force=True)


def describe(decided: Plan, policy: MissedRuns) -> list[str]:
    """The console lines saying what a restart did (none when there was nothing to do)."""
    lines = []
    if decided.replaced:
        lines.append(
            f"replaced {_runs(len(decided.replaced))} of the previous configuration "
            f"(cancelled as {REPLACED!r})"
        )
    missed = len(decided.skipped) + len(decided.catch_up)
    if missed:
        lines.append(
            f"{_runs(missed)} missed while not served: {len(decided.catch_up)} to catch up now, "
            f"{len(decided.skipped)} cancelled as {SKIPPED!r} (missed_runs = {policy!r})"
        )
    return lines


def describe_while_serving(decided: Plan, policy: MissedRuns) -> str | None:
    """The console line for runs skipped while serving (None when none were)."""
    if not decided.skipped:
        return None
    return (
        f"{_runs(len(decided.skipped))} came due while a run was running or the machine was "
        f"suspended: cancelled as {SKIPPED!r} (missed_runs = {policy!r})"
        + (", the newest runs now" if decided.catch_up else "")
    )


def _runs(n: int) -> str:
    return f"{n} scheduled run{'' if n == 1 else 's'}"
