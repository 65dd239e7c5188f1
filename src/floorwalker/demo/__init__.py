"""The demo workspace that ``floorwalker demo`` (and ``make demo``) sets up."""

from __future__ import annotations

import hashlib
import time

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from floorwalker.accounts import actions
from floorwalker.accounts.passwords import hash_password
from floorwalker.collect.pipeline import Pipeline
from floorwalker.config import Settings
from floorwalker.demo.traffic import seed as seed_traffic
from floorwalker.events import Incoming
from floorwalker.rules import io, store
from floorwalker.rules.lookups import import_rows
from floorwalker.rules.model import Agent
from floorwalker.store.engine import make_engine
from floorwalker.tenancy import service

DEMO_SLUG = "demo"

# The demo shop's catalogue as the server sees it: margins never reach a browser.
PRODUCTS = [
    {"item_id": "boot-red", "name": "Red leather boots", "margin": 0.55, "popular": True,
     "cross_sell": "waterproof spray", "stock": 12},
    {"item_id": "boot-black", "name": "Black winter boots", "margin": 0.35, "popular": True,
     "cross_sell": "wool socks", "stock": 4},
    {"item_id": "coat-wool", "name": "Wool coat", "margin": 0.42, "popular": False, "stock": 3},
    {"item_id": "sock-wool", "name": "Wool socks", "margin": 0.7, "popular": False, "stock": 80},
    {"item_id": "spray", "name": "Waterproof spray", "margin": 0.6, "popular": False,
     "stock": 40},
]

# The demo's console logins (printed at start; a demo is not a production workspace).
DEMO_PASSWORD = "floorwalker-demo"  # noqa: S105  (printed; demo only)
DEMO_ADMIN = ("admin@demo.example", "Dana (Admin)")

DEMO_AGENTS = [
    Agent(email="sam@demo.example", name="Sam (Sales)", departments=["sales"], max_chats=3),
    Agent(email="bea@demo.example", name="Bea (Billing and Support)",
          departments=["billing", "support"], max_chats=3),
]


async def _seed_history(settings: Settings, engine: AsyncEngine, workspace_id: str,
                        site_id: str, agents: dict[str, str], traffic: bool) -> None:
    """ann@example.com is a returning customer (three orders in the last weeks), so the
    loyalty scenario can be tried at once: log in as ann and view a few products. With
    ``traffic``, a month of generated visitors, messages, chats and orders
    (demo/traffic.py) fills the Reports page."""
    now = time.time()
    events = []
    for i, days in enumerate((20, 9, 3)):
        ts = now - days * 86400
        events.append(Incoming(
            type="track", name="purchase", message_id=f"demo-ann-{i}",
            workspace_id=workspace_id, site_id=site_id, anonymous_id=None,
            user_id="ann@example.com", trusted=True, ts=ts, received_at=now, context={},
            properties={"transaction_id": f"DEMO-{i}", "value": 120 + 40 * i,
                        "currency": "EUR"}))
    events.append(Incoming(
        type="identify", name="identify", message_id="demo-ann-identify",
        workspace_id=workspace_id, site_id=site_id, anonymous_id=None,
        user_id="ann@example.com", trusted=True, ts=now - 3 * 86400, received_at=now,
        context={}, properties={},
        traits={"email": "ann@example.com", "name": "Ann Example", "first_name": "Ann"}))
    pipeline = Pipeline(engine, session_timeout=settings.session_timeout_minutes * 60.0,
                        max_batch=100, cache_size=100)
    await pipeline.start()
    try:
        await pipeline.ingest(events)
        if traffic:
            await seed_traffic(engine, pipeline, workspace_id, site_id, agents)
    finally:
        await pipeline.stop()


async def _demo_accounts(conn: AsyncConnection, workspace_id: str) -> None:
    """Console logins for the demo agents and an admin, all with DEMO_PASSWORD."""
    people = [(DEMO_ADMIN[0], DEMO_ADMIN[1], "admin")] + [
        (a.email, a.name, "agent") for a in DEMO_AGENTS]
    hashed = await hash_password(DEMO_PASSWORD)
    for email, name, role in people:
        _account, link = await actions.invite(conn, workspace_id, email, name, role)
        await actions.claim_invitation(conn, link.rsplit("=", 1)[1], hashed, time.time())


async def prepare(settings: Settings, *, traffic: bool = True) -> dict[str, str | None]:
    """Create the demo workspace, site, token, playbook, agents and products on the first
    run (and, with ``traffic``, a month of generated history); return what to print."""
    engine = make_engine(settings.database_url)
    agent_ids: dict[str, str] = {}
    try:
        async with engine.begin() as conn:
            existing = [w for w in await service.list_workspaces(conn) if w.slug == DEMO_SLUG]
            if existing:
                ws = existing[0]
                sites = await service.list_sites(conn, ws.id)
                site = sites[0] if sites else await service.create_site(
                    conn, ws.id, "Demo shop", "127.0.0.1")
                token = None
            else:
                ws = await service.create_workspace(conn, DEMO_SLUG, "Demo workspace")
                site = await service.create_site(conn, ws.id, "Demo shop", "127.0.0.1")
                token = await service.create_token(conn, ws.id, "demo")
                # Unread answers reach the demo's mailbox after half a minute, not two.
                ws.settings.email_unread_delay_seconds = 30.0
                await service.save_settings(conn, ws.id, ws.settings)
                await io.apply(conn, ws.id, io.load_playbook("ecommerce"))
                for agent in DEMO_AGENTS:
                    agent_ids[agent.email.split("@")[0]] = await store.save_def(
                        conn, "agent", ws.id, agent, create=True)
                await _demo_accounts(conn, ws.id)
                await import_rows(conn, ws.id, "products", "item_id", iter(PRODUCTS))
        if token is not None:
            await _seed_history(settings, engine, ws.id, site.id, agent_ids, traffic)
    finally:
        await engine.dispose()
    return {"workspace": ws.slug, "write_key": site.write_key, "server_key": site.server_key,
            "identity_secret": site.identity_secret, "token": token}


def with_demo_mail(settings: Settings, info: dict[str, str | None]) -> Settings:
    """The demo's e-mail: unless a relay is configured, its own mailbox takes the e-mails
    and replies to them come back by SMTP to ``reply.demo.localhost``, their addresses
    signed with a key that lasts as long as the demo database (``info``: what
    :func:`prepare` returned)."""
    if settings.smtp_url or settings.mail_inbound_domain:
        return settings
    secret = hashlib.sha256(f"mail:{info['identity_secret']}".encode()).hexdigest()
    return settings.with_overrides(mail_inbound_domain="reply.demo.localhost",
                                   mail_secret=secret)
