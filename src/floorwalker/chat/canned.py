"""Canned replies: saved answers with personalisation. The table's writes live here; the
API is `chat/canned_api.py` (docs/console-api.md)."""

from __future__ import annotations

import secrets
import time
from typing import Any

import msgspec
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from floorwalker.errors import ApiError
from floorwalker.store.tables import canned_replies

MAX_REPLIES = 1000


class CannedIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A canned reply as written by an admin."""

    shortcut: str
    title: str
    text: str
    department: str | None = None


class _Row(msgspec.Struct, kw_only=True):
    id: str
    workspace_id: str
    shortcut: str
    title: str
    text: str
    department: str | None
    created_at: float


def view(row: Any) -> dict[str, Any]:
    """A canned reply as the API shows it."""
    return {"id": row.id, "shortcut": row.shortcut, "title": row.title, "text": row.text,
            "department": row.department, "created_at": row.created_at}


def _taken(shortcut: str) -> ApiError:
    return ApiError(409, "shortcut_taken", f"The shortcut {shortcut!r} is already used.")


async def all_replies(conn: AsyncConnection, workspace_id: str) -> list[dict[str, Any]]:
    """Every canned reply of the workspace, by shortcut."""
    rows = await conn.execute(select(canned_replies).where(
        canned_replies.c.workspace_id == workspace_id)
        .order_by(canned_replies.c.shortcut).limit(MAX_REPLIES))
    return [view(r) for r in rows]


async def get_reply(conn: AsyncConnection, workspace_id: str, reply_id: str) -> Any:
    """One reply of the workspace; 404 otherwise."""
    reply = (await conn.execute(select(canned_replies).where(
        canned_replies.c.id == reply_id[:40],
        canned_replies.c.workspace_id == workspace_id))).first()
    if reply is None:
        raise ApiError(404, "not_found", "No such canned reply.")
    return reply


async def create(engine: AsyncEngine, workspace_id: str, body: CannedIn) -> dict[str, Any]:
    """Add a reply (checked by the caller); 409 when its shortcut is taken."""
    row = _Row(id="cr_" + secrets.token_hex(8), workspace_id=workspace_id,
               shortcut=body.shortcut, title=body.title.strip(), text=body.text,
               department=body.department, created_at=time.time())
    try:
        async with engine.begin() as conn:
            await conn.execute(canned_replies.insert().values(**msgspec.structs.asdict(row)))
    except IntegrityError:
        raise _taken(body.shortcut) from None
    return view(row)


async def replace(engine: AsyncEngine, workspace_id: str, reply_id: str,
                  body: CannedIn) -> dict[str, Any]:
    """Replace a reply; 404 when it is not the workspace's, 409 when the shortcut is taken."""
    try:
        async with engine.begin() as conn:
            result = await conn.execute(update(canned_replies).where(
                canned_replies.c.id == reply_id[:40],
                canned_replies.c.workspace_id == workspace_id).values(
                shortcut=body.shortcut, title=body.title.strip(), text=body.text,
                department=body.department))
            if not result.rowcount:
                raise ApiError(404, "not_found", "No such canned reply.")
            row = (await conn.execute(select(canned_replies).where(
                canned_replies.c.id == reply_id))).first()
    except IntegrityError:
        raise _taken(body.shortcut) from None
    return view(row)


async def remove(engine: AsyncEngine, workspace_id: str, reply_id: str) -> None:
    """Delete a reply; 404 when it is not the workspace's."""
    async with engine.begin() as conn:
        result = await conn.execute(delete(canned_replies).where(
            canned_replies.c.id == reply_id[:40],
            canned_replies.c.workspace_id == workspace_id))
    if not result.rowcount:
        raise ApiError(404, "not_found", "No such canned reply.")
