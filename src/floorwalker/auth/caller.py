"""The one type every view gets for whoever calls it."""

from __future__ import annotations

from dataclasses import dataclass

from floorwalker.accounts.model import Account
from floorwalker.errors import ApiError
from floorwalker.tenancy.directory import Principal

ADMIN_KINDS = frozenset({"token", "admin_session"})


@dataclass(frozen=True, slots=True)
class Caller:
    """A bearer token (an admin token of a workspace, an instance token, a site's server
    key) or a console account's session (an admin's or an agent's)."""

    workspace_id: str | None  # None: an instance token (manages workspaces only)
    kind: str  # token | server_key | admin_session | agent_session
    site_id: str | None = None  # a server key's site
    account: Account | None = None  # a session's account
    agent_id: str | None = None  # the account's agent profile, when it chats
    name: str = "Admin token"  # what signs its messages

    @property
    def is_admin(self) -> bool:
        """An admin token or an admin's session."""
        return self.kind in ADMIN_KINDS

    @property
    def account_id(self) -> str | None:
        """The account's id (None for a token)."""
        return self.account.id if self.account else None

    @property
    def workspace(self) -> str:
        """The workspace it acts in (routes that take instance tokens check first)."""
        if self.workspace_id is None:
            raise ApiError(403, "workspace_token_required",
                           "This route acts inside a workspace; use a workspace token.")
        return self.workspace_id


def of_account(account: Account) -> Caller:
    """A console account's session."""
    return Caller(account.workspace_id, f"{account.role}_session", account=account,
                  agent_id=account.agent_id, name=account.name)


def of_token(found: Principal) -> Caller:
    """A token as the credential directory knows it."""
    return Caller(found.workspace_id, found.kind, site_id=found.site_id)
