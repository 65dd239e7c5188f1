"""What an account is, what a session holds, and the request bodies of /api/auth."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

import msgspec

Role = Literal["admin", "agent"]
ROLES: tuple[Role, ...] = ("admin", "agent")

Email = Annotated[str, msgspec.Meta(min_length=3, max_length=255, pattern=r"^[^@\s]+@[^@\s]+$")]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Secret = Annotated[str, msgspec.Meta(max_length=4096)]
Slug = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


@dataclass(frozen=True, slots=True)
class Account:
    """A person who logs in to one workspace's console, as an admin or an agent."""

    id: str
    workspace_id: str
    email: str
    name: str
    role: Role
    agent_id: str | None
    created_at: float
    disabled: bool = False
    pending: bool = False  # invited, no password set yet

    def public(self) -> dict[str, Any]:
        """The JSON the API shows (never the password hash)."""
        return {"id": self.id, "workspace_id": self.workspace_id, "email": self.email,
                "name": self.name, "role": self.role, "agent_id": self.agent_id,
                "created_at": self.created_at, "disabled": self.disabled,
                "pending": self.pending}


@dataclass(frozen=True, slots=True)
class Session:
    """A logged-in browser: the account and the CSRF token its unsafe requests must echo."""

    id: str  # sha256 of the cookie's token
    account: Account
    workspace_slug: str
    csrf_token: str
    expires_at: float


class LoginIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``POST /api/auth/login``."""

    workspace: Slug
    email: Annotated[str, msgspec.Meta(max_length=255)]
    password: Secret


class PasswordIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``POST /api/auth/password``."""

    current: Secret
    new: Secret


class InvitationIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``POST /api/auth/invitations``."""

    email: Email
    name: Name
    role: Role = "agent"
    departments: list[Annotated[str, msgspec.Meta(max_length=64)]] = msgspec.field(
        default_factory=list)
    max_chats: Annotated[int, msgspec.Meta(ge=0, le=100)] = 3


class AcceptIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``POST /api/auth/accept``."""

    token: Annotated[str, msgspec.Meta(max_length=200)]
    password: Secret
