"""Webhook actions: a signed POST to the scenario's URL, after the decision committed.

The body is JSON; ``X-Floorwalker-Signature: sha256=<hex HMAC-SHA256(secret, body)>``
lets the receiver check it came from us. Delivery is retried with backoff (three tries)
and never blocks event ingestion.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time

import httpx
import msgspec
import structlog

from floorwalker.rules.model import Action
from floorwalker.rules.output import Fired

log = structlog.get_logger("floorwalker.webhooks")
ENCODE = msgspec.json.Encoder()
TRIES = 3


def signature(secret: str, body: bytes) -> str:
    """The signature header value for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class Webhooks:
    """Sends webhook actions in the background."""

    def __init__(self, timeout: float = 5.0, backoff: float = 1.0) -> None:
        self.timeout = timeout
        self.backoff = backoff
        self._tasks: set[asyncio.Task[None]] = set()
        self._client: httpx.AsyncClient | None = None

    async def on_fired(self, fired: list[Fired]) -> None:
        """Listener for committed decisions: start a delivery for each webhook action."""
        for item in fired:
            action: Action = item.action
            if action.type != "webhook" or not action.url:
                continue
            body = ENCODE.encode({
                "type": "scenario.fired", "decision_id": item.decision_id,
                "scenario": item.scenario, "variant": item.variant,
                "outcome": item.outcome, "trigger": item.trigger,
                "text": item.payload.get("text"), "visitor": item.visitor,
                "event": item.event, "sent_at": time.time()})
            task = asyncio.create_task(self._deliver(action.url, action.secret or "", body))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _deliver(self, url: str, secret: str, body: bytes) -> None:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.timeout, follow_redirects=False)
        headers = {"content-type": "application/json", "user-agent": "Floorwalker-Webhook"}
        if secret:
            headers["x-floorwalker-signature"] = signature(secret, body)
        for attempt in range(TRIES):
            try:
                response = await self._client.post(url, content=body, headers=headers)
                if response.status_code < 500:
                    if response.status_code >= 400:
                        log.warning("webhook refused", url=url, status=response.status_code)
                    return
            except httpx.HTTPError as exc:
                log.warning("webhook failed", url=url, error=str(exc), attempt=attempt + 1)
            await asyncio.sleep(self.backoff * (2 ** attempt))
        log.error("webhook gave up", url=url)

    async def close(self) -> None:
        """Wait briefly for deliveries in flight, then close the client."""
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=self.timeout)
        if self._client is not None:
            await self._client.aclose()
            self._client = None
