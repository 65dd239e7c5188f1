"""Every write and read of accounts, sessions and invitations (no HTTP here).

Password hashing is slow on purpose, so callers hash *outside* a transaction and pass
the result in: a write transaction on SQLite must not wait for argon2.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from functools import partial
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from floorwalker import protocol as p
from floorwalker.accounts.model import ROLES, Account, Role, Session
from floorwalker.bus import Bus
from floorwalker.errors import ApiError, not_found
from floorwalker.rules import store
from floorwalker.rules.model import Agent
from floorwalker.store.tables import (
    account_invitations,
    account_sessions,
    accounts,
    agents,
    workspaces,
)
from floorwalker.store.transaction import Transaction, atomic
from floorwalker.tenancy.keys import digest, new_id

SESSION_IDLE_SECONDS = 12 * 3600.0  # a console left alone this long logs out
SESSION_MAX_SECONDS = 7 * 86400.0  # and every session ends after a week
TOUCH_EVERY_SECONDS = 60.0  # how often a busy session's expiry is pushed (one write)
INVITATION_SECONDS = 7 * 86400.0
ACCEPT_PATH = "/console/accept?token="


def normalize_email(email: str) -> str:
    """The form we store and compare: trimmed, lower-case."""
    return email.strip().lower()


def _account(row: Any) -> Account:
    return Account(id=row.id, workspace_id=row.workspace_id, email=row.email, name=row.name,
                   role=row.role, agent_id=row.agent_id, created_at=row.created_at,
                   disabled=bool(row.disabled), pending=row.password_hash is None)


# -- invitations ------------------------------------------------------------------------

async def invite(conn: AsyncConnection, workspace_id: str, email: str, name: str, role: str,
                 departments: list[str] | tuple[str, ...] = (), *,
                 max_chats: int = 3) -> tuple[Account, str]:
    """Create an account waiting for its password and a one-time link to set it.

    An agent also gets its agents row (capacity, departments), or is linked to the one
    that has its e-mail. Inviting someone invited but not yet arrived again replaces the
    lost link; an account already in use is 409 ``account_exists``.
    """
    email = normalize_email(email)
    name = name.strip()
    if role not in ROLES:
        raise ApiError(422, "invalid_invitation", "role is 'admin' or 'agent'.",
                       [{"path": "$.role", "problem": "expected 'admin' or 'agent'"}])
    if "@" not in email or len(email) > 255 or not name or len(name) > 200:
        raise ApiError(422, "invalid_invitation", "An e-mail address and a name are needed.",
                       [{"path": "$.email", "problem": "an e-mail address and a name"}])
    now = time.time()
    row = (await conn.execute(select(accounts).where(
        accounts.c.workspace_id == workspace_id, accounts.c.email == email))).first()
    if row is not None:
        if row.password_hash is not None or row.disabled:
            raise ApiError(409, "account_exists",
                           f"{email} already has an account in this workspace.")
        account = _account(row)
        # The old link stops working: only the newest one may set the password.
        await conn.execute(delete(account_invitations).where(
            account_invitations.c.account_id == account.id))
    else:
        agent_id = None
        if role == "agent":
            agent_id = await _agent_row(conn, workspace_id, email, name, list(departments),
                                        max_chats)
        role_: Role = "admin" if role == "admin" else "agent"
        account = Account(id=new_id("acc"), workspace_id=workspace_id, email=email, name=name,
                          role=role_, agent_id=agent_id, created_at=now, pending=True)
        try:
            async with conn.begin_nested():
                await conn.execute(accounts.insert().values(
                    id=account.id, workspace_id=workspace_id, agent_id=agent_id, email=email,
                    name=name, role=role_, password_hash=None, created_at=now,
                    disabled=False))
        except IntegrityError:  # invited twice at the same moment
            raise ApiError(409, "account_exists",
                           f"{email} already has an account in this workspace.") from None
    token = secrets.token_urlsafe(32)
    await conn.execute(account_invitations.insert().values(
        token_hash=digest(token), account_id=account.id, expires_at=now + INVITATION_SECONDS,
        used_at=None))
    return account, ACCEPT_PATH + token


async def _agent_row(conn: AsyncConnection, workspace_id: str, email: str, name: str,
                     departments: list[str], max_chats: int) -> str:
    existing = (await conn.execute(select(agents.c.id).where(
        agents.c.workspace_id == workspace_id, func.lower(agents.c.email) == email))).scalar()
    if existing is not None:
        return str(existing)
    agent = Agent(email=email, name=name, max_chats=max_chats, departments=departments)
    return await store.save_def(conn, "agent", workspace_id, agent, create=True)


async def peek_invitation(conn: AsyncConnection, token: str, now: float) -> Account:
    """The account an unused, unexpired invitation is for; 404 or 410 otherwise."""
    row = (await conn.execute(
        select(accounts, account_invitations.c.expires_at.label("invitation_expires_at"),
               account_invitations.c.used_at)
        .join(account_invitations, account_invitations.c.account_id == accounts.c.id)
        .where(account_invitations.c.token_hash == digest(token)))).first()
    if row is None:
        raise ApiError(404, "invitation_not_found",
                       "This invitation link is not known; ask an admin for a new one.")
    if row.used_at is not None:
        raise ApiError(410, "invitation_used",
                       "This invitation was already used; log in with your password.")
    if row.invitation_expires_at <= now:
        raise ApiError(404, "invitation_expired",
                       "This invitation link has expired; ask an admin for a new one.")
    if row.disabled:
        raise ApiError(403, "account_disabled", "This account is disabled.")
    return _account(row)


async def claim_invitation(conn: AsyncConnection, token: str, password_hash: str,
                           now: float) -> Account:
    """Use an invitation once: set the account's password. 410 if someone was quicker."""
    account = await peek_invitation(conn, token, now)
    claimed = await conn.execute(update(account_invitations).where(
        account_invitations.c.token_hash == digest(token),
        account_invitations.c.used_at.is_(None)).values(used_at=now))
    if claimed.rowcount != 1:
        raise ApiError(410, "invitation_used",
                       "This invitation was already used; log in with your password.")
    await conn.execute(update(accounts).where(accounts.c.id == account.id).values(
        password_hash=password_hash))
    return replace(account, pending=False)


