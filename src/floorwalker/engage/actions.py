"""Engage's writes: a visitor's answer to a message (and the snooze a dismissal starts), and
invitations an agent sends by hand. The decisions table itself is rules' (`rules/decisions.py`).

Views validate and call these; the frames go out from on-commit hooks, never from views.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncEngine

from floorwalker import protocol as p
from floorwalker.bus import Bus
from floorwalker.errors import ApiError, not_found
from floorwalker.profiles.unit import UnitOfWork
from floorwalker.rules import decisions as decision_rows
from floorwalker.rules.actions import RulesParts
from floorwalker.rules.conditions import parse_duration
from floorwalker.rules.engine import new_decision_id, snooze
from floorwalker.rules.model import VISIBLE_ACTIONS, Scenario
from floorwalker.rules.output import Fired
from floorwalker.rules.store import get_def
from floorwalker.store.transaction import atomic

MANUAL_INVITATION_SECONDS = 600.0


RESPONSES = ("shown", "dismissed", "accepted", "replied")


@dataclass(frozen=True, slots=True)
class ManualInvitation:
    """What an agent sends: the text, who sends it, and where it goes."""

    workspace_id: str
    visitor_id: str
    agent_id: str
    agent_name: str
    text: str
    language: str
    browsers: tuple[str, ...]  # anonymous ids with a page open


async def send_manual_invitation(engine: AsyncEngine, bus: Bus, inv: ManualInvitation) -> str:
    """Record the invitation as delivered, then (after commit) show it in each browser."""
    decision_id = new_decision_id()
    now = time.time()
    payload = {"id": decision_id, "type": "chat_invitation", "text": inv.text,
               "agent_name": inv.agent_name, "agent_id": inv.agent_id, "inline_reply": True,
               "language": inv.language}
    shown = {k: v for k, v in payload.items() if k != "agent_id"}
    frame = p.encode(p.DecisionFrame(decision=shown))

    async def publish() -> None:
        for anon in inv.browsers:
            await bus.publish(p.browser_channel(inv.workspace_id, anon), frame)

    async with atomic(engine) as tx:
        await decision_rows.record(tx.conn, [dict(
            id=decision_id, workspace_id=inv.workspace_id, visitor_id=inv.visitor_id,
            scenario_key="manual", variant=None, outcome="fired", reason=None,
            action_type="chat_invitation", payload=msgspec.json.encode(payload).decode(),
            trigger=f"agent:{inv.agent_id}", created_at=now,
            expires_at=now + MANUAL_INVITATION_SECONDS, delivered_at=now, response=None,
            responded_at=None)])
        tx.on_commit(publish)
    return decision_id


async def record_response(svc: RulesParts, workspace_id: str, visitor_id: str,
                          decision_id: str, response: str) -> None:
    """Store the visitor's reaction; dismissing snoozes the scenario; answers free the slot."""
    if response not in RESPONSES:
        raise ApiError(422, "invalid_request", f"response is one of {', '.join(RESPONSES)}",
                       [{"path": "$.response", "problem": "unknown response"}])
    now = time.time()
    async with svc.engine.begin() as conn:
        row = await decision_rows.find(conn, workspace_id, visitor_id, decision_id)
        if row is None or not visitor_id:
            raise not_found(f"Decision {decision_id[:40]!r}")
        await decision_rows.answer(conn, workspace_id, visitor_id, decision_id, response, now)
        scenario_key = row.scenario_key
        try:
            _id, scenario = await get_def(conn, "scenario", workspace_id, scenario_key, Scenario)
        except ApiError:
            scenario = None
    if response != "shown":
        svc.rules.answered(decision_id)
    if response == "dismissed" and scenario is not None:
        seconds = parse_duration(scenario.caps.snooze_after_dismiss)
        await _snooze(svc, visitor_id, scenario_key, seconds, now)


async def _snooze(svc: RulesParts, visitor_id: str, scenario_key: str, seconds: float,
                  now: float) -> None:
    async def body(unit: UnitOfWork) -> None:
        await unit.load({visitor_id})
        if visitor_id in unit.profiles:
            snooze(unit.profile(visitor_id), scenario_key, seconds, now)

    await svc.pipeline.run_unit(body)


def decision_frames(fired: list[Fired]) -> list[tuple[str, bytes]]:
    """Frames for freshly committed decisions: invitations to the visitor's browsers
    (``notify_agents`` alerts go to the accounts they name: live/alerts.py)."""
    out: list[tuple[str, bytes]] = []
    for item in fired:
        anons = item.visitor.get("anonymous_ids", [])
        channels = [p.browser_channel(item.workspace_id, anon) for anon in anons]
        if item.replaces:
            # The message it replaces leaves the page first (the widget removes it).
            gone = p.encode(p.Withdraw(decision_id=item.replaces, reason="replaced"))
            out.extend((channel, gone) for channel in channels)
        if item.action.type in VISIBLE_ACTIONS:
            data = p.encode(p.DecisionFrame(decision=item.payload))
            out.extend((channel, data) for channel in channels)
    return out


def decision_pusher(bus: Bus) -> Callable[[list[Fired]], Awaitable[None]]:
    """A rules listener (after commit): each decision to the browsers that are open."""
    async def push(fired: list[Fired]) -> None:
        for channel, data in decision_frames(fired):
            await bus.publish(channel, data)
    return push


async def hand_out(engine: AsyncEngine, workspace_id: str, visitor_id: str,
                   now: float) -> dict[str, list[Any]]:
    """What a poll of ``GET /v1/decisions`` gets: the visitor's undelivered decisions,
    each claimed (two polls at once never both get the same one), and the ids of those
    delivered and since withdrawn (a more urgent message replaced them: take them down,
    as a socket's ``withdraw`` frame says)."""
    async with engine.begin() as conn:
        gone = await decision_rows.withdrawn_on_screen(conn, workspace_id, visitor_id, now)
        payloads = await decision_rows.claim_undelivered(conn, workspace_id, visitor_id,
                                                         VISIBLE_ACTIONS, now)
    return {"withdrawn": gone,
            "decisions": [msgspec.json.decode(payload) for payload in payloads]}
