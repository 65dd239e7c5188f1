"""A scenario's ``email`` action (docs/email.md, "Triggered e-mails"): queued in the
transaction that records the decision, so the e-mail exists exactly when the decision
does. Only to a verified visitor who agreed (the engine checks it before deciding); an
address that bounced or unsubscribed is skipped when the sender claims the e-mail; with a
one-click unsubscribe link."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection

from floorwalker.mail import outbox, texts
from floorwalker.mail.parts import MailParts
from floorwalker.rules.output import Fired

log = structlog.get_logger("floorwalker.mail")


def queuer(parts: MailParts) -> Callable[[AsyncConnection, list[Fired]], Awaitable[None]]:
    """The rules' in-transaction hook that queues the e-mails of fired ``email`` actions."""

    async def queue(conn: AsyncConnection, fired: list[Fired]) -> None:
        for item in fired:
            if item.action.type != "email" or item.outcome not in ("fired", "fallback"):
                continue
            address = (item.email_to or "").strip()
            if not outbox.valid_address(address):
                log.info("triggered e-mail: no address", decision_id=item.decision_id)
                continue
            workspace = item.workspace_name or "Floorwalker"
            lang = texts.language_for(str(item.payload.get("language") or ""))
            unsubscribe = parts.unsubscribe(item.workspace_id, address)
            subject, body_text, body_html = texts.triggered(
                lang, workspace=workspace, payload=item.payload, unsubscribe=unsubscribe)
            # Only writes here: an address that refuses mail is skipped by the sender.
            await outbox.enqueue(conn, outbox.Draft(
                workspace_id=item.workspace_id, kind="triggered", to_address=address,
                subject=subject, body_text=body_text, body_html=body_html,
                from_name=workspace, from_address=item.email_from, language=lang,
                visitor_id=item.visitor_id,
                list_unsubscribe=unsubscribe), now=time.time(), mail_from=parts.mail_from)

    return queue
