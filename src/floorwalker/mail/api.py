"""E-mail API: ``GET /api/emails``, what the outbox holds, and the unsubscribe page every
e-mail to a visitor links to (``/v1/email/unsubscribe``, one-click as RFC 8058 asks);
docs/email.md."""

from __future__ import annotations

from html import escape
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from floorwalker.auth.caller import Caller
from floorwalker.auth.principal import bearer_scheme
from floorwalker.auth.staff import admin_staff
from floorwalker.errors import ApiError
from floorwalker.mail import addresses, outbox
from floorwalker.ops.http import client_ip
from floorwalker.services import services

router = APIRouter(prefix="/api/emails", tags=["email"], dependencies=[Depends(bearer_scheme)])
public = APIRouter(prefix="/v1/email", tags=["email"])
Admin = Annotated[Caller, Depends(admin_staff)]
Status = Literal["queued", "sent", "failed", "bounced", "skipped"]


@router.get("", summary="The workspace's e-mails, newest first")
async def list_emails(
        request: Request, caller: Admin,
        status: Annotated[Status | None, Query()] = None,
        conversation_id: Annotated[str | None, Query(max_length=40)] = None,
        before: Annotated[float | None, Query(
            description="Only e-mails queued before this time (epoch seconds): the next "
                        "page starts before the last one's created_at")] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50) -> Any:
    """Each e-mail's recipient, subject, Message-ID, status (``queued``, ``sent``,
    ``failed``, ``bounced``, ``skipped``), attempts, next attempt and last error; not the bodies."""
    async with services(request).engine.connect() as conn:
        found = await outbox.listing(conn, caller.workspace, status=status,
                                     conversation_id=conversation_id, before=before,
                                     limit=limit)
    return {"emails": found}


Token = Annotated[str, Query(min_length=10, max_length=1000,
                             description="The signed token of the e-mail's link")]
_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
<style>body{{margin:0;padding:32px 16px;font:16px/1.5 system-ui,sans-serif;color:#1f2933;
background:#f4f5f7}}main{{max-width:480px;margin:0 auto;background:#fff;border-radius:8px;
padding:24px}}h1{{font-size:20px;margin:0 0 12px}}button{{font:inherit;padding:10px 16px;
border:0;border-radius:6px;background:#1f5fbf;color:#fff;cursor:pointer}}
h1,p{{overflow-wrap:anywhere}}</style></head><body><main>{body}</main></body></html>"""


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(_PAGE.format(title=escape(title), body=body), status_code=status,
                        headers={"Cache-Control": "no-store",
                                 "Content-Security-Policy": "default-src 'none'; "
                                 "style-src 'unsafe-inline'; form-action 'self'"})


def _wants_html(request: Request) -> bool:
    """A browser opening the link (HTML pages); any other client gets JSON."""
    return "text/html" in request.headers.get("accept", "")


def _checked(request: Request, t: str) -> tuple[str, str] | HTMLResponse:
    svc = services(request)
    svc.ip_limiter.check(client_ip(request, svc.settings.trusted_proxies) or "unknown",
                         "unsubscribe")
    try:
        return addresses.unsubscription(svc.settings.mail_secret, t)
    except ApiError as exc:
        if not _wants_html(request):
            raise
        return _page("Link not valid", f"<h1>This link is not valid</h1><p>{escape(exc.message)}"
                     "</p>", status=exc.status)


# A page for a browser, JSON for anyone else (a mail client's one-click POST, scripts).
HTML_OR_JSON: dict[int | str, dict[str, Any]] = {200: {"content": {
    "text/html": {"schema": {"type": "string"}}, "application/json": {}}}}


@public.get("/unsubscribe", summary="The unsubscribe page an e-mail links to",
            responses=HTML_OR_JSON)
async def unsubscribe_page(request: Request, t: Token) -> Any:
    """Asks to confirm (a link checker that opens it changes nothing)."""
    found = _checked(request, t)
    if isinstance(found, HTMLResponse):
        return found
    _workspace_id, address = found
    if not _wants_html(request):
        return {"address": address, "unsubscribed": False}
    return _page("Unsubscribe", f"<h1>No more e-mails to {escape(address)}?</h1>"
                 "<p>You will get no more e-mails from this shop's chat at this address.</p>"
                 f'<form method="post" action="/v1/email/unsubscribe?t={escape(t)}">'
                 '<button type="submit" data-test="unsubscribe">Unsubscribe</button></form>')


@public.post("/unsubscribe", responses=HTML_OR_JSON,
             summary="Unsubscribe (the page's button, or a mail client's one-click POST)")
async def unsubscribe(request: Request, t: Token) -> Any:
    """Marks the address unsubscribed for the workspace: no e-mail goes to it again."""
    found = _checked(request, t)
    if isinstance(found, HTMLResponse):
        return found
    address = await addresses.unsubscribe(services(request).engine,
                                          services(request).settings.mail_secret, t)
    if not _wants_html(request):
        return {"address": address, "unsubscribed": True}
    return _page("Unsubscribed", f"<h1>Done</h1><p>No more e-mails will go to "
                 f"{escape(address)}.</p>")
