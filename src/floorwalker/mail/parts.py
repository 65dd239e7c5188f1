"""What every kind of e-mail needs of the running server: one value the app builds once
(``Services.mail_parts``) and hands to the unread replies, transcripts, scenarios'
e-mails and the inbound server."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from floorwalker.mail import addresses
from floorwalker.mail.tokens import reply_address
from floorwalker.profiles.model import PROFILE_DECODER, Profile
from floorwalker.store.tables import visitors
from floorwalker.tenancy.service import Workspace


@dataclass(frozen=True, slots=True)
class MailParts:
    """The database, the sender's wake-up, and the e-mail settings."""

    engine: AsyncEngine
    mail_from: str
    wake: Callable[[], Awaitable[None]]
    secret: str | None = None
    inbound_domain: str | None = None
    public_url: str | None = None

    @property
    def can_reply(self) -> bool:
        """Replies come back to us (an inbound domain and a key to sign its addresses)."""
        return bool(self.inbound_domain and self.secret)

    def reply_to(self, conversation_id: str, now: float | None = None) -> str | None:
        """The conversation's signed reply address, when replies come back to us."""
        if not self.secret or not self.inbound_domain:
            return None
        return reply_address(self.secret, self.inbound_domain, conversation_id,
                             time.time() if now is None else now)

    def unsubscribe(self, workspace_id: str, address: str) -> str | None:
        """The one-click unsubscribe link for ``address``, when links can be signed."""
        if not self.secret or not self.public_url:
            return None
        return addresses.unsubscribe_url(self.secret, self.public_url, workspace_id, address)


def brand(ws: Workspace) -> str:
    """The name the workspace's e-mails come from."""
    return ws.settings.email_from_name or ws.name


async def visitor_profile(conn: AsyncConnection, visitor_id: str) -> Profile | None:
    """The stored profile of a visitor (their language, name), or None."""
    doc = (await conn.execute(select(visitors.c.profile).where(
        visitors.c.id == visitor_id))).scalar()
    return PROFILE_DECODER.decode(doc) if doc is not None else None
