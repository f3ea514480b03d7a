"""The served deployments of the docmill flow: list, pause, resume, delete (no Prefect CLI).

A deployment is ``docmill/<name>`` on the Prefect server; ``docmill serve``
registers (or updates) one per configuration (:func:`docmill.orchestration.
schedules.deployment_name`). These functions work through the Prefect API the
caller opened (:func:`docmill.orchestration.server.prefect_api`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

if TYPE_CHECKING:
    from prefect.client.orchestration import PrefectClient
    from prefect.client.schemas.objects import FlowRun
    from prefect.client.schemas.responses import DeploymentResponse

from docmill.orchestration.schedules import REPLACED, SKIPPED

FLOW_NAME = "docmill"


class DeploymentNotFound(LookupError):
    """No deployment of the docmill flow has that name."""


@dataclass(frozen=True)
class DeploymentStatus:
    """One deployment as ``docmill schedules list`` shows it."""

    name: str
    schedule: str
    paused: bool
    paths: list[str]
    out: str
    next_run: datetime | None
    late: int
    last_state: str | None
    last_time: datetime | None

    def row(self, now: datetime) -> dict[str, str]:
        """Printable columns."""
        if self.next_run is None:
            next_run = "-"
        elif self.next_run < now:
            next_run = f"late since {_when(self.next_run)}"
        else:
            next_run = _when(self.next_run)
        last = "-" if self.last_state is None else f"{self.last_state} {_when(self.last_time)}"
        return {
            "name": self.name,
            "schedule": self.schedule + (" (paused)" if self.paused else ""),
            "serves": f"{', '.join(self.paths)} -> {self.out}",
            "next run": next_run,
            "late": str(self.late),
            "last result": last,
        }


def _when(moment: datetime | None) -> str:
    if moment is None:
        return "-"
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def describe_schedules(deployment: DeploymentResponse) -> str:
    """``every 10s``, ``cron '*/15 * * * *'``, several joined by ``; ``, or ``none``."""
    from prefect.client.schemas.schedules import CronSchedule, IntervalSchedule, RRuleSchedule

    parts = []
    for item in deployment.schedules:
        schedule = item.schedule
        if isinstance(schedule, IntervalSchedule):
            text = f"every {schedule.interval.total_seconds():g}s"
        elif isinstance(schedule, CronSchedule):
            text = f"cron {schedule.cron!r}"
        elif isinstance(schedule, RRuleSchedule):
            text = f"rrule {schedule.rrule!r}"
        else:
            text = type(schedule).__name__
        parts.append(text + ("" if item.active else " (inactive)"))
    return "; ".join(parts) or "none"


async def list_deployments(client: PrefectClient) -> list[DeploymentStatus]:
    """Every deployment of the docmill flow, by name, with its next and last run."""
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName

    deployments = await client.read_deployments(
        flow_filter=FlowFilter(name=FlowFilterName(any_=[FLOW_NAME]))
    )
    now = datetime.now(UTC)
    found = []
    for deployment in sorted(deployments, key=lambda d: d.name):
        upcoming = await _runs(client, deployment.id, scheduled=True, limit=1)
        last = await _runs(client, deployment.id, scheduled=False, limit=1)
        params: dict[str, Any] = deployment.parameters
        found.append(
            DeploymentStatus(
                name=deployment.name,
                schedule=describe_schedules(deployment),
                paused=deployment.paused,
                paths=[str(p) for p in params.get("paths", [])],
                out=str(params.get("out", "")),
                next_run=upcoming[0].expected_start_time if upcoming else None,
                late=await _count_late(client, deployment.id, now),
                last_state=last[0].state_name if last else None,
                last_time=(last[0].end_time or last[0].start_time) if last else None,
            )
        )
    return found


async def _runs(
    client: PrefectClient, deployment_id: UUID, *, scheduled: bool, limit: int
) -> list[FlowRun]:
    """The earliest pending runs (``scheduled``), or the latest runs that started."""
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterDeploymentId,
        FlowRunFilterStartTime,
        FlowRunFilterState,
        FlowRunFilterStateName,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.client.schemas.sorting import FlowRunSort

    of_deployment = FlowRunFilterDeploymentId(any_=[deployment_id])
    if scheduled:
        flt = FlowRunFilter(
            deployment_id=of_deployment,
            state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED])),
        )
        sort = FlowRunSort.EXPECTED_START_TIME_ASC
    else:
        flt = FlowRunFilter(
            deployment_id=of_deployment,
            start_time=FlowRunFilterStartTime(is_null_=False),
            # runs a restart cancelled get a start time too, but never ran
            state=FlowRunFilterState(name=FlowRunFilterStateName(not_any_=[REPLACED, SKIPPED])),
        )
        sort = FlowRunSort.START_TIME_DESC
    return await client.read_flow_runs(flow_run_filter=flt, sort=sort, limit=limit)


async def _count_late(client: PrefectClient, deployment_id: UUID, now: datetime) -> int:
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterDeploymentId,
        FlowRunFilterExpectedStartTime,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType

    count: int = await client.count_flow_runs(
        flow_run_filter=FlowRunFilter(
            deployment_id=FlowRunFilterDeploymentId(any_=[deployment_id]),
            state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED])),
            expected_start_time=FlowRunFilterExpectedStartTime(before_=now),
        )
    )
    return count


async def find(client: PrefectClient, name: str) -> DeploymentResponse:
    """The deployment ``docmill/<name>``, or :class:`DeploymentNotFound`."""
    from prefect.exceptions import ObjectNotFound

    try:
        return await client.read_deployment_by_name(f"{FLOW_NAME}/{name}")
    except ObjectNotFound:
        raise DeploymentNotFound(f"no deployment {FLOW_NAME}/{name}") from None


async def pause(client: PrefectClient, name: str) -> None:
    """Pause the schedule: the server deletes its future runs and schedules no more."""
    await client.pause_deployment((await find(client, name)).id)


async def resume(client: PrefectClient, name: str) -> None:
    """Resume a paused schedule (``docmill serve`` of the deployment resumes it too)."""
    await client.resume_deployment((await find(client, name)).id)


async def delete(client: PrefectClient, name: str) -> None:
    """Delete the deployment and its pending runs; the history of past runs stays."""
    await client.delete_deployment((await find(client, name)).id)
