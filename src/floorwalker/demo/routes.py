"""The demo shop at ``/demo/`` (only with FLOORWALKER_DEMO, which `floorwalker demo` sets).

Pages are static; the demo site's write key is filled in when a page is served, and
``/demo/identity`` plays the part of the shop's own server computing the identify hash.
"""

from __future__ import annotations

import mimetypes
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from jinja2 import Environment

from floorwalker.errors import not_found
from floorwalker.rules import store
from floorwalker.rules.model import Agent
from floorwalker.services import services
from floorwalker.tenancy import service
from floorwalker.tenancy.keys import user_hash

router = APIRouter(include_in_schema=False)
SHOP = Path(__file__).parent / "shop"
DEMO_USERS = {"ann@example.com": "Ann Example", "bob@example.com": "Bob Example"}


async def _demo_site(request: Request) -> service.Site:
    svc = services(request)
    if not svc.settings.demo:
        raise not_found("The demo")
    async with svc.engine.connect() as conn:
        found = [w for w in await service.list_workspaces(conn) if w.slug == "demo"]
        sites = await service.list_sites(conn, found[0].id) if found else []
    if not sites:
        raise not_found("The demo workspace")
    return sites[0]


@router.get("/demo/identity")
async def identity(request: Request, user: str = Query(max_length=100)) -> Any:
    """What the shop's server would give its page after login: userId and userHash."""
    site = await _demo_site(request)
    if "@" not in user:  # the shop's pages know them as "ann" and "bob"
        user = f"{user}@example.com"
    if user not in DEMO_USERS:
        raise not_found(f"Demo user {user!r}")
    return {"userId": user, "userHash": user_hash(site.identity_secret, user),
            "name": DEMO_USERS[user], "email": user}


_MAILBOX = Environment(autoescape=True).from_string(
    (Path(__file__).parent / "mailbox.html").read_text(encoding="utf-8"))


def _mails(request: Request) -> tuple[int, list[dict[str, Any]]]:
    svc = services(request)
    if not svc.settings.demo or svc.mailbox is None:
        raise not_found("The demo mailbox")
    mails = [m.view() for m in reversed(svc.mailbox.caught)]
    for m in mails:
        m["when"] = datetime.fromtimestamp(m["received_at"], UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return svc.mailbox.port, mails


@router.get("/demo/mailbox")
async def mailbox(request: Request) -> Response:
    """The e-mails the demo's own SMTP mailbox caught, newest first."""
    port, mails = _mails(request)
    return Response(_MAILBOX.render(port=port, mails=mails),
                    media_type="text/html; charset=utf-8",
                    headers={"Cache-Control": "no-store"})


@router.get("/demo/mailbox.json")
async def mailbox_json(request: Request) -> Any:
    """The same, as JSON."""
    return {"emails": _mails(request)[1]}


@router.get("/demo")
@router.get("/demo/{path:path}")
async def shop(request: Request, path: str = "") -> Response:
    """A page or asset of the demo shop."""
    site = await _demo_site(request)
    target = (SHOP / (path or "index.html")).resolve()
    if target.is_dir():
        target = target / "index.html"
    if SHOP.resolve() not in target.parents or not target.is_file():
        raise not_found(f"Demo page {path!r}")
    body = target.read_bytes()
    media = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    if target.suffix == ".html":
        body = body.replace(b"__WRITE_KEY__", site.write_key.encode())
        media = "text/html; charset=utf-8"
    return Response(body, media_type=media, headers={"Cache-Control": "no-cache"})


async def staff_demo_agents(svc: Any) -> int:
    """In the demo the agents are "logged in" from the start, so live-chat scenarios fire
    (answer them through /ws/agent until the console exists). Returns how many."""
    async with svc.engine.connect() as conn:
        found = [w for w in await service.list_workspaces(conn) if w.slug == "demo"]
        if not found:
            return 0
        agents = await store.list_defs(conn, "agent", found[0].id, Agent)
    for agent_id, _agent in agents:
        svc.rules.presence.set(found[0].id, agent_id, status="online")
    return len(agents)