# -- logging in -------------------------------------------------------------------------

async def find_login(conn: AsyncConnection, workspace_slug: str,
                     email: str) -> tuple[Account, str | None] | None:
    """The account an e-mail names in a workspace, with its password hash."""
    row = (await conn.execute(
        select(accounts).join(workspaces, workspaces.c.id == accounts.c.workspace_id)
        .where(workspaces.c.slug == workspace_slug.strip().lower(),
               accounts.c.email == normalize_email(email)))).first()
    return None if row is None else (_account(row), row.password_hash)


async def password_hash_of(conn: AsyncConnection, account_id: str) -> str | None:
    """The stored hash of an account."""
    found: str | None = (await conn.execute(select(accounts.c.password_hash).where(
        accounts.c.id == account_id))).scalar()
    return found


async def set_password_hash(conn: AsyncConnection, account_id: str, password_hash: str,
                            *, keep_session: str | None = None) -> None:
    """Store a new hash and end the account's other sessions."""
    await conn.execute(update(accounts).where(accounts.c.id == account_id).values(
        password_hash=password_hash))
    query = delete(account_sessions).where(account_sessions.c.account_id == account_id)
    if keep_session is not None:
        query = query.where(account_sessions.c.id != keep_session)
    await conn.execute(query)


async def store_rehash(conn: AsyncConnection, account_id: str, password_hash: str) -> None:
    """Replace a hash made with older parameters by one of the same password (sessions stay)."""
    await conn.execute(update(accounts).where(accounts.c.id == account_id).values(
        password_hash=password_hash))


