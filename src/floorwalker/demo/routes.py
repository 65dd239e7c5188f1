"""The demo shop at ``/demo/`` (only with FLOORWALKER_DEMO, which `floorwalker demo` sets).

Pages are static; the demo site's write key is filled in when a page is served, and
``/demo/identity`` plays the part of the shop's own server computing the identify hash.
"""

from __future__ import annotations

import mimetypes
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import aiosmtplib
from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from jinja2 import Environment

from floorwalker.errors import ApiError, not_found
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
    page = _MAILBOX.render(port=port, mails=mails, can_reply=services(request).inbound is not None,
                           replied=request.query_params.get("replied") == "1")
    return Response(page,
                    media_type="text/html; charset=utf-8",
                    headers={"Cache-Control": "no-store"})


@router.post("/demo/mailbox/reply")
async def mailbox_reply(request: Request) -> Response:
    """Answer a caught e-mail as its recipient would from their mail client: a reply with
    the original quoted below, sent by SMTP to the server's own inbound address."""
    svc = services(request)
    body = await request.body()
    if len(body) > 64 * 1024:
        raise ApiError(413, "payload_too_large", "A demo reply is at most 64 KB.")
    fields = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
    _port, mails = _mails(request)
    original = next((m for m in mails if m["message_id"] == fields.get("message_id")), None)
    text = fields.get("text", "").strip()
    if original is None or not original["reply_to"] or not text:
        raise ApiError(422, "invalid_reply", "Name a caught e-mail with a Reply-To, and "
                       "write something.")
    if svc.inbound is None:
        raise not_found("The demo's inbound e-mail")
    reply = EmailMessage()
    reply["From"] = original["to"]
    reply["To"] = original["reply_to"]
    reply["Subject"] = "Re: " + original["subject"]
    reply["Message-ID"] = make_msgid(domain="visitor.demo.localhost")
    reply["In-Reply-To"] = original["message_id"]
    reply["References"] = original["message_id"]
    quoted = "\n".join("> " + line for line in (original["text"] or "").splitlines())
    reply.set_content(f"{text}\n\nOn {original['when']}, {original['from']} wrote:\n"
                      f"{quoted}\n")
    try:
        await aiosmtplib.send(reply, hostname="127.0.0.1", port=svc.inbound.port,
                              start_tls=False, timeout=10)
    except aiosmtplib.SMTPException as exc:
        raise ApiError(422, "reply_refused", f"The inbound server refused it: {exc}") from exc
    return RedirectResponse("/demo/mailbox?replied=1", status_code=303)


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
