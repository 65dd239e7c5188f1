"""Addresses a workspace sends no more e-mail to: those that bounced for good
(``bouncing``) and those whose owner unsubscribed (``unsubscribed``). Every e-mail to a
visitor checks here first (docs/email.md)."""

from __future__ import annotations

import time
from urllib.parse import quote

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from floorwalker.errors import ApiError
from floorwalker.mail.tokens import signed, unsigned
from floorwalker.store.tables import mail_addresses
from floorwalker.store.transaction import atomic

BOUNCING = "bouncing"
UNSUBSCRIBED = "unsubscribed"


async def status_of(conn: AsyncConnection, workspace_id: str, address: str) -> str | None:
    """``bouncing``, ``unsubscribed``, or None (we may write to it)."""
    a = mail_addresses.c
    found = (await conn.execute(select(a.status).where(
        a.workspace_id == workspace_id, a.address == address.lower()))).scalar()
    return None if found is None else str(found)


async def mark(conn: AsyncConnection, workspace_id: str, address: str, status: str,
               reason: str | None, now: float) -> None:
    """Note that ``address`` gets no more e-mail, and why (an unsubscription stays one
    even if a bounce comes later)."""
    a = mail_addresses.c
    key = address.lower()
    current = await status_of(conn, workspace_id, key)
    if current is None:
        await conn.execute(mail_addresses.insert().values(
            workspace_id=workspace_id, address=key, status=status, reason=reason,
            updated_at=now))
    elif current != UNSUBSCRIBED:
        await conn.execute(update(mail_addresses).where(
            a.workspace_id == workspace_id, a.address == key).values(
            status=status, reason=reason, updated_at=now))


UNSUBSCRIBE_DAYS = 365


def unsubscribe_url(secret: str, public_url: str, workspace_id: str, address: str) -> str:
    """The one-click unsubscribe link of an e-mail to ``address`` (valid a year)."""
    token = signed(secret, "unsubscribe", f"{workspace_id}|{address.lower()}")
    return f"{public_url.rstrip('/')}/v1/email/unsubscribe?t={quote(token, safe='')}"


def unsubscription(secret: str | None, token: str) -> tuple[str, str]:
    """(workspace id, address) of an unsubscribe token, or 400 ``invalid_token``."""
    value = unsigned(secret, "unsubscribe", token, max_age_days=UNSUBSCRIBE_DAYS) \
        if secret else None
    workspace_id, _, address = (value or "").partition("|")
    if not workspace_id or not address:
        raise ApiError(400, "invalid_token", "This unsubscribe link is not valid (or is "
                       "more than a year old).")
    return workspace_id, address


async def unsubscribe(engine: AsyncEngine, secret: str | None, token: str) -> str:
    """The owner of an address asked for no more e-mail; returns the address."""
    workspace_id, address = unsubscription(secret, token)
    async with atomic(engine) as tx:
        await mark(tx.conn, workspace_id, address, UNSUBSCRIBED, "unsubscribed", time.time())
    return address
