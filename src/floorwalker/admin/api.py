"""Admin API for workspaces, sites and tokens (``/api``, bearer token)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from floorwalker.auth.caller import Caller
from floorwalker.auth.principal import admin_principal, bearer_scheme, principal
from floorwalker.errors import ApiError
from floorwalker.mail.outbox import ADDRESS, valid_timezone
from floorwalker.services import services
from floorwalker.tenancy import service
from floorwalker.tenancy.service import WorkspaceSettings

router = APIRouter(prefix="/api", tags=["admin"], dependencies=[Depends(bearer_scheme)])


# Text that PostgreSQL can store: no NUL characters.
NO_NUL = r"^[^\x00]*$"


class WorkspaceIn(BaseModel):
    """A new workspace."""

    slug: str = Field(min_length=1, max_length=63, examples=["acme"])
    name: str | None = Field(default=None, max_length=200, pattern=NO_NUL)


class SiteIn(BaseModel):
    """A new site."""

    name: str = Field(min_length=1, max_length=200, pattern=NO_NUL)
    domain: str | None = Field(default=None, max_length=255, pattern=NO_NUL)


class TokenIn(BaseModel):
    """A new admin token for the caller's workspace."""

    name: str = Field(min_length=1, max_length=200, pattern=NO_NUL)


