"""Who is calling: keys and tokens resolved to a site or workspace, cached briefly."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from floorwalker.store.tables import api_tokens, sites
from floorwalker.tenancy.keys import digest

TTL_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class SiteKey:
    """A site's credentials as seen by the ingestion API."""

    site_id: str
    workspace_id: str
    identity_secret: str
    trusted: bool  # True for the server key


@dataclass(frozen=True, slots=True)
class Principal:
    """The holder of an admin token or server key on ``/api``."""

    workspace_id: str | None  # None: instance token (manages workspaces only)
    kind: str  # "token" | "server_key"
    site_id: str | None = None


class Directory:
    """Resolves credentials with a short cache so the hot path does not query per request."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._keys: dict[str, tuple[float, SiteKey | None]] = {}
        self._tokens: dict[str, tuple[float, Principal | None]] = {}
        self._refreshing: dict[str, asyncio.Future[SiteKey | None]] = {}

    def invalidate(self) -> None:
        """Forget everything (after keys rotate or tokens change)."""
        self._keys.clear()
        self._refreshing.clear()
        self._tokens.clear()

    async def site_key(self, key: str) -> SiteKey | None:
        """The site a write key or server key belongs to, or None.

        When the cached entry expires, one request refreshes it; the others keep using
        the previous answer meanwhile instead of all querying at once.
        """
        now = time.monotonic()
        hit = self._keys.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        pending = self._refreshing.get(key)
        if pending is not None:
            if hit is not None:
                return hit[1]
            return await asyncio.shield(pending)
        task = asyncio.ensure_future(self._load_site_key(key))
        self._refreshing[key] = task
        try:
            return await asyncio.shield(task)
        finally:
            self._refreshing.pop(key, None)

    async def _load_site_key(self, key: str) -> SiteKey | None:
        now = time.monotonic()
        found: SiteKey | None = None
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(sites).where(sites.c.write_key == key))).first()
            if row is not None:
                found = SiteKey(row.id, row.workspace_id, row.identity_secret, trusted=False)
            else:
                row = (await conn.execute(select(sites).where(
                    sites.c.server_key_hash == digest(key)))).first()
                if row is not None:
                    found = SiteKey(row.id, row.workspace_id, row.identity_secret, trusted=True)
        if len(self._keys) > 10_000:
            self._keys.clear()
        self._keys[key] = (now + TTL_SECONDS, found)
        return found

    async def principal(self, token: str) -> Principal | None:
        """The workspace an admin token or server key acts for, or None."""
        now = time.monotonic()
        hit = self._tokens.get(token)
        if hit is not None and hit[0] > now:
            return hit[1]
        found: Principal | None = None
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(api_tokens).where(
                api_tokens.c.token_hash == digest(token)))).first()
            if row is not None:
                found = Principal(row.workspace_id, "token")
            else:
                site = (await conn.execute(select(sites).where(
                    sites.c.server_key_hash == digest(token)))).first()
                if site is not None:
                    found = Principal(site.workspace_id, "server_key", site.id)
        if len(self._tokens) > 10_000:
            self._tokens.clear()
        self._tokens[token] = (now + TTL_SECONDS, found)
        return found
