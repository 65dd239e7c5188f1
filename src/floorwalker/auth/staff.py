"""Who calls the console API: a logged-in account (agent or admin) or an admin token."""

from __future__ import annotations

from fastapi import Request

from floorwalker.auth.caller import Caller, of_account, of_token
from floorwalker.auth.sessions import SESSION_COOKIE, current_account
from floorwalker.errors import ApiError
from floorwalker.ops.http import bearer, client_ip
from floorwalker.services import services


async def staff(request: Request) -> Caller:
    """Any account of the workspace (CSRF checked on unsafe methods), or an admin token."""
    svc = services(request)
    svc.ip_limiter.check(client_ip(request, svc.settings.trusted_proxies) or "unknown",
                         "client address")
    token = bearer(request)
    if not token and SESSION_COOKIE in request.cookies:
        return of_account(await current_account(request))
    if not token:
        raise ApiError(401, "login_required", "Log in to the console, or send an admin token "
                       "as 'Authorization: Bearer'.", headers={"WWW-Authenticate": "Bearer"})
    found = await svc.directory.principal(token[:200])
    if found is None or found.kind != "token":
        raise ApiError(401, "unknown_token", "This token is not valid.",
                       headers={"WWW-Authenticate": "Bearer"})
    if found.workspace_id is None:
        raise ApiError(403, "workspace_token_required",
                       "This route acts inside a workspace; use a workspace token.")
    svc.key_limiter.check("api:" + token[:16], "token")
    return of_token(found)


async def admin_staff(request: Request) -> Caller:
    """An admin account or an admin token (403 ``admin_required`` otherwise)."""
    caller = await staff(request)
    if not caller.is_admin:
        raise ApiError(403, "admin_required", "Only an admin of this workspace may do this.")
    return caller


def agent_of(caller: Caller) -> str:
    """The caller's agents row id (409 ``not_an_agent`` for admins without one)."""
    if caller.agent_id is None:
        raise ApiError(409, "not_an_agent",
                       "This account does not chat (it has no agent profile).")
    return caller.agent_id
