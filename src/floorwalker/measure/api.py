"""Reports API: ``/api/reports/...`` (docs/reports.md)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from floorwalker.auth.caller import Caller
from floorwalker.auth.principal import bearer_scheme
from floorwalker.auth.staff import admin_staff, staff
from floorwalker.measure import reports
from floorwalker.services import services

router = APIRouter(prefix="/api/reports", tags=["reports"],
                   dependencies=[Depends(bearer_scheme)])
Staff = Annotated[Caller, Depends(staff)]
Admin = Annotated[Caller, Depends(admin_staff)]


Since = Annotated[str | None, Query(
    description="First UTC day, YYYY-MM-DD (default: 6 days before until)", max_length=10)]
Until = Annotated[str | None, Query(
    description="Last UTC day, included (default: today)", max_length=10)]
Window = Annotated[int | None, Query(
    description="Attribution window after a decision, hours (default: the workspace's "
                "attribution_window_hours, 48 unless changed)")]
OneScenario = Annotated[str | None, Query(max_length=64)]
OneSegment = Annotated[str | None, Query(
    max_length=64, description="Only visitors who were in this segment at the time")]
OneDepartment = Annotated[str | None, Query(
    max_length=64, description="Only this department's scenarios (funnel, lift) or chats")]
# JSON by default, CSV with format=csv: both documented.
JSON_OR_CSV: dict[int | str, dict[str, Any]] = {200: {"content": {
    "application/json": {}, "text/csv": {"schema": {"type": "string"}}}}}


async def _scope(request: Request, caller: Caller, since: str | None, until: str | None,
                 window_hours: int | None, scenario: str | None = None,
                 segment: str | None = None, department: str | None = None,
                 ) -> tuple[reports.Period, reports.Scope]:
    """The period and scope a request names; the window is the workspace's unless given."""
    rs = await services(request).rules.cache.get(caller.workspace)
    p = reports.period(since, until, window_hours if window_hours is not None
                       else rs.settings.attribution_window_hours)
    return p, reports.scope(rs, p, window_given=window_hours is not None, scenario=scenario,
                            segment=segment, department=department)


@router.get("/funnel", summary="Each scenario's funnel, from decision to revenue",
            responses=JSON_OR_CSV)
async def funnel(request: Request, caller: Staff, since: Since = None, until: Until = None,
                 window_hours: Window = None, scenario: OneScenario = None,
                 segment: OneSegment = None, department: OneDepartment = None,
                 format: Annotated[Literal["json", "csv"], Query()] = "json",
                 ) -> Any:
    """Per scenario and variant, in total and per day: eligible, decided, delivered,
    shown, engaged, chats, answered, converted, orders and revenue per currency, and the
    suppressed decisions by reason. ``format=csv`` gives the rows per day."""
    p, sc = await _scope(request, caller, since, until, window_hours, scenario, segment,
                         department)
    async with services(request).engine.connect() as conn:
        report = await reports.funnel(conn, caller.workspace, p, sc)
    if format == "csv":
        name = f"funnel-{p.first.isoformat()}-{p.last.isoformat()}.csv"
        return Response(reports.funnel_csv(report), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    return report


@router.get("/lift", summary="Exposed visitors against each scenario's holdout group")
async def lift(request: Request, caller: Staff, since: Since = None, until: Until = None,
               window_hours: Window = None, scenario: OneScenario = None,
               segment: OneSegment = None, department: OneDepartment = None) -> Any:
    """Per scenario and variant with a holdout: visitors, converters, conversion rate and
    revenue per visitor of both groups, the differences with 95% intervals, and a verdict
    (``too_small``, ``no_difference``, ``better``, ``worse``)."""
    p, sc = await _scope(request, caller, since, until, window_hours, scenario, segment,
                         department)
    async with services(request).engine.connect() as conn:
        return await reports.lift(conn, caller.workspace, p, sc)


@router.get("/agents", summary="What each agent's and department's chats sold",
            responses=JSON_OR_CSV)
async def agents(request: Request, caller: Admin, since: Since = None, until: Until = None,
                 window_hours: Window = None, segment: OneSegment = None,
                 department: OneDepartment = None,
                 credit: Annotated[Literal["last", "first", "linear"], Query(
                     description="Who an order is credited to: the last agent who answered, "
                                 "the first, or equal shares")] = "last",
                 format: Annotated[Literal["json", "csv"], Query()] = "json") -> Any:
    """Per agent and department (admins only): chats with a visitor message, credited
    chats, converted chats, revenue, after-sales chats, first response and resolution
    times (p50, p90), ratings, and the average basket of chatters against comparable
    buyers who did not chat. ``format=csv`` gives the agents' table."""
    svc = services(request)
    p, sc = await _scope(request, caller, since, until, window_hours, segment=segment,
                         department=department)
    async with svc.engine.connect() as conn:
        report = await reports.agents(conn, caller.workspace, p, credit, sc)
    known = (await svc.rules.cache.get(caller.workspace)).agents
    for row in report["agents"]:
        agent = known.get(row["agent_id"])
        row["name"] = agent.name if agent is not None else None
    if format == "csv":
        name = f"agents-{p.first.isoformat()}-{p.last.isoformat()}.csv"
        return Response(reports.agents_csv(report), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    return report
