"""Engage's writes: invitations an agent sends by hand (the decisions table's manual rows).

Views validate and call these; the frames go out from on-commit hooks, never from views.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import msgspec
from sqlalchemy.ext.asyncio import AsyncEngine

from floorwalker.bus import Bus
from floorwalker.chat import protocol as p
from floorwalker.rules.engine import new_decision_id
from floorwalker.store.tables import decisions
from floorwalker.store.transaction import atomic

MANUAL_INVITATION_SECONDS = 600.0


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
    frame = p.frame("decision", decision=shown)

    async def publish() -> None:
        for anon in inv.browsers:
            await bus.publish(p.browser_channel(inv.workspace_id, anon), frame)

    async with atomic(engine) as tx:
        await tx.conn.execute(decisions.insert().values(
            id=decision_id, workspace_id=inv.workspace_id, visitor_id=inv.visitor_id,
            scenario_key="manual", variant=None, outcome="fired", reason=None,
            action_type="chat_invitation", payload=msgspec.json.encode(payload).decode(),
            trigger=f"agent:{inv.agent_id}", created_at=now,
            expires_at=now + MANUAL_INVITATION_SECONDS, delivered_at=now, response=None,
            responded_at=None))
        tx.on_commit(publish)
    return decision_id