async def start_session(conn: AsyncConnection, account: Account,
                        now: float) -> tuple[str, str, float]:
    """A new session: (cookie token, CSRF token, expiry)."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    expires = now + min(SESSION_IDLE_SECONDS, SESSION_MAX_SECONDS)
    # Housekeeping that costs one indexed delete: this account's dead sessions.
    await conn.execute(delete(account_sessions).where(
        account_sessions.c.account_id == account.id, account_sessions.c.expires_at <= now))
    await conn.execute(account_sessions.insert().values(
        id=digest(token), account_id=account.id, csrf_token=csrf, created_at=now,
        expires_at=expires, last_seen_at=now))
    return token, csrf, expires


async def load_session(conn: AsyncConnection, token: str, now: float) -> Session | None:
    """The live session a cookie's token names, its expiry pushed on; None if it is over."""
    return await session_by_id(conn, digest(token), now)


async def session_by_id(conn: AsyncConnection, session_id: str, now: float, *,
                        touch: bool = True) -> Session | None:
    """The live session with this id; None once it ended, expired or its account is
    disabled. ``touch=False`` reads without pushing the expiry (an open socket's check)."""
    row = (await conn.execute(
        select(accounts, workspaces.c.slug,
               account_sessions.c.csrf_token, account_sessions.c.created_at.label("s_created"),
               account_sessions.c.expires_at, account_sessions.c.last_seen_at)
        .join(account_sessions, account_sessions.c.account_id == accounts.c.id)
        .join(workspaces, workspaces.c.id == accounts.c.workspace_id)
        .where(account_sessions.c.id == session_id))).first()
    if row is None or row.expires_at <= now or row.disabled or row.password_hash is None:
        return None
    expires = row.expires_at
    if touch and now - row.last_seen_at >= TOUCH_EVERY_SECONDS:
        expires = min(row.s_created + SESSION_MAX_SECONDS, now + SESSION_IDLE_SECONDS)
        await conn.execute(update(account_sessions).where(
            account_sessions.c.id == session_id).values(last_seen_at=now, expires_at=expires))
    return Session(id=session_id, account=_account(row), workspace_slug=row.slug,
                   csrf_token=row.csrf_token, expires_at=expires)


async def end_session(conn: AsyncConnection, session_id: str) -> None:
    """Log a session out."""
    await conn.execute(delete(account_sessions).where(account_sessions.c.id == session_id))


# -- managing accounts ------------------------------------------------------------------

async def is_disabled(conn: AsyncConnection, account_id: str) -> bool:
    """Whether the account is disabled (or gone)."""
    flag = (await conn.execute(select(accounts.c.disabled).where(
        accounts.c.id == account_id))).scalar_one_or_none()
    return flag is None or bool(flag)


async def list_accounts(conn: AsyncConnection, workspace_id: str) -> list[Account]:
    """The accounts of a workspace, oldest first."""
    rows = await conn.execute(select(accounts).where(accounts.c.workspace_id == workspace_id)
                              .order_by(accounts.c.created_at, accounts.c.id))
    return [_account(r) for r in rows]


async def set_disabled(conn: AsyncConnection, workspace_id: str, account_id: str,
                       disabled: bool) -> Account:
    """Disable (and log out everywhere) or re-enable an account of this workspace."""
    result = await conn.execute(update(accounts).where(
        accounts.c.id == account_id, accounts.c.workspace_id == workspace_id)
        .values(disabled=disabled))
    if result.rowcount != 1:
        raise not_found(f"Account {account_id!r}")
    if disabled:
        await conn.execute(delete(account_sessions).where(
            account_sessions.c.account_id == account_id))
    row = (await conn.execute(select(accounts).where(accounts.c.id == account_id))).one()
    return _account(row)


