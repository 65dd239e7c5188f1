"""E-mail API: ``GET /api/emails``, what the outbox holds (docs/email.md)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request

from floorwalker.auth.caller import Caller
from floorwalker.auth.principal import bearer_scheme
from floorwalker.auth.staff import admin_staff
from floorwalker.mail import outbox
from floorwalker.services import services

router = APIRouter(prefix="/api/emails", tags=["email"], dependencies=[Depends(bearer_scheme)])
Admin = Annotated[Caller, Depends(admin_staff)]


@router.get("", summary="The workspace's e-mails, newest first")
async def list_emails(
        request: Request, caller: Admin,
        status: Annotated[Literal["queued", "sent", "failed"] | None, Query()] = None,
        conversation_id: Annotated[str | None, Query(max_length=40)] = None,
        before: Annotated[float | None, Query(
            description="Only e-mails queued before this time (epoch seconds): the next "
                        "page starts before the last one's created_at")] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50) -> Any:
    """Each e-mail's recipient, subject, Message-ID, status (``queued``, ``sent``,
    ``failed``), attempts, next attempt and last error; not the bodies."""
    async with services(request).engine.connect() as conn:
        found = await outbox.listing(conn, caller.workspace, status=status,
                                     conversation_id=conversation_id, before=before,
                                     limit=limit)
    return {"emails": found}
