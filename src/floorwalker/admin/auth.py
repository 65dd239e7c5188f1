"""Bearer-token authentication of the admin API and workspace scoping."""

from __future__ import annotations

from fastapi import Request
from fastapi.security import HTTPBearer

from floorwalker.errors import ApiError
from floorwalker.ops.http import bearer, client_ip
from floorwalker.services import services
from floorwalker.tenancy.directory import Principal

# Declared for OpenAPI only; we read the header ourselves to return our error shape.
bearer_scheme = HTTPBearer(auto_error=False, description="An admin token or a site server key")


async def principal(request: Request) -> Principal:
    """The caller of an ``/api`` route, or 401."""
    svc = services(request)

    svc.ip_limiter.check(client_ip(request, svc.settings.trusted_proxies) or "unknown",
                         "client address")
    token = bearer(request)
    if not token:
        raise ApiError(401, "missing_token", "Send an admin token as 'Authorization: Bearer'.",
                       headers={"WWW-Authenticate": "Bearer"})
    found = await svc.directory.principal(token[:200])
    if found is None:
        raise ApiError(401, "unknown_token", "This token is not valid.",
                       headers={"WWW-Authenticate": "Bearer"})
    svc.key_limiter.check("api:" + token[:16], "token")
    return found


async def workspace_principal(request: Request) -> Principal:
    """A caller acting inside one workspace (instance tokens are refused here)."""
    who = await principal(request)
    if who.workspace_id is None:
        raise ApiError(403, "workspace_token_required",
                       "This route acts inside a workspace; use a workspace token "
                       "(floorwalker token create --workspace SLUG).")
    return who


async def admin_principal(request: Request) -> Principal:
    """A workspace caller holding an admin token (server keys cannot manage the workspace)."""
    who = await workspace_principal(request)
    if who.kind != "token":
        raise ApiError(403, "admin_token_required", "This route needs an admin token.")
    return who

