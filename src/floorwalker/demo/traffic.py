"""A month of generated traffic for the demo, so its Reports page has something to show.

Visitors of the last 30 days met the playbook's scenarios: most were shown the message,
some were held back (caps, the gap, no free agent), and two scenarios ran a holdout test
that has since ended. Some accepted and chatted with Sam or Bea; some bought. Buying is
likelier after a chat and a little likelier after a message than when held out, so the
lift and the sales per agent read as a shop owner would expect. Seeded: every new demo
has the same history.

Purchases go through the pipeline as tracked events (so profiles and conversions are
real); decisions and chats are written through their owners' functions.
"""

from __future__ import annotations

import random
import time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from floorwalker.chat import service as chat_rows
from floorwalker.collect.pipeline import Pipeline
from floorwalker.events import Incoming
from floorwalker.profiles.queries import find_linked_visitor_id
from floorwalker.rules import decisions as decision_rows

DAY = 86_400.0
VISITORS = 400
# The playbook's scenarios the history uses: key, department, action type.
SCENARIOS = [
    ("payment_failure", "billing", "chat_invitation"),
    ("coupon_failure", "sales", "open_chat"),
    ("big_cart", "sales", "chat_invitation"),
    ("search_few_results", "support", "open_chat"),
    ("cross_sell", "sales", "popup"),
]
HOLDOUT_TESTS = {"payment_failure": 0.2, "big_cart": 0.2}
HELD_BACK = ["min_gap", "cap_session", "no_agent"]
GREETINGS = ["Hi, can I help with your order?", "Hello! Anything I can do?"]
QUESTIONS = ["My card was refused", "Does this come in size 42?", "When will it arrive?",
             "Is the coupon still valid?", "Can I return it if it does not fit?"]
ANSWERS = ["Let me check that for you.", "Yes, we have it in stock.",
           "It ships tomorrow and arrives in two days.", "Done, try again now."]


def _plan(rnd: random.Random, now: float, agents: dict[str, str]) -> dict[str, Any]:
    """What happened, by anonymous id: decisions, chats and purchases."""
    visitors: dict[str, dict[str, Any]] = {}
    for n in range(VISITORS):
        anon = f"demo-history-{n:04d}"
        at = now - rnd.uniform(0.5, 30) * DAY
        key, dept, action = rnd.choice(SCENARIOS)
        held = rnd.random() < HOLDOUT_TESTS.get(key, 0.0)
        returning = rnd.random() < 0.35  # an earlier visit: the playbook's "returning"
        roll = rnd.random()
        outcome = "held_out" if held else ("suppressed" if roll < 0.15 else "fired")
        decision: dict[str, Any] = {
            "id": f"d_demo{n:04d}", "scenario_key": key, "variant": None,
            "outcome": outcome, "reason": rnd.choice(HELD_BACK) if outcome == "suppressed"
            else None, "action_type": action, "payload": None, "trigger": "history",
            "created_at": at, "expires_at": at + 300,
            "delivered_at": at + 1 if outcome == "fired" else None,
            "response": None, "responded_at": None,
            "segments": ",returning," if returning else None}
        chat = None
        buy_chance = 0.12 if held else 0.08
        if outcome == "fired":
            buy_chance = 0.18
            seen = rnd.random()
            if seen < 0.3:
                decision["response"] = "accepted" if action == "chat_invitation" else "replied"
            elif seen < 0.55:
                decision["response"] = "dismissed"
            elif seen < 0.85:
                decision["response"] = "shown"
            if decision["response"]:
                decision["responded_at"] = at + rnd.uniform(3, 40)
            if decision["response"] in ("accepted", "replied"):
                agent = agents["sam"] if dept == "sales" else agents["bea"]
                start = at + 45
                wait = rnd.uniform(8, 90 if agent == agents["sam"] else 200)
                chat = {"department": dept, "agent": agent, "start": start, "wait": wait,
                        "length": rnd.uniform(120, 900), "rating": rnd.choice(
                            [5, 5, 4, 4, 3, None] if agent == agents["sam"]
                            else [5, 4, 4, 3, 2, None])}
                buy_chance = 0.45 if agent == agents["sam"] else 0.3
        purchase = None
        if rnd.random() < buy_chance:
            # An agent's advice fills the basket a little more.
            top = 480 if chat else 420
            purchase = {"at": min(now - 60, at + rnd.uniform(0.2, 40) * 3600),
                        "value": round(rnd.uniform(30 if not chat else 60, top), 2)}
        first_seen = at - rnd.uniform(60, 900)
        visitors[anon] = {"decision": decision, "chat": chat, "purchase": purchase,
                          "first_seen": first_seen,
                          "earlier": first_seen - rnd.uniform(2, 9) * DAY if returning else None}
    return visitors


