"""Console API: the caller's preferences and status, live visitors, manual invitations,
and the figures behind the console's charts (docs/console-api.md)."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

import msgspec
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import func, select

from floorwalker import protocol as p
from floorwalker.accounts import actions as account_actions
from floorwalker.auth.caller import Caller
from floorwalker.auth.principal import bearer_scheme
from floorwalker.auth.staff import agent_of, staff
from floorwalker.chat.desk import summaries
from floorwalker.engage.actions import ManualInvitation, send_manual_invitation
from floorwalker.errors import ApiError
from floorwalker.live.alerts import ALERT_KINDS, PreferencesPatch, decode_preferences
from floorwalker.live.visitors import segment_chips, visitor_row
from floorwalker.mail import addresses as mail_addresses
from floorwalker.ops.http import read_body
from floorwalker.profiles import queries, sensitive
from floorwalker.rules.validate import decode_checked
from floorwalker.services import Services, services
from floorwalker.store.tables import accounts, conversations, decisions

router = APIRouter(prefix="/api", tags=["console"], dependencies=[Depends(bearer_scheme)])
Staff = Annotated[Caller, Depends(staff)]
MAX_BODY = 16 * 1024


def _account_id(caller: Staff) -> str:
    if caller.account is None:
        raise ApiError(409, "account_required",
                       "Preferences belong to a console account; log in instead of a token.")
    return caller.account.id


# -- the caller ------------------------------------------------------------------------

@router.get("/me/preferences", summary="Your console preferences")
async def get_preferences(request: Request, caller: Staff) -> Any:
    """Watched segments, muted alert kinds, sound and desktop notifications."""
    account_id = _account_id(caller)
    async with services(request).engine.connect() as conn:
        raw = (await conn.execute(select(accounts.c.preferences).where(
            accounts.c.id == account_id))).scalar()
    return msgspec.to_builtins(decode_preferences(raw))


@router.put("/me/preferences", summary="Change your console preferences")
async def put_preferences(request: Request, caller: Staff) -> Any:
    """Fields left out keep their value. Unknown segments or alert kinds are 422."""
    account_id = _account_id(caller)
    svc = services(request)
    patch = decode_checked(await read_body(request, MAX_BODY), PreferencesPatch,
                           lambda _v: [], "invalid_preferences")
    rs = await svc.rules.cache.get(caller.workspace)
    if patch.watched_segments is not None:
        known = {s.key for s in rs.segments}
        unknown = [k for k in patch.watched_segments if k not in known]
        if unknown or len(patch.watched_segments) > 200:
            raise ApiError(422, "unknown_segment", f"No segment {unknown[0][:64]!r}."
                           if unknown else "Watch at most 200 segments.",
                           [{"path": "$.watched_segments", "problem": f"unknown {k[:64]!r}"}
                            for k in unknown[:10]])
    if patch.muted is not None:
        bad = [k for k in patch.muted if k not in ALERT_KINDS]
        if bad:
            raise ApiError(422, "invalid_preferences",
                           f"Unknown alert kind {bad[0][:40]!r}; kinds are "
                           f"{', '.join(ALERT_KINDS)}.",
                           [{"path": "$.muted", "problem": f"unknown {b[:40]!r}"} for b in bad])

    def patched(raw: str | None) -> str:
        prefs = decode_preferences(raw)
        for field in ("watched_segments", "muted", "sound", "desktop"):
            value = getattr(patch, field)
            if value is not None:
                setattr(prefs, field, sorted(set(value)) if isinstance(value, list) else value)
        return msgspec.json.encode(prefs).decode()

    doc = await account_actions.update_preferences(svc.engine, account_id, patched)
    svc.alerts.invalidate(caller.workspace)
    return msgspec.to_builtins(decode_preferences(doc))


class StatusIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``PUT /api/me/status``."""

    status: Literal["online", "away"]


@router.put("/me/status", summary="Set your own presence: online or away")
async def put_status(request: Request, caller: Staff) -> Any:
    """Agents only. Offline is not chosen: it follows from closing the last console tab."""
    agent_id = agent_of(caller)
    svc = services(request)
    body = decode_checked(await read_body(request, MAX_BODY), StatusIn, lambda _v: [],
                          "invalid_status")
    await svc.desk.set_status(caller.workspace, agent_id, body.status)
    state = svc.rules.presence.get(caller.workspace, agent_id)
    return {"agent_id": agent_id, "status": state.status, "active_chats": state.active_chats}


# -- live visitors ---------------------------------------------------------------------

