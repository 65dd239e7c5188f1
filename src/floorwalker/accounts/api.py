"""``/api/auth``: log in and out, the current account, passwords and invitations."""

from __future__ import annotations

import time
from typing import Annotated, Any, TypeVar

import msgspec
from fastapi import APIRouter, Depends, Request, Response

from floorwalker.accounts import actions
from floorwalker.accounts.model import AcceptIn, Account, InvitationIn, LoginIn, PasswordIn, Session
from floorwalker.accounts.passwords import check_policy, hash_password, verify_password
from floorwalker.auth.caller import Caller
from floorwalker.auth.principal import admin_caller
from floorwalker.auth.sessions import (
    clear_session_cookie,
    current_session,
    set_session_cookie,
)
from floorwalker.errors import ApiError
from floorwalker.ops.http import client_ip, read_body
from floorwalker.ops.ratelimit import RateLimiter
from floorwalker.rules.validate import decode_checked
from floorwalker.services import services

router = APIRouter(prefix="/api/auth", tags=["accounts"])
LoggedIn = Annotated[Session, Depends(current_session)]
Admin = Annotated[Caller, Depends(admin_caller)]

MAX_BODY_BYTES = 16 * 1024
LOGIN_ATTEMPTS = 10  # per client address and account...
LOGIN_WINDOW_SECONDS = 300.0  # ...in this window (then one more every 30 s)
# Per account from every address together: spraying from many addresses at one account
# is limited too (then one more every 10 s).
ACCOUNT_LOGIN_ATTEMPTS = 30
T = TypeVar("T")


def _schema(type_: type[Any]) -> dict[str, Any]:
    (schema,), components = msgspec.json.schema_components(
        [type_], ref_template="#/components/schemas/{name}")
    return {"requestBody": {"required": True, "content": {"application/json": {
        "schema": schema}}}, "x-components": components}


async def _body(request: Request, type_: type[T]) -> T:
    value: T = decode_checked(await read_body(request, MAX_BODY_BYTES), type_,
                              lambda _v: [], "invalid_request")
    return value


def _attempt(request: Request, key: str, *, per_account: bool = False) -> None:
    """Count a password attempt; 429 ``rate_limited`` past the limit."""
    name, attempts = (("account_login_limiter", ACCOUNT_LOGIN_ATTEMPTS) if per_account
                      else ("login_limiter", LOGIN_ATTEMPTS))
    limiter: RateLimiter | None = getattr(request.app.state, name, None)
    if limiter is None:
        limiter = RateLimiter(attempts / LOGIN_WINDOW_SECONDS, LOGIN_WINDOW_SECONDS)
        setattr(request.app.state, name, limiter)
    limiter.check(key, "account" if per_account else "login")


def _logged_in(account: Account, slug: str, csrf: str, expires_at: float) -> dict[str, Any]:
    return {"account": account.public(), "workspace": {"id": account.workspace_id, "slug": slug},
            "csrf_token": csrf, "expires_at": expires_at}


def _no_store(response: Response) -> None:
    response.headers["Cache-Control"] = "no-store"


@router.post("/login", summary="Log in with e-mail and password",
             openapi_extra=_schema(LoginIn))
async def login(request: Request, response: Response) -> Any:
    """Sets the ``fw_session`` cookie; returns the account and the CSRF token."""
    svc = services(request)
    ip = client_ip(request, svc.settings.trusted_proxies) or "unknown"
    svc.ip_limiter.check(ip, "client address")
    body = await _body(request, LoginIn)
    # Normalised once: the limits and the lookup see the same workspace and e-mail.
    slug, email = body.workspace.strip().lower(), actions.normalize_email(body.email)
    async with svc.engine.connect() as conn:
        found = await actions.find_login(conn, slug, email)
    # Keyed on the account (or on what names none, so unknown ones are counted alike).
    target = found[0].id if found is not None else f"{slug}|{email}"
    _attempt(request, f"{ip}|{target}")
    _attempt(request, target, per_account=True)
    # Unknown e-mail or pending account: a dummy hash is checked, so it takes as long.
    checked = await verify_password(found[1] if found else None, body.password)
    if found is None or not checked.ok:
        raise ApiError(401, "invalid_credentials",
                       "The workspace, e-mail or password is not right.")
    account = found[0]
    if account.disabled:
        raise ApiError(403, "account_disabled",
                       "This account is disabled; ask an admin of the workspace.")
    now = time.time()
    token, csrf, expires = await actions.log_in(svc.engine, account, checked.rehash, now)
    set_session_cookie(request, response, token)
    _no_store(response)
    return _logged_in(account, slug, csrf, expires)


