"""Who is logged in: the session cookie, CSRF, roles, and the same for WebSockets.

The cookie carries a random token; the database keeps only its sha256. Unsafe methods
must also echo the session's CSRF token in ``X-CSRF-Token``: a cross-site form can make
the browser send the cookie, but cannot read the token to send it back.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from fastapi import Request, Response
from starlette.requests import HTTPConnection
from starlette.websockets import WebSocket

from floorwalker.accounts import actions
from floorwalker.accounts.model import Account, Role, Session
from floorwalker.errors import ApiError
from floorwalker.ops.http import _trusted
from floorwalker.services import Services, services

SESSION_COOKIE = "fw_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_TOKEN_LENGTH = 200
_STATE_KEY = "fw_account_session"


def login_required() -> ApiError:
    """401 ``login_required``."""
    return ApiError(401, "login_required", "Log in to the console first.")


def is_secure(conn: HTTPConnection) -> bool:
    """Whether the browser reached us over TLS (directly, or through a trusted proxy)."""
    if conn.url.scheme in {"https", "wss"}:
        return True
    settings = services(conn).settings
    if settings.secure_cookies:  # FLOORWALKER_SECURE_COOKIES: the operator says always TLS
        return True
    peer = conn.client.host if conn.client else None
    proto = conn.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return (proto == "https" and peer is not None and bool(settings.trusted_proxies)
            and _trusted(peer, settings.trusted_proxies))


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    """Hand the browser its session: HttpOnly, SameSite=Lax, Secure over TLS."""
    response.set_cookie(SESSION_COOKIE, token, max_age=int(actions.SESSION_MAX_SECONDS),
                        path="/", httponly=True, samesite="lax", secure=is_secure(request))


def clear_session_cookie(request: Request, response: Response) -> None:
    """Make the browser forget its session cookie."""
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax",
                           secure=is_secure(request))


async def _load(svc: Services, token: str) -> Session | None:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    async with svc.engine.begin() as conn:
        return await actions.load_session(conn, token, time.time())


async def current_session(request: Request) -> Session:
    """The caller's session from the ``fw_session`` cookie (401 ``login_required``);
    on unsafe methods also 403 ``csrf_failed`` unless ``X-CSRF-Token`` matches."""
    cached: Session | None = getattr(request.state, _STATE_KEY, None)
    if cached is None:
        cached = await _load(services(request), request.cookies.get(SESSION_COOKIE, ""))
        if cached is None:
            raise login_required()
        setattr(request.state, _STATE_KEY, cached)
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent.encode(), cached.csrf_token.encode()):
            raise ApiError(403, "csrf_failed",
                           f"Send the session's CSRF token in the {CSRF_HEADER} header "
                           "(GET /api/auth/me returns it).")
    return cached


async def current_account(request: Request) -> Account:
    """The logged-in account (see :func:`current_session` for the errors)."""
    return (await current_session(request)).account


def require_role(role: Role) -> Callable[[Request], Awaitable[Account]]:
    """A dependency: the logged-in account if it has ``role`` (admins may do what agents
    do), else 403 ``<role>_required``."""
    async def dependency(request: Request) -> Account:
        account = await current_account(request)
        if role == "admin" and account.role != "admin":
            raise ApiError(403, "admin_required", "Only an admin of this workspace may do this.")
        return account
    return dependency


def _same_origin(ws: WebSocket) -> bool:
    origin = ws.headers.get("origin")
    if origin is None:  # not a browser: no ambient cookie to abuse
        return True
    return urlsplit(origin).netloc.lower() == ws.headers.get("host", "").lower()


async def session_for_socket(svc: Services, websocket: WebSocket) -> Session | None:
    """The session of a WebSocket handshake's ``fw_session`` cookie, or None.

    Cookies ride along on cross-site WebSocket handshakes, and sockets have no CSRF
    token, so a handshake from another origin is refused here.
    """
    if not _same_origin(websocket):
        return None
    return await _load(svc, websocket.cookies.get(SESSION_COOKIE, ""))


async def account_for_socket(svc: Services, websocket: WebSocket) -> Account | None:
    """The account of a WebSocket handshake's session (see :func:`session_for_socket`)."""
    session = await session_for_socket(svc, websocket)
    return None if session is None else session.account


# An open socket outlives the request that opened it: after logout, disable, a password
# or role change, the account's sockets are told to check their session again.
SESSION_ENDED = 4401  # WebSocket close codes (docs/realtime.md)
ROLE_CHANGED = 4403


async def socket_problem(svc: Services, opened: Session,
                         reason: str | None) -> tuple[int, str] | None:
    """Why a socket opened with ``opened`` must close now (close code, reason), or None."""
    async with svc.engine.connect() as conn:
        now_ = await actions.session_by_id(conn, opened.id, time.time(), touch=False)
        # The periodic check can see a change before the account's nudge arrives: name
        # a disabled account as such either way.
        if now_ is None and reason is None and await actions.is_disabled(conn,
                                                                        opened.account.id):
            reason = "account disabled"
    if now_ is None:
        return SESSION_ENDED, reason or "session ended; log in again"
    was, is_ = opened.account, now_.account
    if (was.role, was.agent_id, was.workspace_id) != (is_.role, is_.agent_id, is_.workspace_id):
        return ROLE_CHANGED, "role changed; reconnect"
    return None
