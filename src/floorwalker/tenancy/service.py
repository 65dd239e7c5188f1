"""Creating and reading workspaces, sites and tokens (used by the CLI and the admin API)."""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from floorwalker.errors import ApiError, not_found
from floorwalker.store.tables import api_tokens, sites, workspaces
from floorwalker.store.transaction import atomic
from floorwalker.tenancy.keys import digest, new_id, new_key

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


class WorkspaceSettings(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Per-workspace options."""

    # Attributes never sent to a browser and writable only with the server key.
    sensitive_attributes: list[str] = msgspec.field(default_factory=list)
    # Raw events older than this many days are deleted (0: keep; the global setting applies).
    retention_days: int = 0
    # Not mobbing the visitor: proactive messages per visit, and the least gap between two.
    max_proactive_per_session: int = 2
    min_gap_seconds: float = 60.0
    # An invitation not answered in this time no longer holds a department's chat slot.
    invitation_ttl_seconds: float = 300.0
    # Reports: a purchase counts for a message or a chat this many hours after it.
    attribution_window_hours: int = 48
    # Reports: the event that counts as a conversion, and the least value it needs
    # (a scenario may name its own: docs/reports.md).
    conversion_event: str = "purchase"
    conversion_min_value: float | None = None
    # Reports: a chat counts for sales only once the visitor wrote in it, unless this is on.
    count_chats_without_visitor_message: bool = False
    # E-mail: agent replies a visitor left unread go to them by e-mail after this delay
    # (docs/email.md).
    email_unread_replies: bool = True
    email_unread_delay_seconds: float = 120.0
    # The name and address e-mails come from (agents' names go before the name); unset:
    # the workspace's name and FLOORWALKER_MAIL_FROM. The relay must accept the address.
    email_from_name: str | None = None
    email_from_address: str | None = None
    # Quiet hours for scenarios' e-mails ("21:00" to "08:00" in ``email_timezone``): one
    # due then waits until they end. Unread replies and transcripts are not held.
    email_quiet_start: str | None = None
    email_quiet_end: str | None = None
    email_timezone: str = "UTC"


class Workspace(msgspec.Struct, kw_only=True):
    """A tenant: everything else belongs to exactly one workspace."""

    id: str
    slug: str
    name: str
    settings: WorkspaceSettings
    created_at: float


class Site(msgspec.Struct, kw_only=True):
    """A website sending events; ``server_key`` is only present right after creation."""

    id: str
    workspace_id: str
    name: str
    domain: str | None
    write_key: str
    identity_secret: str
    created_at: float
    server_key: str | None = None


def _workspace(row: Any) -> Workspace:
    return Workspace(id=row.id, slug=row.slug, name=row.name, created_at=row.created_at,
                     settings=msgspec.json.decode(row.settings, type=WorkspaceSettings))


def _site(row: Any) -> Site:
    return Site(id=row.id, workspace_id=row.workspace_id, name=row.name, domain=row.domain,
                write_key=row.write_key, identity_secret=row.identity_secret,
                created_at=row.created_at)


async def create_workspace(conn: AsyncConnection, slug: str, name: str | None = None) -> Workspace:
    """A new workspace; 409 when the slug is taken."""
    if not SLUG.match(slug):
        raise ApiError(422, "invalid_slug",
                       "A workspace slug is 1-63 lower-case letters, digits or '-'.")
    ws = Workspace(id=new_id("ws"), slug=slug, name=name or slug,
                   settings=WorkspaceSettings(), created_at=time.time())
    try:
        async with conn.begin_nested():
            await conn.execute(workspaces.insert().values(
                id=ws.id, slug=ws.slug, name=ws.name, created_at=ws.created_at,
                settings=msgspec.json.encode(ws.settings).decode()))
    except IntegrityError:
        raise ApiError(409, "workspace_exists", f"A workspace {slug!r} exists.") from None
    return ws


async def get_workspace(conn: AsyncConnection, ref: str) -> Workspace:
    """A workspace by id or slug."""
    row = (await conn.execute(select(workspaces).where(
        (workspaces.c.id == ref) | (workspaces.c.slug == ref)))).first()
    if row is None:
        raise not_found(f"Workspace {ref!r}")
    return _workspace(row)


async def list_workspaces(conn: AsyncConnection, only: str | None = None) -> list[Workspace]:
    """All workspaces, or only the one with id ``only``."""
    query = select(workspaces).order_by(workspaces.c.created_at)
    if only is not None:
        query = query.where(workspaces.c.id == only)
    return [_workspace(r) for r in await conn.execute(query)]


async def save_settings(conn: AsyncConnection, workspace_id: str,
                        settings: WorkspaceSettings) -> None:
    """Replace a workspace's settings."""
    await conn.execute(update(workspaces).where(workspaces.c.id == workspace_id).values(
        settings=msgspec.json.encode(settings).decode()))


async def create_site(conn: AsyncConnection, workspace_id: str, name: str,
                      domain: str | None = None) -> Site:
    """A new site with fresh keys; the server key is returned this once."""
    server_key = new_key("fw_srv", 24)
    site = Site(id=new_id("site"), workspace_id=workspace_id, name=name, domain=domain,
                write_key=new_key("fw_pub"), identity_secret=new_key("fw_sec", 24),
                created_at=time.time(), server_key=server_key)
    await conn.execute(sites.insert().values(
        id=site.id, workspace_id=workspace_id, name=name, domain=domain,
        write_key=site.write_key, server_key_hash=digest(server_key),
        identity_secret=site.identity_secret, created_at=site.created_at))
    return site


async def list_sites(conn: AsyncConnection, workspace_id: str) -> list[Site]:
    """The sites of a workspace."""
    rows = await conn.execute(select(sites).where(sites.c.workspace_id == workspace_id)
                              .order_by(sites.c.created_at))
    return [_site(r) for r in rows]


async def get_site(conn: AsyncConnection, workspace_id: str, site_id: str) -> Site:
    """One site of a workspace (404 for another workspace's site)."""
    row = (await conn.execute(select(sites).where(
        sites.c.id == site_id, sites.c.workspace_id == workspace_id))).first()
    if row is None:
        raise not_found(f"Site {site_id!r}")
    return _site(row)


async def rotate_site_keys(conn: AsyncConnection, workspace_id: str, site_id: str) -> Site:
    """New write key, server key and identity secret for a site; the old ones stop working."""
    site = await get_site(conn, workspace_id, site_id)
    server_key = new_key("fw_srv", 24)
    site.write_key = new_key("fw_pub")
    site.identity_secret = new_key("fw_sec", 24)
    site.server_key = server_key
    await conn.execute(update(sites).where(sites.c.id == site_id).values(
        write_key=site.write_key, identity_secret=site.identity_secret,
        server_key_hash=digest(server_key)))
    return site


async def create_token(conn: AsyncConnection, workspace_id: str | None, name: str) -> str:
    """A new admin API token (shown once); ``workspace_id=None`` makes an instance token."""
    token = new_key("fw_adm", 24)
    await conn.execute(api_tokens.insert().values(
        id=new_id("tok"), workspace_id=workspace_id, name=name,
        token_hash=digest(token), created_at=time.time()))
    return token


async def workspace_token(conn: AsyncConnection, token: str) -> tuple[str, str, str] | None:
    """A workspace admin token's (workspace id, token id, token name), or None (unknown,
    or an instance token)."""
    row = (await conn.execute(select(
        api_tokens.c.workspace_id, api_tokens.c.id, api_tokens.c.name).where(
        api_tokens.c.token_hash == digest(token)))).first()
    if row is None or row.workspace_id is None:
        return None
    return str(row.workspace_id), str(row.id), str(row.name)


# -- the transactions the admin API runs -------------------------------------------------

Hook = Callable[[], Awaitable[None]]


async def new_workspace(engine: AsyncEngine, slug: str, name: str | None) -> Workspace:
    """Create a workspace (409 if the slug is taken)."""
    async with engine.begin() as conn:
        return await create_workspace(conn, slug, name)


async def change_settings(engine: AsyncEngine, workspace_id: str,
                          change: Callable[[WorkspaceSettings], None],
                          changed: Hook) -> WorkspaceSettings:
    """Apply ``change`` to a workspace's settings and store them; ``changed`` runs after
    commit (the rules carry the settings to every reader)."""
    async with atomic(engine) as tx:
        ws = await get_workspace(tx.conn, workspace_id)
        change(ws.settings)
        await save_settings(tx.conn, ws.id, ws.settings)
        tx.on_commit(changed)
    return ws.settings


async def new_site(engine: AsyncEngine, workspace_id: str, name: str,
                   domain: str | None) -> Site:
    """Create a site with its keys."""
    async with engine.begin() as conn:
        return await create_site(conn, workspace_id, name, domain)


async def rotate_keys(engine: AsyncEngine, workspace_id: str, site_id: str,
                      rotated: Hook) -> Site:
    """New keys for a site; ``rotated`` runs after commit (caches forget the old ones)."""
    async with atomic(engine) as tx:
        site = await rotate_site_keys(tx.conn, workspace_id, site_id)
        tx.on_commit(rotated)
    return site


async def new_token(engine: AsyncEngine, workspace_id: str | None, name: str) -> str:
    """Another admin token (an instance token when ``workspace_id`` is None)."""
    async with engine.begin() as conn:
        return await create_token(conn, workspace_id, name)
