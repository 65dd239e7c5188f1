"""Admin API for segments, scenarios, departments, agents, presence and decisions."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select

from floorwalker.auth.caller import Caller
from floorwalker.auth.principal import admin_principal, bearer_scheme, workspace_principal
from floorwalker.errors import ApiError
from floorwalker.ops.http import read_body
from floorwalker.profiles.queries import find_visitor_id
from floorwalker.rules import actions, io, store, validate
from floorwalker.rules.model import Agent, Department, Scenario, Segment
from floorwalker.rules.warnings import never_matches
from floorwalker.services import services
from floorwalker.store.tables import decisions

router = APIRouter(prefix="/api", tags=["rules"], dependencies=[Depends(bearer_scheme)])
Admin = Annotated[Caller, Depends(admin_principal)]
Reader = Annotated[Caller, Depends(workspace_principal)]
MAX_DEFINITION_BYTES = 256 * 1024

KINDS: dict[str, tuple[str, type[Any], Callable[[Any], list[dict[str, str]]], str]] = {
    "segments": ("segment", Segment, validate.check_segment, "invalid_segment"),
    "scenarios": ("scenario", Scenario, validate.check_scenario, "invalid_scenario"),
    "departments": ("department", Department, validate.check_department, "invalid_department"),
    "agents": ("agent", Agent, validate.check_agent, "invalid_agent"),
}


def _schema(type_: type[Any]) -> dict[str, Any]:
    (schema,), components = msgspec.json.schema_components(
        [type_], ref_template="#/components/schemas/{name}")
    return {"requestBody": {"required": True, "content": {"application/json": {
        "schema": schema}}}, "x-components": components}


def _out(item_id: str, value: Any) -> dict[str, Any]:
    doc: dict[str, Any] = msgspec.to_builtins(value)
    doc["id"] = item_id
    return doc


def _crud(plural: str) -> None:
    kind, type_, check, code = KINDS[plural]

    @router.get(f"/{plural}", summary=f"List {plural}", name=f"list_{plural}")
    async def list_items(request: Request, who: Reader) -> Any:
        assert who.workspace_id
        async with services(request).engine.connect() as conn:
            return [_out(i, v) for i, v in await store.list_defs(conn, kind, who.workspace_id,
                                                                  type_)]

    @router.post(f"/{plural}", status_code=201, summary=f"Create a {kind}",
                 name=f"create_{kind}", openapi_extra=_schema(type_))
    async def create(request: Request, who: Admin) -> Any:
        assert who.workspace_id
        value = validate.decode_checked(await read_body(request, MAX_DEFINITION_BYTES),
                                        type_, check, code)
        item_id = await actions.create(services(request), kind, who.workspace_id, value)
        return _out(item_id, value)

    @router.get(f"/{plural}/{{ref}}", summary=f"One {kind}", name=f"get_{kind}")
    async def get(ref: str, request: Request, who: Reader) -> Any:
        assert who.workspace_id
        async with services(request).engine.connect() as conn:
            return _out(*await store.get_def(conn, kind, who.workspace_id, ref, type_))

    @router.put(f"/{plural}/{{ref}}", summary=f"Replace a {kind}", name=f"put_{kind}",
                openapi_extra=_schema(type_))
    async def put(ref: str, request: Request, who: Admin) -> Any:
        assert who.workspace_id
        value = validate.decode_checked(await read_body(request, MAX_DEFINITION_BYTES),
                                        type_, check, code)
        item_id = await actions.replace(services(request), kind, who.workspace_id, ref, value,
                                        type_, code)
        return _out(item_id, value)

    @router.delete(f"/{plural}/{{ref}}", summary=f"Delete a {kind}", name=f"delete_{kind}")
    async def remove(ref: str, request: Request, who: Admin) -> Any:
        assert who.workspace_id
        await actions.delete(services(request), kind, who.workspace_id, ref)
        return {"deleted": ref}


for _plural in KINDS:
    _crud(_plural)


@router.post("/scenarios/{ref}/enable", summary="Enable a scenario")
async def enable(ref: str, request: Request, who: Admin) -> Any:
    """Turn a scenario on."""
    return await _toggle(request, who, ref, True)


@router.post("/scenarios/{ref}/disable", summary="Disable a scenario")
async def disable(ref: str, request: Request, who: Admin) -> Any:
    """Turn a scenario off (its history is kept)."""
    return await _toggle(request, who, ref, False)


async def _toggle(request: Request, who: Caller, ref: str, on: bool) -> Any:
    assert who.workspace_id
    item_id, sc = await actions.toggle_scenario(services(request), who.workspace_id, ref, on)
    return _out(item_id, sc)


class PresenceIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """An agent's live state."""

    status: str | None = None
    active_chats: int | None = None


@router.put("/agents/{ref}/presence", summary="Set an agent's presence",
            openapi_extra=_schema(PresenceIn))
