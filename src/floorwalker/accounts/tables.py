"""Accounts, their login sessions and their one-time invitations (migration 0005)."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Float, ForeignKey, String, Table, Text, UniqueConstraint

from floorwalker.store import tables as _store_tables  # noqa: F401  (workspaces, agents first)
from floorwalker.store.base import metadata

accounts = Table(
    "accounts",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("workspace_id", String(40), ForeignKey("workspaces.id", ondelete="CASCADE"),
           nullable=False),
    # The agents row (capacity, departments) of someone who chats; NULL for a pure admin.
    Column("agent_id", String(40), ForeignKey("agents.id", ondelete="SET NULL"),
           nullable=True),
    Column("email", String(255), nullable=False),  # lower-cased
    Column("name", String(200), nullable=False),
    Column("role", String(16), nullable=False),  # admin | agent
    # argon2id; NULL until the invitation is accepted.
    Column("password_hash", String(255), nullable=True),
    Column("created_at", Float, nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
    # Console preferences (watched segments, muted alerts) as JSON.
    Column("preferences", Text, nullable=True),
    UniqueConstraint("workspace_id", "email", name="uq_accounts_workspace_email"),
)

account_sessions = Table(
    "account_sessions",
    metadata,
    # sha256 of the cookie's token: a copy of this table logs nobody in.
    Column("id", String(64), primary_key=True),
    Column("account_id", String(40), ForeignKey("accounts.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False, index=True),
    Column("last_seen_at", Float, nullable=False),
)

account_invitations = Table(
    "account_invitations",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("account_id", String(40), ForeignKey("accounts.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("expires_at", Float, nullable=False),
    Column("used_at", Float, nullable=True),
)
