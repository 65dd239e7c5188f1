"""One transaction with hooks that run only once it has committed.

An action opens the transaction, writes its feature's tables and registers what must
follow (frames, alerts, webhooks) with :meth:`Transaction.on_commit`. The hooks run in
the order they were registered, after the commit, and never when the transaction rolls
back, so nobody hears of a write that did not happen.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = structlog.get_logger("floorwalker.transaction")

Hook = Callable[[], Awaitable[None]]


class Transaction:
    """A connection inside ``engine.begin()`` and the hooks to run after its commit."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        self.hooks: list[Hook] = []

    def on_commit(self, hook: Hook) -> None:
        """Run ``hook`` after the commit (in registration order; errors are logged)."""
        self.hooks.append(hook)


@asynccontextmanager
async def atomic(engine: AsyncEngine) -> AsyncIterator[Transaction]:
    """``async with atomic(engine) as tx:`` write with ``tx.conn``; hooks run after commit."""
    async with engine.begin() as conn:
        tx = Transaction(conn)
        yield tx
    for hook in tx.hooks:
        try:
            await hook()
        except Exception:
            log.exception("on-commit hook failed")