async def seed(engine: AsyncEngine, pipeline: Pipeline, workspace_id: str, site_id: str,
               agents: dict[str, str], now: float | None = None) -> int:
    """Write the month; ``agents`` maps ``sam`` and ``bea`` to their agent ids. Returns
    how many visitors it made."""
    now = now or time.time()
    plan = _plan(random.Random(20261204), now, agents)
    events = []
    for anon, v in plan.items():
        if v["earlier"]:
            events.append(Incoming(
                type="page", name="page_view", message_id=f"{anon}-earlier",
                workspace_id=workspace_id, site_id=site_id, anonymous_id=anon, user_id=None,
                ts=v["earlier"], received_at=now, properties={},
                context={"page": {"url": "http://127.0.0.1/demo/", "path": "/demo/"}}))
        events.append(Incoming(
            type="page", name="page_view", message_id=f"{anon}-page", workspace_id=workspace_id,
            site_id=site_id, anonymous_id=anon, user_id=None, ts=v["first_seen"],
            received_at=now, properties={},
            context={"page": {"url": "http://127.0.0.1/demo/", "path": "/demo/"}}))
        if v["purchase"]:
            events.append(Incoming(
                type="track", name="purchase", message_id=f"{anon}-purchase",
                workspace_id=workspace_id, site_id=site_id, anonymous_id=anon, user_id=None,
                ts=v["purchase"]["at"], received_at=now, context={}, trusted=True,
                properties={"transaction_id": f"DEMO-H-{anon[-4:]}",
                            "value": v["purchase"]["value"], "currency": "EUR"}))
    for start in range(0, len(events), 200):
        await pipeline.ingest(events[start:start + 200])
    decisions: list[dict[str, Any]] = []
    convs: list[dict[str, Any]] = []
    msgs: list[dict[str, Any]] = []
    async with engine.begin() as conn:
        for anon, v in plan.items():
            visitor_id = await find_linked_visitor_id(conn, workspace_id, "anon", anon)
            if visitor_id is None:
                continue
            decisions.append({**v["decision"], "workspace_id": workspace_id,
                              "visitor_id": visitor_id})
            chat = v["chat"]
            if chat is None:
                continue
            cid = "c_demo" + anon[-4:]
            start, end = chat["start"], chat["start"] + chat["length"]
            lines = [("visitor", None, QUESTIONS[len(convs) % len(QUESTIONS)], start),
                     ("agent", chat["agent"], GREETINGS[len(convs) % 2] + " "
                      + ANSWERS[len(convs) % len(ANSWERS)], start + chat["wait"]),
                     ("visitor", None, "Thanks!", end - 30)]
            convs.append({
                "id": cid, "workspace_id": workspace_id, "visitor_id": visitor_id,
                "anonymous_id": anon, "status": "closed", "department": chat["department"],
                "scenario_key": v["decision"]["scenario_key"],
                "decision_id": v["decision"]["id"], "context": None,
                "assigned_agent_id": chat["agent"], "last_seq": len(lines),
                "visitor_read_seq": len(lines), "agent_read_seq": len(lines),
                "started_at": start, "updated_at": end, "closed_at": end,
                "rating": chat["rating"], "survey": None, "queued_at": start,
                "assigned_at": start + 2, "joined_agent_id": chat["agent"],
                "segments": v["decision"]["segments"]})
            for seq, (author, author_id, text, at) in enumerate(lines, 1):
                msgs.append({"id": f"{cid}-{seq}", "conversation_id": cid,
                             "workspace_id": workspace_id, "seq": seq, "author": author,
                             "author_id": author_id, "name": None, "text": text,
                             "internal": False, "client_id": None, "created_at": at,
                             "notice": None})
        await decision_rows.record(conn, decisions)
        await chat_rows.record_past(conn, convs, msgs)
    return len(decisions)
