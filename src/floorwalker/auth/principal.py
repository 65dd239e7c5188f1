"""Authentication of the admin API and workspace scoping.

A caller is a bearer token (admin token, instance token, site server key) or, from the
console, a logged-in account's session cookie (with CSRF on unsafe methods). Admin
sessions may do what admin tokens do; agent sessions only read.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.security import HTTPBearer

from floorwalker.auth.caller import ADMIN_KINDS, Caller, of_account, of_token
from floorwalker.auth.sessions import SAFE_METHODS, SESSION_COOKIE, current_account, require_role
from floorwalker.errors import ApiError
from floorwalker.ops.http import bearer, client_ip
from floorwalker.services import services

# Declared for OpenAPI only; we read the header ourselves to return our error shape.
bearer_scheme = HTTPBearer(auto_error=False, description="An admin token or a site server key")


async def principal(request: Request) -> Caller:
    """The caller of an ``/api`` route, or 401."""
    svc = services(request)

    svc.ip_limiter.check(client_ip(request, svc.settings.trusted_proxies) or "unknown",
                         "client address")
    token = bearer(request)
    if not token and SESSION_COOKIE in request.cookies:
        # The console: the account's session (CSRF is checked on unsafe methods).
        return of_account(await current_account(request))
    if not token:
        raise ApiError(401, "missing_token", "Send an admin token as 'Authorization: Bearer'.",
                       headers={"WWW-Authenticate": "Bearer"})
    found = await svc.directory.principal(token[:200])
    if found is None:
        raise ApiError(401, "unknown_token", "This token is not valid.",
                       headers={"WWW-Authenticate": "Bearer"})
    svc.key_limiter.check("api:" + token[:16], "token")
    return of_token(found)


async def workspace_principal(request: Request) -> Caller:
    """A caller acting inside one workspace (instance tokens are refused here)."""
    who = await principal(request)
    if who.workspace_id is None:
        raise ApiError(403, "workspace_token_required",
                       "This route acts inside a workspace; use a workspace token "
                       "(floorwalker token create --workspace SLUG).")
    if who.kind == "agent_session" and request.method not in SAFE_METHODS:
        raise ApiError(403, "admin_required", "Only an admin of this workspace may do this.")
    return who


async def admin_principal(request: Request) -> Caller:
    """A workspace caller holding an admin token (server keys cannot manage the workspace)."""
    who = await workspace_principal(request)
    if who.kind == "agent_session":
        raise ApiError(403, "admin_required", "Only an admin of this workspace may do this.")
    if who.kind not in ADMIN_KINDS:
        raise ApiError(403, "admin_token_required", "This route needs an admin token.")
    return who


async def admin_caller(request: Request) -> Caller:
    """A bearer token when one is sent (cookies are then ignored), else an admin session."""
    if request.headers.get("authorization"):
        return await admin_principal(request)
    return of_account(await require_role("admin")(request))