@router.get("/live/visitors", summary="Everyone on the site now")
async def live_visitors(
        request: Request, caller: Staff,
        segment: Annotated[str | None, Query(max_length=64)] = None,
        department: Annotated[str | None, Query(max_length=64)] = None,
        page: Annotated[str | None, Query(max_length=500)] = None,
        sort: Annotated[Literal["recent", "time_on_site", "cart_value"], Query()] = "recent",
        limit: Annotated[int, Query(ge=1, le=5000)] = 500) -> Any:
    """Live rows (seen within the live window), filtered and sorted, with segment counts."""
    svc = services(request)
    rows = await svc.live.rows(caller.workspace)
    rs = await svc.rules.cache.get(caller.workspace)
    counts: dict[str, int] = {}
    for row in rows:
        for key in row["segments"]:
            counts[key] = counts.get(key, 0) + 1
    if segment:
        rows = [r for r in rows if segment in r["segments"]]
    if department:
        rows = [r for r in rows if department in r["departments"]]
    if page:
        needle = page.lower()
        rows = [r for r in rows if r["current_page"] and needle in (
            r["current_page"].get("path") or r["current_page"].get("url") or "").lower()]
    if sort == "time_on_site":
        rows = sorted(rows, key=lambda r: -r["time_on_site"])
    elif sort == "cart_value":
        rows = sorted(rows, key=lambda r: -r["cart_value"])
    ordered = sorted(rs.segments, key=lambda s: (-s.definition.priority, s.key))
    segments = [{"key": s.key, "name": s.definition.name, "color": s.definition.color,
                 "priority": s.definition.priority, "count": counts.get(s.key, 0)}
                for s in ordered]
    return _json(request, {"visitors": rows[:limit], "count": len(rows), "segments": segments})


GZIP_FROM = 4096


def _json(request: Request, doc: Any) -> Response:
    """A JSON response, gzipped when it is large and the client accepts it (5,000 live
    rows are 3.3 MB as JSON, about 170 KB gzipped)."""
    body = msgspec.json.encode(doc)
    headers = {"Vary": "Accept-Encoding", "Cache-Control": "no-store"}
    if len(body) >= GZIP_FROM and "gzip" in request.headers.get("accept-encoding", ""):
        return Response(gzip.compress(body, 5), media_type="application/json",
                        headers={**headers, "Content-Encoding": "gzip"})
    return Response(body, media_type="application/json", headers=headers)


async def _visitor_id(svc: Services, workspace_id: str, ref: str) -> str:
    async with svc.engine.connect() as conn:
        try:
            return await queries.find_visitor_id(conn, workspace_id, ref[:255])
        except ApiError:
            raise ApiError(404, "visitor_not_found", f"No visitor {ref[:60]!r}.") from None


@router.get("/live/visitors/{ref}", summary="A visitor's card")
async def visitor_card(ref: str, request: Request, caller: Staff) -> Any:
    """Profile, live row, timeline, conversations on every device, and decisions."""
    svc = services(request)
    vid = await _visitor_id(svc, caller.workspace, ref)
    rs = await svc.rules.cache.get(caller.workspace)
    hidden = sensitive.hidden_for(rs.sensitive, reader=caller.is_admin)
    async with svc.engine.connect() as conn:
        profile = await queries.load_profile(conn, caller.workspace, vid)
        events = await queries.timeline(conn, vid, limit=50)
        convs = list((await conn.execute(select(conversations).where(
            conversations.c.workspace_id == caller.workspace,
            conversations.c.visitor_id == vid)
            .order_by(conversations.c.started_at.desc()).limit(50))).all())
        convs_doc = await summaries(conn, rs, convs)
        decided = await conn.execute(select(decisions).where(
            decisions.c.workspace_id == caller.workspace, decisions.c.visitor_id == vid)
            .order_by(decisions.c.created_at.desc()).limit(50))
        decisions_doc = [{"id": d.id, "scenario": d.scenario_key, "outcome": d.outcome,
                          "reason": d.reason, "variant": d.variant,
                          "action_type": d.action_type, "trigger": d.trigger,
                          "response": d.response, "created_at": d.created_at}
                         for d in decided]
        address = profile.attributes.get("email")
        email_doc = None
        if isinstance(address, str) and "email" not in hidden:
            # Whether e-mail reaches them: verified (an identified visitor's), and not
            # bouncing or unsubscribed (docs/email.md).
            email_doc = {"address": address, "verified": profile.user_id is not None,
                         "status": await mail_addresses.status_of(conn, caller.workspace,
                                                                  address) or "ok"}
    view = sensitive.profile_doc(queries.profile_view(profile), hidden)
    chips = segment_chips(profile, rs)
    view["segments"] = chips
    view["top_segments"] = chips[:3]
    view.pop("engagement", None)
    events = [sensitive.event_doc(event, hidden) for event in events]
    live_row = await svc.live.row(caller.workspace, vid) or visitor_row(profile, rs)
    return {"visitor": live_row, "live": await svc.live.row(caller.workspace, vid) is not None,
            "profile": view, "events": events, "conversations": convs_doc,
            "decisions": decisions_doc, "email": email_doc}


class InviteIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``POST /api/live/visitors/{ref}/invite``."""

    text: str


@router.post("/live/visitors/{ref}/invite", status_code=201,
             summary="Invite a live visitor to chat with you")
async def invite_visitor(ref: str, request: Request, caller: Staff) -> Any:
    """A chat invitation from the caller to the visitor's open browsers."""
    agent_id = agent_of(caller)
    svc = services(request)
    body = decode_checked(await read_body(request, MAX_BODY), InviteIn, lambda _v: [],
                          "invalid_invitation")
    text = body.text.strip()
    if not text or len(text) > p.MAX_TEXT or "\x00" in text:
        raise ApiError(422, "invalid_invitation", f"text is 1-{p.MAX_TEXT} characters.")
    vid = await _visitor_id(svc, caller.workspace, ref)
    async with svc.engine.connect() as conn:
        profile = await queries.load_profile(conn, caller.workspace, vid)
    anons = [a for a in profile.anonymous_ids
             if svc.bus.subscribers(p.browser_channel(caller.workspace, a)) > 0]
    if not anons:
        raise ApiError(409, "visitor_offline", "This visitor has no page open right now.")
    decision_id = await send_manual_invitation(svc.engine, svc.bus, ManualInvitation(
        workspace_id=caller.workspace, visitor_id=vid, agent_id=agent_id,
        agent_name=caller.name, text=text, language=profile.language or "en",
        browsers=tuple(anons)))
    return {"decision_id": decision_id, "browsers": len(anons)}


# -- charts ----------------------------------------------------------------------------

@router.get("/stats/overview", summary="Chats, ratings and invitations per day")
async def overview(request: Request, caller: Staff,
                   days: Annotated[int, Query(ge=1, le=90)] = 14) -> Any:
    """One row per UTC day (oldest first) and the live figures."""
    svc = services(request)
    today = datetime.now(UTC).date()
    first = today - timedelta(days=days - 1)
    start = datetime(first.year, first.month, first.day, tzinfo=UTC).timestamp()
    table: dict[str, dict[str, Any]] = {(first + timedelta(days=i)).isoformat(): {
        "day": (first + timedelta(days=i)).isoformat(), "chats": 0, "rated": 0,
        "avg_rating": None, "invitations": 0, "accepted": 0} for i in range(days)}
    ratings: dict[str, list[int]] = {}
    async with svc.engine.connect() as conn:
        for started, rating in await conn.execute(select(
                conversations.c.started_at, conversations.c.rating).where(
                conversations.c.workspace_id == caller.workspace,
                conversations.c.started_at >= start)):
            day = datetime.fromtimestamp(started, UTC).date().isoformat()
            if day in table:
                table[day]["chats"] += 1
                if rating is not None:
                    ratings.setdefault(day, []).append(int(rating))
        for created, response in await conn.execute(select(
                decisions.c.created_at, decisions.c.response).where(
                decisions.c.workspace_id == caller.workspace,
                decisions.c.created_at >= start,
                decisions.c.action_type.in_(("chat_invitation", "popup")),
                decisions.c.outcome != "suppressed")):
            day = datetime.fromtimestamp(created, UTC).date().isoformat()
            if day in table:
                table[day]["invitations"] += 1
                if response in ("accepted", "replied"):
                    table[day]["accepted"] += 1
        queued = await conn.scalar(select(func.count()).where(
            conversations.c.workspace_id == caller.workspace,
            conversations.c.status == "queued"))
    for day, values in ratings.items():
        table[day]["rated"] = len(values)
        table[day]["avg_rating"] = round(sum(values) / len(values), 2)
    rows = await svc.live.rows(caller.workspace)
    return {"days": list(table.values()),
            "live": {"visitors": len(rows), "in_chat": sum(1 for r in rows if r["in_chat"]),
                     "queued": int(queued or 0)}}