class SettingsIn(BaseModel):
    """Workspace settings; fields left out keep their value."""

    sensitive_attributes: list[Annotated[str, Field(max_length=200)]] | None = Field(
        default=None, max_length=500)
    retention_days: int | None = Field(default=None, ge=0, le=36500)
    max_proactive_per_session: int | None = Field(default=None, ge=0, le=100)
    min_gap_seconds: float | None = Field(default=None, ge=0, le=86400)
    invitation_ttl_seconds: float | None = Field(default=None, ge=5, le=86400)
    attribution_window_hours: int | None = Field(default=None, ge=1, le=720)
    conversion_event: str | None = Field(default=None, min_length=1, max_length=255,
                                         pattern=r"^[^\x00\s][^\x00]*$")
    # null clears it: any value counts.
    conversion_min_value: float | None = Field(default=None, ge=0, lt=1e15)
    count_chats_without_visitor_message: bool | None = None
    email_unread_replies: bool | None = None
    email_unread_delay_seconds: float | None = Field(default=None, ge=10, le=7 * 86400)
    # null clears them: the workspace's name, and the server's FLOORWALKER_MAIL_FROM.
    email_from_name: str | None = Field(default=None, min_length=1, max_length=100,
                                        pattern=r"^[^\x00-\x1f\x7f]+$")
    email_from_address: str | None = Field(default=None, max_length=254,
                                           pattern=ADDRESS.pattern)
    # Quiet hours for scenarios' e-mails: both or neither (null clears them).
    email_quiet_start: str | None = Field(default=None, pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    email_quiet_end: str | None = Field(default=None, pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    email_timezone: str | None = Field(default=None, min_length=1, max_length=64)


def _dump(value: Any) -> Any:
    return msgspec.to_builtins(value)


def _site_out(site: service.Site) -> dict[str, Any]:
    out: dict[str, Any] = _dump(site)
    if out.get("server_key") is None:
        out.pop("server_key", None)
    return out


@router.post("/workspaces", status_code=201, summary="Create a workspace (instance token)")
async def create_workspace(body: WorkspaceIn, request: Request,
                           who: Annotated[Caller, Depends(principal)]) -> Any:
    """Only an instance token may create workspaces."""
    if who.workspace_id is not None:
        raise ApiError(403, "instance_token_required",
                       "Creating workspaces needs an instance token (floorwalker token create).")
    return _dump(await service.new_workspace(services(request).engine, body.slug, body.name))


@router.get("/workspaces", summary="List the workspaces this token can see")
async def list_workspaces(request: Request,
                          who: Annotated[Caller, Depends(principal)]) -> Any:
    """All workspaces for an instance token, the token's own otherwise."""
    async with services(request).engine.connect() as conn:
        return _dump(await service.list_workspaces(conn, who.workspace_id))


@router.get("/workspace", summary="The caller's workspace")
async def get_workspace(request: Request,
                        who: Annotated[Caller, Depends(admin_principal)]) -> Any:
    """The workspace of the token, with its settings."""
    assert who.workspace_id
    async with services(request).engine.connect() as conn:
        return _dump(await service.get_workspace(conn, who.workspace_id))


@router.patch("/workspace/settings", summary="Change workspace settings")
async def patch_settings(body: SettingsIn, request: Request,
                         who: Annotated[Caller, Depends(admin_principal)]) -> Any:
    """Sensitive attribute names, event retention, message caps, report goals and
    windows, and e-mail of unread replies."""
    assert who.workspace_id
    svc = services(request)
    workspace_id = who.workspace_id

    def change(settings: WorkspaceSettings) -> None:
        if body.sensitive_attributes is not None:
            settings.sensitive_attributes = sorted(set(body.sensitive_attributes))
        for name in ("retention_days", "max_proactive_per_session", "min_gap_seconds",
                     "invitation_ttl_seconds", "attribution_window_hours",
                     "conversion_event", "count_chats_without_visitor_message",
                     "email_unread_replies", "email_unread_delay_seconds"):
            value = getattr(body, name)
            if value is not None:
                setattr(settings, name, value.strip() if isinstance(value, str) else value)
        if "conversion_min_value" in body.model_fields_set:
            settings.conversion_min_value = body.conversion_min_value
        if body.email_timezone is not None:
            settings.email_timezone = body.email_timezone
        for name in ("email_from_name", "email_from_address", "email_quiet_start",
                     "email_quiet_end"):
            if name in body.model_fields_set:
                value = getattr(body, name)
                setattr(settings, name, value.strip() if isinstance(value, str) else None)

    if body.email_timezone is not None and not valid_timezone(body.email_timezone):
        raise ApiError(422, "invalid_request", "email_timezone is an IANA time zone "
                       "(Europe/Amsterdam).", [{"path": "$.email_timezone"}])
    if ("email_quiet_start" in body.model_fields_set) != (
            "email_quiet_end" in body.model_fields_set):
        raise ApiError(422, "invalid_request", "Set email_quiet_start and email_quiet_end "
                       "together.", [{"path": "$.email_quiet_end"}])

    async def changed() -> None:
        # The rule set carries the settings (sensitive names included) to every reader.
        svc.rules.invalidate(workspace_id)

    return _dump(await service.change_settings(svc.engine, workspace_id, change, changed))


@router.post("/sites", status_code=201, summary="Create a site (returns its server key once)")
async def create_site(body: SiteIn, request: Request,
                      who: Annotated[Caller, Depends(admin_principal)]) -> Any:
    """A site with a write key, a server key (shown only now) and an identity secret."""
    assert who.workspace_id
    return _site_out(await service.new_site(services(request).engine, who.workspace_id,
                                            body.name, body.domain))


@router.get("/sites", summary="List sites")
async def list_sites(request: Request,
                     who: Annotated[Caller, Depends(admin_principal)]) -> Any:
    """The workspace's sites with their write keys and identity secrets."""
    assert who.workspace_id
    async with services(request).engine.connect() as conn:
        return [_site_out(s) for s in await service.list_sites(conn, who.workspace_id)]


@router.get("/sites/{site_id}", summary="One site")
async def get_site(site_id: str, request: Request,
                   who: Annotated[Caller, Depends(admin_principal)]) -> Any:
    """A site of the caller's workspace."""
    assert who.workspace_id
    async with services(request).engine.connect() as conn:
        return _site_out(await service.get_site(conn, who.workspace_id, site_id))


@router.post("/sites/{site_id}/rotate-keys", summary="Replace a site's keys")
async def rotate_keys(site_id: str, request: Request,
                      who: Annotated[Caller, Depends(admin_principal)]) -> Any:
    """New keys; the old ones stop working within seconds."""
    assert who.workspace_id
    svc = services(request)
    async def rotated() -> None:
        svc.directory.invalidate()

    return _site_out(await service.rotate_keys(svc.engine, who.workspace_id, site_id,
                                               rotated))


@router.post("/tokens", status_code=201, summary="Create another admin token")
async def create_token(body: TokenIn, request: Request,
                       who: Annotated[Caller, Depends(principal)]) -> Any:
    """A token for the caller's workspace (or an instance token from an instance token)."""
    if who.kind not in ("token", "admin_session"):
        raise ApiError(403, "admin_token_required", "This route needs an admin token.")
    token = await service.new_token(services(request).engine, who.workspace_id, body.name)
    return {"token": token, "workspace_id": who.workspace_id}