async def set_presence(ref: str, request: Request, who: Admin) -> Any:
    """Online / away / offline and open chats (the agent console sets it live)."""
    assert who.workspace_id
    svc = services(request)
    body = validate.decode_checked(await read_body(request, 4096), PresenceIn,
                                   lambda _v: [], "invalid_presence")
    async with svc.engine.connect() as conn:
        agent_id, _agent = await store.get_def(conn, "agent", who.workspace_id, ref, Agent)
    try:
        state = await svc.desk.set_presence(who.workspace_id, agent_id, status=body.status,
                                            active_chats=body.active_chats)
    except ValueError as exc:
        raise ApiError(422, "invalid_presence", str(exc),
                       [{"path": "$.status", "problem": str(exc)}]) from None
    return {"agent_id": agent_id, "status": state.status, "active_chats": state.active_chats}


@router.get("/presence", summary="Agents' presence and departments' free capacity")
async def get_presence(request: Request, who: Reader) -> Any:
    """Who is online, and per department: online, free agents, free slots, open now."""
    assert who.workspace_id
    svc = services(request)
    rs = await svc.rules.cache.get(who.workspace_id)
    staff = svc.rules.engine.staffing(rs)
    now = time.time()
    return {
        "agents": [{"id": agent_id, "email": a.email, "name": a.name,
                    **vars_of(svc.rules.presence.get(who.workspace_id, agent_id))}
                   for agent_id, a in rs.agents.items()],
        "departments": [{"key": key, "online": staff.agents_online(key),
                         "free_agents": staff.agents_free(key),
                         "free_slots": staff.free_slots(key),
                         "outstanding_invitations": svc.rules.engine.outstanding.count(
                             who.workspace_id, key, now),
                         "open": staff.in_business_hours(key, now)}
                        for key in rs.departments],
    }


def vars_of(state: Any) -> dict[str, Any]:
    """The fields of a presence record."""
    return {"status": state.status, "active_chats": state.active_chats}


@router.get("/decisions", summary="What the rules decided, newest first")
async def list_decisions(request: Request, who: Reader,
                         visitor: Annotated[str | None, Query(max_length=255)] = None,
                         scenario: Annotated[str | None, Query(max_length=64)] = None,
                         outcome: Annotated[str | None, Query(max_length=16)] = None,
                         limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> Any:
    """Every decision: fired, fallback or suppressed (with the reason), with its variant."""
    assert who.workspace_id
    svc = services(request)
    query = select(decisions).where(decisions.c.workspace_id == who.workspace_id)
    async with svc.engine.connect() as conn:
        if visitor is not None:
            query = query.where(decisions.c.visitor_id == await find_visitor_id(
                conn, who.workspace_id, visitor))
        if scenario is not None:
            query = query.where(decisions.c.scenario_key == scenario)
        if outcome is not None:
            query = query.where(decisions.c.outcome == outcome)
        rows = await conn.execute(query.order_by(decisions.c.created_at.desc()).limit(limit))
        return [{"id": r.id, "visitor_id": r.visitor_id, "scenario": r.scenario_key,
                 "variant": r.variant, "outcome": r.outcome, "reason": r.reason,
                 "action_type": r.action_type, "trigger": r.trigger,
                 "payload": msgspec.json.decode(r.payload) if r.payload else None,
                 "created_at": r.created_at, "delivered_at": r.delivered_at,
                 "response": r.response} for r in rows]


class ConditionIn(msgspec.Struct, kw_only=True):
    """A condition tree to check."""

    condition: Any = None


@router.post("/conditions/validate", summary="Check a condition tree",
             openapi_extra=_schema(ConditionIn))
async def validate_condition(request: Request, who: Reader) -> Any:
    """The problems of a condition (what the rule builder shows inline); empty when valid.
    ``warnings`` name values that can never match (``geo.country`` equals "Netherlands")
    and unknown segments; they do not make it invalid."""
    assert who.workspace_id
    body = validate.decode_checked(await read_body(request, MAX_DEFINITION_BYTES), ConditionIn,
                                   lambda _v: [], "invalid_request")
    problems = validate._condition(body.condition, "$.condition")
    rs = await services(request).rules.cache.get(who.workspace_id)
    warnings = never_matches(body.condition, segments=[s.key for s in rs.segments])
    return {"valid": not problems, "problems": problems, "warnings": warnings}


@router.post("/playbooks/{name}/install", summary="Install a bundled playbook")
async def install_playbook(name: str, request: Request, who: Admin) -> Any:
    """Create or replace the playbook's departments, segments and scenarios."""
    assert who.workspace_id
    doc = io.load_playbook(name)
    plan = await actions.apply_rules(services(request), who.workspace_id, doc)
    return {"installed": name, "changes": [{"kind": c.kind, "key": c.key, "action": c.action}
                                           for c in plan.changes]}


@router.get("/rules/export", summary="Departments, segments and scenarios as one document")
async def export_rules(request: Request, who: Reader) -> Any:
    """What `floorwalker rules export` prints, as JSON."""
    assert who.workspace_id
    async with services(request).engine.connect() as conn:
        return await io.export(conn, who.workspace_id)
