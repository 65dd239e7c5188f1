"""The funnel's daily counts (funnel_days) are kept by every write to a decision, so the
report reads them instead of a month of decisions. Here real traffic goes through the
API and the sockets (invitations live and polled, answers, a replaced pop-up, a chat an
agent answers, caps, a holdout, an erasure), and the counts kept must equal both the
report counted from the decisions themselves and a rebuild from scratch.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import insert, select

with warnings.catch_warnings():  # starlette suggests httpx2; httpx works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from floorwalker.app import create_app
from floorwalker.config import Settings
from floorwalker.measure import reports
from floorwalker.rules.decisions import rebuild_funnel_days
from floorwalker.store.engine import make_engine
from floorwalker.store.tables import conversations, decisions, funnel_days, messages
from tests.chat.test_websocket import agent_socket, track, until, visitor_url
from tests.conftest import Tenant, make_tenant


@pytest.fixture
def tenant(database_url: str) -> Tenant:
    return asyncio.run(make_tenant(database_url, "acme"))


@pytest.fixture
def app(settings: Settings, tenant: Tenant) -> Iterator[TestClient]:
    with TestClient(create_app(settings.with_overrides(timers_enabled=False))) as client:
        auth = tenant.bearer()
        assert client.post("/api/departments", headers=auth,
                           json={"key": "sales", "name": "Sales"}).status_code == 201
        agent = client.post("/api/agents", headers=auth, json={
            "email": "sam@acme.example", "name": "Sam", "departments": ["sales"],
            "max_chats": 20}).json()
        client.put(f"/api/agents/{agent['id']}/presence", headers=auth,
                   json={"status": "online"})
        for doc in (
            {"key": "help", "name": "Help", "trigger": {"event": "need_help"},
             "department": "sales", "caps": {"per_session": None}, "priority": 50,
             "action": {"type": "chat_invitation", "text": {"en": "Can I help?"}}},
            {"key": "nudge", "name": "Nudge", "trigger": {"event": "ping"},
             "needs_agent": False, "holdout": 0.3, "caps": {"per_session": 1},
             "priority": 10, "action": {"type": "popup", "text": {"en": "Look!"}}},
        ):
            r = client.post("/api/scenarios", headers=auth, json=doc)
            assert r.status_code == 201, r.text
        client.patch("/api/workspace/settings", headers=auth,
                     json={"min_gap_seconds": 0, "max_proactive_per_session": 100})
        yield client


def respond(app: TestClient, t: Tenant, anon: str, decision_id: str, response: str) -> None:
    r = app.post(f"/v1/decisions/{decision_id}/response", headers=t.basic(),
                 json={"anonymousId": anon, "response": response})
    assert r.status_code == 200, r.text


def polled(app: TestClient, t: Tenant, anon: str) -> list[dict[str, Any]]:
    r = app.get("/v1/decisions", params={"anonymousId": anon}, headers=t.basic())
    assert r.status_code == 200, r.text
    found: list[dict[str, Any]] = r.json()["decisions"]
    return found


async def _both(url: str, workspace_id: str) -> tuple[Any, Any, list[Any], list[Any]]:
    """The funnel from the kept counts and counted exactly; the kept rows and the rows a
    rebuild makes."""
    engine = make_engine(url)
    today = datetime.now(UTC).date()
    p = reports.Period(today, today)
    try:
        async with engine.connect() as conn:
            kept = await reports.funnel(conn, workspace_id, p)
            exact = await reports.funnel(conn, workspace_id, p, exact=True)
        columns = [c for c in funnel_days.c]
        query = select(*columns).where(funnel_days.c.workspace_id == workspace_id,
                                       funnel_days.c.n > 0).order_by(*columns)
        async with engine.begin() as conn:
            rows = [tuple(r) for r in await conn.execute(query)]
            await rebuild_funnel_days(conn, workspace_id)
            rebuilt = [tuple(r) for r in await conn.execute(query)]
    finally:
        await engine.dispose()
    return kept, exact, rows, rebuilt


def test_kept_counts_equal_the_decisions(app: TestClient, tenant: Tenant,
                                         database_url: str) -> None:
    with agent_socket(app, tenant) as agent:
        assert agent.receive_json()["type"] == "welcome"
        # Live visitors: invitations arrive as frames (delivered on the spot).
        for n in range(4):
            anon = f"live{n}"
            track(app, tenant, anon, "page_view")
            with app.websocket_connect(visitor_url(tenant, anon)) as visitor:
                assert visitor.receive_json()["type"] == "welcome"
                track(app, tenant, anon, "need_help")
                decision = until(visitor, "decision")["decision"]
                if n == 0:  # answers, and Sam answers back (and writes a note)
                    visitor.send_json({"type": "message", "client_id": "c1", "text": "Yes",
                                       "decision_id": decision["id"]})
                    conv = until(visitor, "conversation")["conversation"]
                    until(agent, "conversation")
                    for client_id, internal in (("a1", False), ("a2", False),
                                                ("a3", True)):
                        agent.send_json({"type": "message", "client_id": client_id,
                                         "conversation_id": conv["id"], "text": "Sure",
                                         "internal": internal})
                        until(agent, "ack")
                elif n == 1:  # answers, nobody answers back
                    visitor.send_json({"type": "message", "client_id": "c1", "text": "Hi",
                                       "decision_id": decision["id"]})
                    until(visitor, "ack")
                elif n == 2:
                    respond(app, tenant, anon, decision["id"], "shown")
                    respond(app, tenant, anon, decision["id"], "dismissed")
    # Polling visitors: nudge pop-ups (some held out), answered, capped the second time,
    # one replaced by a more urgent invitation before it was answered.
    for n in range(12):
        anon = f"poll{n}"
        track(app, tenant, anon, "ping")
        got = polled(app, tenant, anon)
        if got and n % 3 == 0:
            respond(app, tenant, anon, got[0]["id"], "accepted")
        elif got and n % 3 == 1:
            respond(app, tenant, anon, got[0]["id"], "shown")
        track(app, tenant, anon, "ping")  # cap_session (or held out again)
    track(app, tenant, "poll2", "need_help")  # replaces poll2's unanswered pop-up
    r = app.delete("/api/visitors/poll3", headers=tenant.bearer())
    assert r.status_code in (200, 202, 204), r.text

    kept, exact, rows, rebuilt = asyncio.run(_both(database_url, tenant.workspace_id))
    assert kept == exact
    assert rows == rebuilt
    by_key = {(s["scenario"], s["variant"]): s for s in kept["scenarios"]}
    help_, nudge = by_key[("help", None)], by_key[("nudge", None)]
    assert (help_["decided"], help_["delivered"], help_["chats"], help_["answered"]) == (5, 4, 2, 1)
    assert help_["engaged"] == 2 and help_["shown"] == 3
    assert nudge["eligible"] == 22  # 12 visitors twice, less poll3's two (erased)
    assert nudge["suppressed"].get("cap_session", 0) > 0
    assert nudge["eligible"] > nudge["decided"] > 0


async def _bulk_import(url: str, workspace_id: str) -> None:
    """Rows written around Floorwalker, as a restore or a bulk import would."""
    engine = make_engine(url)
    at = datetime.now(UTC).timestamp() - 60
    try:
        async with engine.begin() as conn:
            await conn.execute(insert(decisions), [
                {"id": f"imp-{n}", "workspace_id": workspace_id, "visitor_id": f"iv{n}",
                 "scenario_key": "imported", "outcome": "fired", "created_at": at,
                 "delivered_at": at + 1, "response": "accepted" if n < 2 else None}
                for n in range(3)])
            await conn.execute(insert(conversations), [{
                "id": "imp-c", "workspace_id": workspace_id, "visitor_id": "iv0",
                "status": "closed", "decision_id": "imp-0", "started_at": at + 2,
                "updated_at": at + 30}])
            await conn.execute(insert(messages), [
                {"id": "imp-m1", "conversation_id": "imp-c", "workspace_id": workspace_id,
                 "seq": 1, "author": "visitor", "author_id": None, "text": "hi",
                 "internal": False, "created_at": at + 2},
                {"id": "imp-m2", "conversation_id": "imp-c", "workspace_id": workspace_id,
                 "seq": 2, "author": "agent", "author_id": "someone", "text": "hello",
                 "internal": False, "created_at": at + 9}])
    finally:
        await engine.dispose()


def test_an_import_is_counted_after_report_rebuild(app: TestClient, tenant: Tenant,
                                                    database_url: str) -> None:
    asyncio.run(_bulk_import(database_url, tenant.workspace_id))
    today = datetime.now(UTC).date().isoformat()

    def imported() -> dict[str, Any] | None:
        r = app.get("/api/reports/funnel", headers=tenant.bearer(),
                    params={"since": today, "until": today})
        assert r.status_code == 200, r.text
        return next((s for s in r.json()["scenarios"] if s["scenario"] == "imported"), None)

    assert imported() is None  # written around the actions: not counted yet
    env = {**os.environ, "FLOORWALKER_DATABASE_URL": database_url}
    done = subprocess.run([sys.executable, "-m", "floorwalker.cli", "report", "rebuild",
                           "--workspace", "acme"], env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "Rebuilt the report rollups of acme" in done.stdout
    row = imported()
    assert row is not None
    assert (row["decided"], row["delivered"], row["engaged"], row["chats"],
            row["answered"]) == (3, 3, 2, 1, 1)
    r = app.get("/api/reports/agents", headers=tenant.bearer(),
                params={"since": today, "until": today})
    assert [(a["agent_id"], a["chats"]) for a in r.json()["agents"]] == [("someone", 1)]
