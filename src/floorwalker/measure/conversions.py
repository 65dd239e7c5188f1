"""The conversions table: a visitor's purchases, written only through these functions.

The group commit records a row for every ``purchase`` event in the same transaction as
the event itself; merges move them to the surviving visitor and erasure deletes them
(through :data:`VISITOR_ROWS`). One order counts once per person: the row's key is the
order id (``transaction_id`` or ``order_id``), else the event's messageId.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, delete, exists, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from floorwalker.events import Incoming
from floorwalker.profiles.apply import purchase_of
from floorwalker.store.tables import conversions

CONVERSION_EVENT = "purchase"
MAX_CURRENCY = 8

_INSERT_NEW = {"sqlite": sqlite.insert(conversions).on_conflict_do_nothing(),
               "postgresql": postgresql.insert(conversions).on_conflict_do_nothing()}


def rows_for(applied: Iterable[tuple[Incoming, str]]) -> list[dict[str, Any]]:
    """Conversion rows for the purchases among ``applied`` (event, final visitor id)."""
    out = []
    for ev, visitor_id in applied:
        if ev.name != CONVERSION_EVENT:
            continue
        purchase = purchase_of(ev)
        currency = purchase.currency
        out.append({
            "workspace_id": ev.workspace_id, "visitor_id": visitor_id,
            "name": ev.name,
            "transaction_id": (purchase.transaction_id or f"msg:{ev.message_id}")[:255],
            "value": purchase.value,
            "currency": currency.upper()[:MAX_CURRENCY] if currency else None,
            "ts": ev.ts,
        })
    return out


async def record(conn: AsyncConnection, rows: list[dict[str, Any]], dialect: str) -> None:
    """Insert conversions; an order the person already has is skipped."""
    if rows:
        await conn.execute(_INSERT_NEW[dialect], rows)


class _VisitorRows:
    """A visitor's conversions, for merges and erasure (profiles' VisitorRows)."""

    async def move(self, conn: AsyncConnection, source: str, target: str) -> None:
        """A merge: the orders go with the person; one both devices reported stays one."""
        other = conversions.alias("kept")
        await conn.execute(delete(conversions).where(
            conversions.c.visitor_id == source,
            exists(select(other.c.id).where(and_(
                other.c.visitor_id == target,
                other.c.workspace_id == conversions.c.workspace_id,
                other.c.transaction_id == conversions.c.transaction_id)))))
        await conn.execute(update(conversions).where(conversions.c.visitor_id == source)
                           .values(visitor_id=target))

    async def erase(self, conn: AsyncConnection, workspace_id: str, visitor_id: str) -> None:
        """Erasure: nothing of the visitor stays."""
        await conn.execute(delete(conversions).where(
            conversions.c.visitor_id == visitor_id,
            conversions.c.workspace_id == workspace_id))


VISITOR_ROWS = _VisitorRows()
