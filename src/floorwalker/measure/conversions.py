"""The conversions table: purchases and other goal events, written only through these
functions.

The group commit records a row for every ``purchase`` event, and every event a conversion
goal names (the workspace's or a scenario's), in the same transaction as the event
itself; merges move them to the surviving visitor and erasure deletes them (through
:data:`VISITOR_ROWS`). One order counts once per person and event name: the row's key is
the order id (``transaction_id`` or ``order_id``), else the event's messageId.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import msgspec
from sqlalchemy import Float, and_, bindparam, case, delete, exists, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from floorwalker.events import Incoming
from floorwalker.profiles.apply import purchase_of
from floorwalker.store.tables import conversions, events

CONVERSION_EVENT = "purchase"
DEFAULT_GOALS = frozenset({CONVERSION_EVENT})
REFUND_EVENT = "refund"
MAX_CURRENCY = 8

_INSERT_NEW = {"sqlite": sqlite.insert(conversions).on_conflict_do_nothing(),
               "postgresql": postgresql.insert(conversions).on_conflict_do_nothing()}


def rows_for(applied: Iterable[tuple[Incoming, str]],
             goals: Mapping[str, frozenset[str]],
             segments: Callable[[Incoming], str | None]) -> list[dict[str, Any]]:
    """Conversion rows for the goal events among ``applied`` (event, final visitor id).

    ``goals`` names each workspace's goal events (the rule set's; ``purchase`` for a
    workspace without one); ``segments`` gives the segments the visitor was in as the
    event came (as stored: ``",a,b,"``).
    """
    out = []
    for ev, visitor_id in applied:
        if ev.name not in goals.get(ev.workspace_id, DEFAULT_GOALS):
            continue
        purchase = purchase_of(ev)
        currency = purchase.currency
        out.append({
            "workspace_id": ev.workspace_id, "visitor_id": visitor_id,
            "name": ev.name[:255],
            "transaction_id": (purchase.transaction_id or f"msg:{ev.message_id}")[:255],
            "value": purchase.value,
            "currency": currency.upper()[:MAX_CURRENCY] if currency else None,
            "ts": ev.ts, "segments": segments(ev),
        })
    return out


async def record(conn: AsyncConnection, rows: list[dict[str, Any]], dialect: str) -> None:
    """Insert conversions; an order the person already has is skipped."""
    if rows:
        await conn.execute(_INSERT_NEW[dialect], rows)


def refunds_for(applied: Iterable[tuple[Incoming, str]]) -> list[dict[str, Any]]:
    """What the ``refund`` events among ``applied`` take back: the order (by its id) and
    the amount (None: all of it)."""
    out = []
    for ev, visitor_id in applied:
        if ev.name != REFUND_EVENT:
            continue
        refund = purchase_of(ev)
        if refund.transaction_id is None:
            continue  # no order named: nothing to take it from
        out.append({"b_workspace": ev.workspace_id, "b_visitor": visitor_id,
                    "b_order": refund.transaction_id[:255],
                    "b_amount": refund.value if refund.value > 0 else None})
    return out


_LEFT = conversions.c.value - bindparam("b_amount", type_=Float)
_REFUND = update(conversions).where(
    conversions.c.workspace_id == bindparam("b_workspace"),
    conversions.c.visitor_id == bindparam("b_visitor"),
    conversions.c.transaction_id == bindparam("b_order"),
).values(value=case((bindparam("b_amount", type_=Float).is_(None), 0.0),
                    (_LEFT < 0, 0.0), else_=_LEFT))


async def refund(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    """Take refunds off their orders' value (never below zero); the order still counts
    as a conversion, its revenue is what the shop kept."""
    for row in rows:
        await conn.execute(_REFUND, row)


BACKFILL_BATCH = 2_000


async def backfill(conn: AsyncConnection, workspace_id: str, event: str,
                   progress: Callable[[int], None] = lambda n: None) -> int:
    """Record as conversions the stored events named ``event`` (a goal named after they
    came): once per person and order, as the group commit would have; already recorded
    ones are skipped. Their segments are unknown (NULL). Calls ``progress`` with each
    batch's size; returns how many new conversions it recorded."""
    e = events.c
    after, added = 0, 0
    while True:
        batch = (await conn.execute(select(
            e.id, e.site_id, e.visitor_id, e.message_id, e.ts, e.received_at, e.properties,
        ).where(e.workspace_id == workspace_id, e.name == event, e.id > after)
            .order_by(e.id).limit(BACKFILL_BATCH))).all()
        if not batch:
            return added
        applied = [(Incoming(
            type="track", name=event, message_id=r.message_id, workspace_id=workspace_id,
            site_id=r.site_id, anonymous_id=None, user_id=None, ts=r.ts,
            received_at=r.received_at, context={},
            properties=_properties(r.properties)), r.visitor_id) for r in batch]
        rows = rows_for(applied, {workspace_id: frozenset({event})}, lambda ev: None)
        before = await _count(conn, workspace_id, event)
        await record(conn, rows, conn.dialect.name)
        added += await _count(conn, workspace_id, event) - before
        after = batch[-1].id
        progress(len(batch))


def _properties(raw: str) -> dict[str, Any]:
    try:
        doc = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        return {}
    return doc if isinstance(doc, dict) else {}


async def _count(conn: AsyncConnection, workspace_id: str, name: str) -> int:
    return int((await conn.execute(select(func.count()).select_from(conversions).where(
        conversions.c.workspace_id == workspace_id, conversions.c.name == name))).scalar_one())


async def stored_events(conn: AsyncConnection, workspace_id: str, event: str) -> int:
    """How many stored events are named ``event`` (a backfill's total)."""
    return int((await conn.execute(select(func.count()).select_from(events).where(
        events.c.workspace_id == workspace_id, events.c.name == event))).scalar_one())


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
                other.c.name == conversions.c.name,
                other.c.transaction_id == conversions.c.transaction_id)))))
        await conn.execute(update(conversions).where(conversions.c.visitor_id == source)
                           .values(visitor_id=target))

    async def erase(self, conn: AsyncConnection, workspace_id: str, visitor_id: str) -> None:
        """Erasure: nothing of the visitor stays."""
        await conn.execute(delete(conversions).where(
            conversions.c.visitor_id == visitor_id,
            conversions.c.workspace_id == workspace_id))


VISITOR_ROWS = _VisitorRows()