@router.post("/logout", summary="Log out (needs X-CSRF-Token)")
async def logout(request: Request, response: Response, session: LoggedIn) -> Any:
    """Ends the session and clears the cookie."""
    svc = services(request)
    await actions.log_out(svc.engine, svc.bus, session)
    clear_session_cookie(request, response)
    return {"logged_out": True}


@router.get("/me", summary="The logged-in account")
async def me(response: Response, session: LoggedIn) -> Any:
    """The account, its workspace and the CSRF token (for a console that reloaded)."""
    _no_store(response)
    return _logged_in(session.account, session.workspace_slug, session.csrf_token,
                      session.expires_at)


@router.get("/session", summary="The logged-in account, or that nobody is logged in")
async def session_state(request: Request, response: Response) -> Any:
    """Like ``GET /me``, with ``logged_in``; ``{"logged_in": false}`` (200) without a valid
    session, so a console that loads before logging in does not log a failed request."""
    _no_store(response)
    try:
        session = await current_session(request)
    except ApiError as exc:
        if exc.status == 401:
            return {"logged_in": False}
        raise
    return {"logged_in": True, **_logged_in(session.account, session.workspace_slug,
                                            session.csrf_token, session.expires_at)}


@router.post("/password", summary="Change your password (needs X-CSRF-Token)",
             openapi_extra=_schema(PasswordIn))
async def change_password(request: Request, session: LoggedIn) -> Any:
    """Needs the current password; ends the account's other sessions."""
    svc = services(request)
    body = await _body(request, PasswordIn)
    account = session.account
    _attempt(request, f"password|{account.id}")
    check_policy(body.new, email=account.email)
    async with svc.engine.connect() as conn:
        stored = await actions.password_hash_of(conn, account.id)
    if not (await verify_password(stored, body.current)).ok:
        raise ApiError(403, "wrong_password", "The current password is not right.",
                       [{"path": "$.current", "problem": "does not match"}])
    new_hash = await hash_password(body.new)
    await actions.change_password(svc.engine, svc.bus, account.id, new_hash,
                                  keep_session=session.id)
    return {"changed": True}


@router.post("/invitations", status_code=201, summary="Invite an admin or agent",
             openapi_extra=_schema(InvitationIn))
async def create_invitation(request: Request, who: Admin) -> Any:
    """Creates the account (and an agent's agents row) and a one-time link to set the
    password. Needs an admin session (with X-CSRF-Token) or a workspace admin token."""
    svc = services(request)
    body = await _body(request, InvitationIn)
    workspace_id = who.workspace

    async def agent_added() -> None:
        svc.rules.invalidate(workspace_id)

    account, link = await actions.invite_account(
        svc.engine, workspace_id, body.email, body.name, body.role, body.departments,
        max_chats=body.max_chats, agent_added=agent_added)
    return {"account": account.public(), "link": link,
            "expires_at": time.time() + actions.INVITATION_SECONDS}


@router.post("/accept", summary="Accept an invitation: set your password",
             openapi_extra=_schema(AcceptIn))
async def accept(request: Request, response: Response) -> Any:
    """Sets the password once (410 ``invitation_used`` after) and logs in."""
    svc = services(request)
    body = await _body(request, AcceptIn)
    async with svc.engine.connect() as conn:
        invited = await actions.peek_invitation(conn, body.token, time.time())
    check_policy(body.password, email=invited.email)
    password_hash = await hash_password(body.password)
    now = time.time()
    account, token, csrf, expires, slug = await actions.accept_invitation(
        svc.engine, body.token, password_hash, now)
    set_session_cookie(request, response, token)
    _no_store(response)
    return _logged_in(account, slug, csrf, expires)


@router.get("/accounts", summary="The workspace's accounts (admin)")
async def list_accounts(request: Request, who: Admin) -> Any:
    """Everyone who may log in, with ``pending`` for invitations not yet accepted."""
    async with services(request).engine.connect() as conn:
        return [a.public() for a in await actions.list_accounts(conn, who.workspace)]


@router.post("/accounts/{account_id}/disable", summary="Disable an account (admin)")
async def disable_account(account_id: str, request: Request, who: Admin) -> Any:
    """The account can no longer log in and its sessions end."""
    if who.account is not None and who.account.id == account_id:
        raise ApiError(422, "cannot_disable_self",
                       "You cannot disable your own account; ask another admin.")
    svc = services(request)
    account = await actions.disable(svc.engine, svc.bus, who.workspace, account_id)
    return account.public()


@router.post("/accounts/{account_id}/enable", summary="Enable an account again (admin)")
async def enable_account(account_id: str, request: Request, who: Admin) -> Any:
    """The account may log in again."""
    return (await actions.enable(services(request).engine, who.workspace,
                                 account_id)).public()
