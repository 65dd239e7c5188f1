"""``/api/canned-replies``: saved answers with personalisation (docs/console-api.md).

Views only: the writes are `chat/canned.py`'s."""

from __future__ import annotations

import re
from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Depends, Request
from sqlalchemy import select

from floorwalker import protocol as p
from floorwalker.auth.caller import Caller
from floorwalker.auth.principal import bearer_scheme
from floorwalker.auth.staff import admin_staff, staff
from floorwalker.chat import canned
from floorwalker.chat.canned import CannedIn
from floorwalker.errors import ApiError
from floorwalker.live.visitors import visitor_name
from floorwalker.ops.http import read_body
from floorwalker.profiles.model import PROFILE_DECODER
from floorwalker.rules.render import RENDERER
from floorwalker.rules.validate import decode_checked
from floorwalker.services import services
from floorwalker.store.tables import conversations, visitors
from floorwalker.texts.templates import TemplateError

router = APIRouter(prefix="/api/canned-replies", tags=["conversations"],
                   dependencies=[Depends(bearer_scheme)])
Staff = Annotated[Caller, Depends(staff)]
Admin = Annotated[Caller, Depends(admin_staff)]
MAX_BODY = 32 * 1024
SHORTCUT = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
SAMPLE = {"visitor": {"first_name": "Ann", "name": "Ann Example", "email": "ann@example.com",
                      "city": "Paris", "country": "FR", "language": "en"},
          "agent": {"name": "Sam"}, "conversation": {"department": "sales",
                                                     "scenario": "cart_rescue"}}


async def _checked(request: Request) -> CannedIn:
    body: CannedIn = decode_checked(await read_body(request, MAX_BODY), CannedIn,
                                    lambda _v: [], "invalid_canned_reply")
    problems = []
    if not SHORTCUT.match(body.shortcut):
        problems.append({"path": "$.shortcut",
                         "problem": "1-64 of a-z, 0-9, '-' and '_', starting with a letter "
                                    "or digit"})
    if not body.title.strip() or len(body.title) > 200 or "\x00" in body.title:
        problems.append({"path": "$.title", "problem": "1-200 characters"})
    if not body.text.strip() or len(body.text) > p.MAX_TEXT or "\x00" in body.text:
        problems.append({"path": "$.text", "problem": f"1-{p.MAX_TEXT} characters"})
    else:
        try:
            RENDERER.render(body.text, SAMPLE, strict=True)
        except TemplateError as exc:
            problems.append({"path": "$.text", "problem": str(exc)[:300]})
    if body.department is not None and len(body.department) > 64:
        problems.append({"path": "$.department", "problem": "at most 64 characters"})
    if problems:
        raise ApiError(422, "invalid_canned_reply",
                       f"{problems[0]['path']}: {problems[0]['problem']}", problems)
    return body


@router.get("", summary="Canned replies (everyone)")
async def list_replies(request: Request, caller: Staff) -> Any:
    """Every canned reply of the workspace, by shortcut."""
    async with services(request).engine.connect() as conn:
        return await canned.all_replies(conn, caller.workspace)


@router.post("", status_code=201, summary="Add a canned reply (admin)")
async def create_reply(request: Request, caller: Admin) -> Any:
    """The text is a template (checked now: a broken one is 422)."""
    body = await _checked(request)
    return await canned.create(services(request).engine, caller.workspace, body)


@router.put("/{reply_id}", summary="Replace a canned reply (admin)")
async def replace_reply(reply_id: str, request: Request, caller: Admin) -> Any:
    """Same checks as creating one."""
    body = await _checked(request)
    return await canned.replace(services(request).engine, caller.workspace, reply_id, body)


@router.delete("/{reply_id}", summary="Delete a canned reply (admin)")
async def delete_reply(reply_id: str, request: Request, caller: Admin) -> Any:
    """Gone for everyone."""
    await canned.remove(services(request).engine, caller.workspace, reply_id)
    return {"deleted": reply_id}


class RenderIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``POST /api/canned-replies/{id}/render``."""

    conversation_id: str


@router.post("/{reply_id}/render", summary="A canned reply, personalised for a conversation")
async def render_reply(reply_id: str, request: Request, caller: Staff) -> Any:
    """``visitor.*`` (first_name, name, email, city, country, language), ``agent.name`` and
    ``conversation.*`` (department, scenario) are filled in."""
    svc = services(request)
    body = decode_checked(await read_body(request, MAX_BODY), RenderIn, lambda _v: [],
                          "invalid_request")
    async with svc.engine.connect() as conn:
        reply = await canned.get_reply(conn, caller.workspace, reply_id)
        conv = (await conn.execute(select(conversations).where(
            conversations.c.id == body.conversation_id[:40],
            conversations.c.workspace_id == caller.workspace))).first()
        if conv is None:
            raise ApiError(404, "not_found", "No such conversation.")
        doc = (await conn.execute(select(visitors.c.profile).where(
            visitors.c.id == conv.visitor_id))).scalar()
    visitor: dict[str, Any] = {}
    if doc:
        # The agent reads the result: the workspace's sensitive attributes stay out.
        hidden = (await svc.rules.cache.get(caller.workspace)).sensitive
        profile = PROFILE_DECODER.decode(doc)
        attrs = {k: v for k, v in profile.attributes.items() if k not in hidden}
        name = visitor_name(profile, hidden)
        first = attrs.get("first_name") or (name.split()[0] if name else None)
        visitor = {"first_name": first, "name": name, "email": attrs.get("email"),
                   "city": (profile.geo or {}).get("city"),
                   "country": (profile.geo or {}).get("country"),
                   "language": profile.language}
    names = {"visitor": {k: v for k, v in visitor.items() if v is not None},
             "agent": {"name": caller.name},
             "conversation": {"department": conv.department, "scenario": conv.scenario_key}}
    return {"text": RENDERER.render_safe(reply.text, names, fallback=reply.text)}