async def workspace_slug(conn: AsyncConnection, workspace_id: str) -> str:
    """The slug of a workspace."""
    return str((await conn.execute(select(workspaces.c.slug).where(
        workspaces.c.id == workspace_id))).scalar_one())


async def update_preferences(engine: AsyncEngine, account_id: str,
                             change: Callable[[str | None], str]) -> str:
    """Replace an account's console preferences (a JSON document) by ``change`` of the
    stored ones, in one transaction; returns the new document."""
    async with engine.begin() as conn:
        raw = (await conn.execute(select(accounts.c.preferences).where(
            accounts.c.id == account_id).with_for_update())).scalar()
        doc = change(raw)
        await conn.execute(update(accounts).where(accounts.c.id == account_id).values(
            preferences=doc))
    return doc


# -- what ends sessions: the account's open sockets hear of it once committed ----------

def _recheck(tx: Transaction, bus: Bus, account_id: str, reason: str) -> None:
    """After commit, the account's open sockets check their session again; ``reason`` is
    the close reason of those whose session ended."""
    tx.on_commit(partial(bus.publish, p.sockets_channel(account_id), reason.encode()))


async def log_out(engine: AsyncEngine, bus: Bus, session: Session) -> None:
    """End a session; its sockets close."""
    async with atomic(engine) as tx:
        await end_session(tx.conn, session.id)
        _recheck(tx, bus, session.account.id, "logged out")


async def change_password(engine: AsyncEngine, bus: Bus, account_id: str, new_hash: str,
                          keep_session: str) -> None:
    """A new password: the account's other sessions (and their sockets) end."""
    async with atomic(engine) as tx:
        await set_password_hash(tx.conn, account_id, new_hash, keep_session=keep_session)
        _recheck(tx, bus, account_id, "password changed; log in again")


async def disable(engine: AsyncEngine, bus: Bus, workspace_id: str, account_id: str) -> Account:
    """Disable an account: it cannot log in, and its sessions and sockets end."""
    async with atomic(engine) as tx:
        account = await set_disabled(tx.conn, workspace_id, account_id, True)
        _recheck(tx, bus, account.id, "account disabled")
    return account


# -- the transactions the API runs ------------------------------------------------------

async def log_in(engine: AsyncEngine, account: Account, rehash: str | None,
                 now: float) -> tuple[str, str, float]:
    """A checked login: store a stronger hash of the same password if one was made, and
    start a session: (cookie token, CSRF token, expiry)."""
    async with engine.begin() as conn:
        if rehash is not None:
            await store_rehash(conn, account.id, rehash)
        return await start_session(conn, account, now)


async def invite_account(engine: AsyncEngine, workspace_id: str, email: str, name: str,
                         role: str, departments: list[str] | tuple[str, ...], *,
                         max_chats: int, agent_added: Callable[[], Awaitable[None]]
                         ) -> tuple[Account, str]:
    """Invite someone (see :func:`invite`); ``agent_added`` runs after commit when the
    account chats (the workspace's rules then know one more agent)."""
    async with atomic(engine) as tx:
        account, link = await invite(tx.conn, workspace_id, email, name, role, departments,
                                     max_chats=max_chats)
        if account.agent_id is not None:
            tx.on_commit(agent_added)
    return account, link


async def accept_invitation(engine: AsyncEngine, token: str, password_hash: str,
                            now: float) -> tuple[Account, str, str, float, str]:
    """Use an invitation and log in: (account, cookie token, CSRF token, expiry, slug)."""
    async with engine.begin() as conn:
        account = await claim_invitation(conn, token, password_hash, now)
        cookie, csrf, expires = await start_session(conn, account, now)
        slug = await workspace_slug(conn, account.workspace_id)
    return account, cookie, csrf, expires, slug


async def enable(engine: AsyncEngine, workspace_id: str, account_id: str) -> Account:
    """An account may log in again."""
    async with engine.begin() as conn:
        return await set_disabled(conn, workspace_id, account_id, False)
