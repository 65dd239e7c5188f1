"""The demo workspace that ``floorwalker demo`` (and ``make demo``) sets up."""

from __future__ import annotations

from floorwalker.config import Settings
from floorwalker.store.engine import make_engine
from floorwalker.tenancy import service

DEMO_SLUG = "demo"


async def prepare(settings: Settings) -> dict[str, str | None]:
    """Create the demo workspace, site and token on the first run; return what to print."""
    engine = make_engine(settings.database_url)
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
    finally:
        await engine.dispose()
    return {"workspace": ws.slug, "write_key": site.write_key, "server_key": site.server_key,
            "identity_secret": site.identity_secret, "token": token}
